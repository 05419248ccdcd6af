"""Active learning from the long run: frames of the 20 ps NVE check that the committee
disagrees on, labelled with GFN1-xTB (see ``mlpec_lab.sampling.exploration``).

    OMP_NUM_THREADS=1 python data/training/make_nve_active_set.py MODEL NVE_TRAJECTORY OUT [--picks 24] [--workers 2]

e.g. MODEL = data/model/committee.pt, NVE_TRAJECTORY = out/nve/nve.extxyz (written by
``data/model/make_nve_check.py``), OUT = data/training/active3. The NVE run at +0.3 V/Å
pushes 3–4 molecules of the 16-water film up to the vacuum wall (z 20–24 Å), above every
training structure; these frames teach the model that expanded film (active4: a later
committee's run, whose Na⁺ hydrates 7 Å out). The committee's max force deviation is
computed for every frame, the trust window (default [0.15, 3) eV/Å) picks the
most uncertain, at least 8 frames (400 fs) apart. Picking runs once (OUT/configs.extxyz,
with the model's hash); labelling resumes.
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from mlpec_lab.datasets import append_frames, read_dataset
from mlpec_lab.potential.calculator import MLPotential
from mlpec_lab.potential.cli import add_trust_window_arguments
from mlpec_lab.reference.labelling import label
from mlpec_lab.sampling.exploration import select_uncertain

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("trajectory")
    p.add_argument("out")
    p.add_argument("--picks", type=int, default=24)
    p.add_argument("--workers", type=int, default=1, help="oracle processes")
    add_trust_window_arguments(p)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    configs = out / "configs.extxyz"
    if not configs.exists():
        model_hash = hashlib.sha256(Path(args.model).read_bytes()).hexdigest()[:16]
        calc = MLPotential(args.model, on_uncertainty="quiet")
        frames = read_dataset(args.trajectory).frames
        for a in frames:
            b = a.copy()
            b.calc = calc
            b.get_potential_energy()  # "quiet": the deviation is recorded, not warned about
            a.calc = None
            a.info.update(max_force_deviation=float(calc.results["max_force_deviation"]),
                          explored_with=model_hash, trajectory="nve_20ps")
        picks = select_uncertain(frames[1:], args.picks, args.low, args.high, min_separation=8)
        sigma = np.array([a.info["max_force_deviation"] for a in frames])
        print(f"{len(frames)} frames, σ median {np.median(sigma):.2f}, max {sigma.max():.2f} eV/Å; "
              f"picked {len(picks)}", flush=True)
        append_frames(configs.with_suffix(".tmp.extxyz"), picks)
        configs.with_suffix(".tmp.extxyz").replace(configs)
    print(json.dumps(label(configs, out / "labelled.extxyz", workers=args.workers)))
