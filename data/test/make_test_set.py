"""Regenerate data/test/: held-out oracle-MD frames sampled differently from the
training set (other water counts, fields and temperatures; no rattles).

    OMP_NUM_THREADS=1 python data/test/make_test_set.py data/test
"""
import json
import sys

from mlpec_lab.sampling.training_set import build_training_set, test_plan

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "data/test"
    print(json.dumps(build_training_set(out, test_plan(), rattle_fraction=0.0)))
