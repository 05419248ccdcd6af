"""E(F) and μz(F) of a structure with the oracle, as an xarray Dataset."""
from __future__ import annotations

import numpy as np
import xarray as xr

from mlpec_lab.reference.xtb import XTBReference


def oracle_field_scan(atoms, fields, **calc_kwargs) -> xr.Dataset:
    """Energy (eV) and dipole μz (e·Å) of ``atoms`` at each Fz in ``fields`` (V/Å)."""
    fields = np.asarray(fields, float)
    if fields.ndim != 1 or fields.size == 0:
        raise ValueError("fields must be a non-empty 1-D list of Fz values in V/Å")
    energy, mu_z = [], []
    for fz in fields:
        a = atoms.copy()
        a.calc = XTBReference(field=float(fz), **calc_kwargs)
        energy.append(a.get_potential_energy())
        mu_z.append(a.calc.results["dipole"][2])
    ds = xr.Dataset(
        {"energy": ("field", np.array(energy)), "dipole_z": ("field", np.array(mu_z))},
        coords={"field": fields},
        attrs={"method": "GFN1-xTB (tblite), REFERENCE_PROTOCOL.md",
               "formula": atoms.get_chemical_formula()},
    )
    ds.field.attrs["units"] = "V/Å"
    ds.energy.attrs["units"] = "eV"
    ds.dipole_z.attrs["units"] = "e·Å"
    return ds
