"""Regenerate an active-learning round: committee-driven MD explores the family, the
frames the committee disagrees on (trust window on the max force deviation) are labelled
with GFN1-xTB. See ``mlpec_lab.sampling.exploration``.

    OMP_NUM_THREADS=1 python data/training/make_active_set.py MODEL OUT [--per-run 6] [--low 0.15] [--high 3.0]

e.g. MODEL = data/model/committee.pt, OUT = data/training/active1. Exploration runs once
(its picks go to OUT/configs.extxyz with the exploring model's hash); labelling resumes.
Compositions and fields avoid the held-out set's (as ``independent_structures`` does).
"""
import argparse
import hashlib
import json
from pathlib import Path

from mlpec_lab.datasets import append_frames
from mlpec_lab.potential.cli import add_trust_window_arguments
from mlpec_lab.reference.labelling import label
from mlpec_lab.sampling.exploration import explore_and_pick
from mlpec_lab.sampling.training_set import INDEPENDENT_FIELDS
from mlpec_lab.systems import interface

RUNS = [  # composition, field (V/Å), temperature (K)
    (dict(n_water=16, ions="NaCl"), 0.25, 330.0), (dict(n_water=16, ions="NaCl"), -0.25, 400.0),
    (dict(n_water=12, ions="NaCl"), 0.5, 330.0), (dict(n_water=13, ions="NaCl"), -0.5, 400.0),
    (dict(n_water=8, adsorbates=("OH",)), 0.125, 400.0), (dict(n_water=12, adsorbates=("OH",)), -0.375, 330.0),
    (dict(n_water=8, adsorbates=("H",)), -0.125, 330.0), (dict(n_water=11, adsorbates=("H",)), 0.375, 400.0),
    (dict(n_water=10, ions="Na"), -0.375, 330.0), (dict(n_water=12, ions="Na"), 0.125, 400.0),
    (dict(n_water=10, ions="Cl"), 0.375, 330.0), (dict(n_water=8, ions="Cl"), -0.125, 400.0),
    (dict(n_water=8), 0.0, 330.0), (dict(n_water=12), -0.25, 400.0),
    (dict(n_water=5), 0.5, 330.0), (dict(n_water=6, adsorbates=("O",)), 0.25, 330.0),
]

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--per-run", type=int, default=6)
    p.add_argument("--steps", type=int, default=2000, help="MD steps per run (0.5 fs)")
    add_trust_window_arguments(p)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    configs = out / "configs.extxyz"
    model_hash = hashlib.sha256(Path(args.model).read_bytes()).hexdigest()[:16]
    if not configs.exists():
        starts = []
        for k, (comp, field, temperature) in enumerate(RUNS):
            assert field in INDEPENDENT_FIELDS
            starts.append((interface(**comp, field=field, seed=7000 + k), temperature))
        picks = explore_and_pick(starts, args.model, args.steps, args.per_run, args.low, args.high,
                                 min_separation=3, tag="explore", explored_with=model_hash)
        append_frames(configs.with_suffix(".tmp.extxyz"), picks)
        configs.with_suffix(".tmp.extxyz").replace(configs)
    print(json.dumps(label(configs, out / "labelled.extxyz")))
