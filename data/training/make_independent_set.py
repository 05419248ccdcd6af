"""Regenerate data/training/independent/: independently built interfaces, labelled with
GFN1-xTB (see ``mlpec_lab.sampling.training_set.independent_structures``).

    OMP_NUM_THREADS=1 python data/training/make_independent_set.py data/training/independent 600 1000
    OMP_NUM_THREADS=1 python data/training/make_independent_set.py data/training/independent2 600 5000

(arguments: output folder, number of structures, seed; the two runs use one core each).

Resumable: the configurations are rebuilt identically from the seed and labelling skips
what ``labelled.extxyz`` (and ``labelled.extxyz.failed.jsonl``) already holds. Labels are
appended in the order they finish, so a partial run is a usable (smaller) set.
"""
import json
import sys

from mlpec_lab.sampling.training_set import independent_structures, label_structure_set

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "data/training/independent"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    print(json.dumps(label_structure_set(out, lambda: independent_structures(n, seed))))
