"""Regenerate data/training/stark/: free H2O, the bare slab and OH*, H*, O* on it, rattled,
at fields across the trained range, labelled with GFN1-xTB (see
``mlpec_lab.sampling.training_set.stark_structures``).

    OMP_NUM_THREADS=1 python data/training/make_stark_set.py data/training/stark 150
    OMP_NUM_THREADS=1 python data/training/make_stark_set.py data/training/stark2 300 3500

Resumable (configurations are rebuilt identically from the seed; labelling skips what is done).
"""
import json
import sys

from mlpec_lab.sampling.training_set import stark_structures, label_structure_set

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "data/training/stark"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    print(json.dumps(label_structure_set(out, lambda: stark_structures(n, seed=seed))))
