"""How well ML models fit μz on the Stark training frames, per adsorbate and field.

    OMP_NUM_THREADS=1 python data/model/make_stark_frames_check.py OUT.json MODEL [MODEL ...] [--frames F]

The frames of ``data/training/stark/labelled.extxyz`` (the bare 3×3×3 slab, H2O*, OH*,
O* and H* with the adsorbate rattled, at Fz from −0.5 to 0.5 V/Å) are training data of
every committee, so on them this is a fit check, not a test: it tells whether a model's
Stark dipole of H* (``make_stark_comparison.py``, the same slab and site) is off because
the model misfits these frames or because the unrattled structure lies outside them.
``--frames data/training/stark2/labelled.extxyz`` (the same pieces, other seeds) makes it a
held-out check for a model not trained on those. For each model and trajectory: mean and
RMS of μz(model) − μz(oracle) (e·Å) at each field.
"""
import argparse
import json
import warnings

import numpy as np
from ase.io import read

from mlpec_lab.potential.calculator import ExtrapolationWarning, MLPotential

FRAMES = "data/training/stark/labelled.extxyz"


def dipole_errors(model, frames):
    """{trajectory: {Fz: [μz(model) − μz(oracle), ...]}} in e·Å."""
    calc = MLPotential(model, on_uncertainty="quiet")
    errors = {}
    for frame in frames:
        atoms = frame.copy()  # info["field"] comes along
        atoms.calc = calc
        fz = round(float(frame.info["field"][2]), 4)
        diff = atoms.get_dipole_moment()[2] - frame.calc.results["dipole"][2]
        errors.setdefault(frame.info["trajectory"], {}).setdefault(fz, []).append(float(diff))
    return errors


if __name__ == "__main__":
    warnings.simplefilter("ignore", ExtrapolationWarning)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--frames", default=FRAMES, help="labelled extxyz with trajectory=stark_* frames")
    args = ap.parse_args()
    frames = read(args.frames, ":")
    result = {"frames": args.frames, "units": {"dipole_error": "e·Å", "field": "V/Å"}, "models": {}}
    for model in args.models:
        rows = {}
        for traj, by_field in sorted(dipole_errors(model, frames).items()):
            every = np.concatenate([np.array(v) for v in by_field.values()])
            row = rows[traj] = {"mean": float(every.mean()), "rms": float(np.sqrt((every ** 2).mean())),
                                "by_field": {str(f): {"n": len(v), "mean": float(np.mean(v))}
                                             for f, v in sorted(by_field.items())}}
            zero = row["by_field"].get("0.0")
            print(f"{model} {traj:11s} mean {row['mean']:+.3f} rms {row['rms']:.3f} e·Å"
                  + (f"; at Fz = 0: {zero['mean']:+.3f}" if zero else ""))
        result["models"][model] = rows
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1)
