"""Does the oracle's energy hold the periodic cell's dipole energy −c μq²? (issue 4)

    OMP_NUM_THREADS=1 python data/model/make_cell_dipole_check.py data/model/cell_dipole_check.json

tblite treats the slab cell as 3D-periodic (REFERENCE_PROTOCOL.md section 4). An Ewald sum
with conducting boundaries then differs from the isolated slab by −c μq², μq = Σ q_i z_i
the z-moment of the (Mulliken) charges and c = 2π k_e / (A L_z)
(``mlpec_lab.potential.descriptors.cell_dipole_coefficient``). The test: the same
structures at L_z = 32 Å (the protocol's) and 64 Å, at fields that change μq. If the term is
there, E(32) − E(64) changes with the field as −[c(32) μq(32)² − c(64) μq(64)²] does; the
rest of E(32) − E(64) (the slab's own dependence on L_z) is the same at every field.
Structures: the bare 3×3×3 slab, one water on it, and 12 H2O + NaCl (``interface`` seed 0).
"""
import json
import shlex
import sys

import numpy as np

from mlpec_lab.potential.descriptors import cell_dipole_coefficient
from mlpec_lab.reference import XTBReference
from mlpec_lab.systems import interface

FIELDS = (-0.3, 0.0, 0.3)
HEIGHTS = (32.0, 64.0)
SYSTEMS = {"bare slab": {"n_water": 0}, "H2O*": {"n_water": 1},
           "12 H2O + NaCl": {"n_water": 12, "ions": "NaCl"}}


def oracle(atoms, lz, fz):
    """Energy (eV), μz (e·Å), μq = Σ q z (e·Å) and c (eV/(e·Å)²) at cell height lz."""
    b = atoms.copy()
    b.set_cell([atoms.cell[0], atoms.cell[1], [0.0, 0.0, lz]], scale_atoms=False)
    b.info["field"] = np.array([0.0, 0.0, fz])
    b.calc = XTBReference(validate=False)  # validate() insists on the protocol's 32 Å
    energy = b.get_potential_energy()
    muq = float(np.sum(b.calc.results["charges"] * b.positions[:, 2]))
    return energy, float(b.calc.results["dipole"][2]), muq, cell_dipole_coefficient(b)


if __name__ == "__main__":
    rows = []
    for name, kw in SYSTEMS.items():
        atoms = interface(**kw, layers=3, seed=0)
        for fz in FIELDS:
            (e1, mu1, q1, c1), (e2, mu2, q2, c2) = (oracle(atoms, lz, fz) for lz in HEIGHTS)
            rows.append({"system": name, "field": fz, "dE_32_minus_64": e1 - e2,
                         "predicted_cell_dipole_part": -(c1 * q1**2 - c2 * q2**2),
                         "mu_z": [mu1, mu2], "mu_q": [q1, q2], "c": [c1, c2]})
            print(json.dumps(rows[-1]), flush=True)
    summary = {}
    for name in SYSTEMS:
        r = [x for x in rows if x["system"] == name]
        ref = next(x for x in r if x["field"] == 0.0)
        summary[name] = {f"{x['field']:+.1f}": {
            "observed_change": round(x["dE_32_minus_64"] - ref["dE_32_minus_64"], 4),
            "predicted_change": round(x["predicted_cell_dipole_part"]
                                      - ref["predicted_cell_dipole_part"], 4)} for x in r}
    result = {"rows": rows, "change_from_zero_field_eV": summary, "units": "eV, e·Å, eV/(e·Å)²",
              "command": shlex.join(["python", *sys.argv])}
    with open(sys.argv[1], "w") as fh:
        json.dump(result, fh, indent=1)
    print(json.dumps(summary, indent=1))
