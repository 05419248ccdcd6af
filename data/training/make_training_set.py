"""Regenerate data/training/: oracle-driven MD + rattles, labelled with GFN1-xTB.

    OMP_NUM_THREADS=1 python data/training/make_training_set.py data/training
    OMP_NUM_THREADS=1 python data/training/make_training_set.py data/training/rev --reverse

The second command walks the same plan from the other end (to use a second core); stop
both when they meet. Resumable: rerun after an interruption; finished trajectories and
labels are kept.
"""
import json
import sys

from mlpec_lab.sampling.training_set import build_training_set, default_plan

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else "data/training"
    plan = default_plan()
    if "--reverse" in sys.argv:
        plan = plan[::-1]
    print(json.dumps(build_training_set(out, plan)))
