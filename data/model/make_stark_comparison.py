"""Stark μ and α of the interface's pieces, shipped committee vs the oracle (issue 5).

    OMP_NUM_THREADS=1 python data/model/make_stark_comparison.py [MODEL] [OUT.json] [--oracle-from JSON]

For H2O*, OH*, H* on the 3×3×3 Pt(111) slab and the bare slab (``interface(...,
seed=0)``, fixed geometry): E(F) at 7 fields in [−0.3, 0.3] V/Å from the model and from
GFN1-xTB, each fitted to E0 − μF − ½αF² (``mlpec_lab.analysis.stark_response``). The
adsorbate's own share is (slab + adsorbate) − slab. Writes the fits, their standard
errors and model/oracle − 1. ``--oracle-from`` takes the oracle's fits from an earlier
output of this script (same structures and fields; the oracle is deterministic) instead of
calling it again (28 oracle calls, ~30 min on one core).
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np

from mlpec_lab.analysis import stark_response
from mlpec_lab.paths import SHIPPED_MODEL
from mlpec_lab.potential.calculator import ExtrapolationWarning
from mlpec_lab.systems import interface



def relative(model_value, reference_value, reference_stderr):
    """model/reference − 1, or None where the reference is zero within 10 standard errors
    (the bare slab's dipole, for instance)."""
    if abs(reference_value) <= 10 * max(reference_stderr, 1e-12):
        return None
    return model_value / reference_value - 1


PIECES = {"slab": dict(n_water=0), "H2O*": dict(n_water=1),
          "OH*": dict(n_water=0, adsorbates=("OH",)), "H*": dict(n_water=0, adsorbates=("H",))}

if __name__ == "__main__":
    warnings.simplefilter("ignore", ExtrapolationWarning)  # the fits are what is compared
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=str(SHIPPED_MODEL))
    ap.add_argument("out", nargs="?", default="data/model/stark_comparison.json")
    ap.add_argument("--oracle-from", help="an earlier output of this script: reuse its oracle fits")
    args = ap.parse_args()
    fields = np.linspace(-0.3, 0.3, 7)
    stored = None
    if args.oracle_from:
        with open(args.oracle_from) as fh:
            stored = json.load(fh)
        if not np.allclose(stored["fields_V_per_A"], fields):
            sys.exit(f"{args.oracle_from} was made at fields {stored['fields_V_per_A']}, not {fields.tolist()}")
    keys = ("dipole", "dipole_stderr", "polarizability", "polarizability_stderr")
    fits = {}
    for name, kw in PIECES.items():
        r = stark_response(interface(**kw, layers=3, seed=0), args.model, fields,
                           reference=None if stored else "oracle")
        fit = r.sel(estimate="fit")
        fits[name] = {src: {k: float(fit[k].sel(source=src)) for k in keys}
                      for src in r.source.values}
        if stored:
            fits[name]["reference"] = {k: stored["pieces"][name]["reference"][k] for k in keys}
    result = {"model": os.path.relpath(args.model),
              "oracle_from": os.path.relpath(args.oracle_from) if stored else None,
              "fields_V_per_A": fields.tolist(), "units": {"dipole": "e·Å", "polarizability": "e·Å²/V"},
              "pieces": fits, "adsorbate_share": {}}
    for name in ("H2O*", "OH*", "H*"):
        share = {}
        for src in ("model", "reference"):
            share[src] = {k: fits[name][src][k] - fits["slab"][src][k] for k in ("dipole", "polarizability")}
        share["relative_difference"] = {k: relative(share["model"][k], share["reference"][k], 0.0)
                                        for k in ("dipole", "polarizability")}
        result["adsorbate_share"][name] = share
    for name, fit in fits.items():
        fit["relative_difference"] = {k: relative(fit["model"][k], fit["reference"][k],
                                                  fit["reference"][f"{k}_stderr"])
                                      for k in ("dipole", "polarizability")}
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1)
    def pct(x):
        return "n/a" if x is None else f"{100 * x:+.1f} %"

    for name, fit in fits.items():
        rel = fit["relative_difference"]
        print(f"{name:5s} μ model {fit['model']['dipole']:+.4f} oracle {fit['reference']['dipole']:+.4f} "
              f"({pct(rel['dipole'])}) · α model {fit['model']['polarizability']:.4f} "
              f"oracle {fit['reference']['polarizability']:.4f} ({pct(rel['polarizability'])})")
    for name, share in result["adsorbate_share"].items():
        print(f"{name:5s} share: μ model {share['model']['dipole']:+.4f} oracle {share['reference']['dipole']:+.4f} · "
              f"α model {share['model']['polarizability']:+.4f} oracle {share['reference']['polarizability']:+.4f}")
