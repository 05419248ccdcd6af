"""Regenerate data/training/height/: one water, Na, Cl or water + Na at heights of 3–16 Å
above the bare slab, at fields across the trained range, labelled with GFN1-xTB (see
``mlpec_lab.sampling.training_set.height_structures``).

    OMP_NUM_THREADS=1 python data/training/make_height_set.py data/training/height 96

Resumable (configurations are rebuilt identically from the seed; labelling skips what is done).
"""
import json
import sys

from mlpec_lab.sampling.training_set import height_structures, label_structure_set

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "data/training/height"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 96
    print(json.dumps(label_structure_set(out, lambda: height_structures(n))))
