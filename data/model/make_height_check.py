"""Field-driven charge transfer to a distant water: the oracle against ML models.

    OMP_NUM_THREADS=1 python data/model/make_height_check.py OUT.json [MODEL ...]

(the oracle's rows of an existing OUT.json are reused; the models are always rerun).

One water (the builder's first molecule, its geometry kept) at heights h above the top
Pt layer of the bare 3×3×3 slab (``interface(n_water=0, seed=0)``), at Fz = −0.3, 0 and
+0.3 V/Å. For each: the oracle's energy, μz and the water's Mulliken charge (GFN1-xTB,
REFERENCE_PROTOCOL.md), and each model's energy and μz. A water beyond every cutoff is
the same local environment at every height, so a purely local model gives the same
E(h) − E(h₀) and μz(h) − μz(h₀) at each field; the oracle does not (at +0.3 V/Å the
water gives electrons to the metal, more the higher it sits).
"""
import json
import sys
import warnings

import numpy as np

from mlpec_lab.potential.calculator import ExtrapolationWarning, MLPotential
from mlpec_lab.reference import XTBReference
from mlpec_lab.reference.xtb import SCFConvergenceError
from mlpec_lab.systems import interface

HEIGHTS = (5.0, 7.0, 9.0, 11.0, 13.0)  # Å above the top Pt layer (the water's lowest atom)
FIELDS = (-0.3, 0.0, 0.3)


def structure(h):
    slab = interface(n_water=0, layers=3, seed=0)
    water = interface(n_water=1, layers=3, seed=0)[len(slab):]
    water.positions[:, 2] += slab.positions[:, 2].max() + h - water.positions[:, 2].min()
    return slab + water


if __name__ == "__main__":
    warnings.simplefilter("ignore", ExtrapolationWarning)
    out, models = sys.argv[1], sys.argv[2:]
    calcs = {m: MLPotential(m, on_uncertainty="quiet") for m in models}
    try:  # the oracle's rows of an earlier run are reused (same structures, same protocol)
        with open(out) as fh:
            done = {(r["field"], r["height"]): r["oracle"] for r in json.load(fh)["rows"]}
    except FileNotFoundError:
        done = {}
    rows = []
    for f in FIELDS:
        for h in HEIGHTS:
            atoms = structure(h)
            atoms.info["field"] = np.array([0.0, 0.0, f])
            row = {"field": f, "height": h, "oracle": done.get((f, h))}
            if row["oracle"] is None:
                ref = XTBReference()
                atoms.calc = ref
                try:
                    row["oracle"] = {"energy": atoms.get_potential_energy(),
                                     "dipole_z": float(ref.results["dipole"][2]),
                                     "water_charge": float(ref.results["charges"][-3:].sum())}
                except SCFConvergenceError as exc:
                    row["oracle"] = {"failed": str(exc)[:300]}
            for name, calc in calcs.items():
                atoms.calc = calc
                row[name] = {"energy": atoms.get_potential_energy(),
                             "dipole_z": float(calc.results["dipole"][2]),
                             "water_charge": float(calc.results["charges"][-3:].sum()),
                             "max_force_deviation": calc.results["max_force_deviation"]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(out, "w") as fh:
        json.dump({"heights_A": HEIGHTS, "fields_V_per_A": FIELDS, "rows": rows,
                   "units": {"energy": "eV", "dipole_z": "e·Å", "water_charge": "e"}}, fh, indent=1)
