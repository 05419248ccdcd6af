"""Regenerate data/training/: oracle-driven MD + rattles, labelled with GFN1-xTB.

    OMP_NUM_THREADS=1 python data/training/make_training_set.py data/training

Resumable: rerun after an interruption; finished trajectories and labels are kept.
"""
import json
import sys

from mlpec_lab.sampling.training_set import build_training_set

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "data/training"
    print(json.dumps(build_training_set(out)))
