"""Does one water on Pt(111) turn over with the field? The oracle against a model (issue 5).

    OMP_NUM_THREADS=1 python data/model/make_orientation_check.py OUT.json [MODEL]

(the oracle's rows of an existing OUT.json are reused; the model is always rerun).

One water above a top site of the bare 3×3×3 slab (``interface(n_water=0, seed=0)``), its
dipole along the normal either H-up (cos θ = +1) or H-down (−1), relaxed by BFGS (fmax
0.05 eV/Å, the symmetry keeps the orientation) at Fz = −0.5, 0, +0.5 V/Å, by the oracle
(GFN1-xTB) and by MODEL (default: the shipped committee). Reports the relaxed energies and
ΔE = E(H-down) − E(H-up): positive where H-up is preferred. A field along +z pushes the
protons up, so ΔE should grow with Fz; where it changes sign the preferred orientation
flips.
"""
import json
import os
import sys
import warnings

import numpy as np
from ase.build import molecule
from ase.optimize import BFGS

from mlpec_lab.paths import SHIPPED_MODEL
from mlpec_lab.potential.calculator import ExtrapolationWarning, MLPotential
from mlpec_lab.reference import XTBReference
from mlpec_lab.systems import interface

FIELDS = (-0.5, 0.0, 0.5)


def water_on_slab(h_up: bool):
    """The slab with one water 2.4 Å above its last top-layer atom, dipole along ±z."""
    slab = interface(n_water=0, layers=3, seed=0)
    water = molecule("H2O")  # ASE's water has its hydrogens below the oxygen: H-down
    if h_up:
        water.rotate(180, "x")
    top = slab.positions[:, 2].max()
    water.translate([slab.positions[-1, 0], slab.positions[-1, 1], top + 2.4] - water.positions[0])
    return slab + water


def relaxed(h_up, field, calc):
    atoms = water_on_slab(h_up)
    atoms.info["field"] = np.array([0.0, 0.0, field])
    atoms.calc = calc
    BFGS(atoms, logfile=None).run(fmax=0.05, steps=200)
    o, h1, h2 = atoms.positions[-3:]
    dipole = (h1 + h2) / 2 - o
    return {"energy": atoms.get_potential_energy(), "cos_theta": float(dipole[2] / np.linalg.norm(dipole)),
            "o_height": float(o[2] - atoms.positions[:-3, 2].max())}


if __name__ == "__main__":
    warnings.simplefilter("ignore", ExtrapolationWarning)
    out = sys.argv[1]
    model = sys.argv[2] if len(sys.argv) > 2 else str(SHIPPED_MODEL)
    name = sys.argv[2] if len(sys.argv) > 2 else "data/model/committee.pt"
    sources = {"oracle": XTBReference, name: lambda: MLPotential(model, on_uncertainty="quiet")}
    result = {"fields_V_per_A": FIELDS, "units": {"energy": "eV", "o_height": "Å"}, "sources": {}}
    if os.path.exists(out):  # the oracle's rows of an existing OUT.json are reused
        result["sources"]["oracle"] = json.load(open(out))["sources"]["oracle"]
    for name, make in sources.items():
        if name in result["sources"]:
            continue
        rows = []
        for f in FIELDS:
            up, down = relaxed(True, f, make()), relaxed(False, f, make())
            rows.append({"field": f, "h_up": up, "h_down": down,
                         "delta_E_down_minus_up": down["energy"] - up["energy"]})
            print(name, f, round(rows[-1]["delta_E_down_minus_up"], 3), flush=True)
        result["sources"][name] = rows
    with open(out, "w") as fh:
        json.dump(result, fh, indent=1)
