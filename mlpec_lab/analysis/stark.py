"""Stark response: E(F) over a field range, fitted to E0 − μF − ½αF² (and a cubic check).

Sign convention (REFERENCE_PROTOCOL.md section 3): dE/dFz = −μz, α = dμz/dFz > 0.
Fits are weighted linear least squares. With energy standard errors given
(``energy_sem``), the covariance is (XᵀWX)⁻¹ (absolute errors); without them, each point
has weight 1 and the covariance is scaled by the residual variance RSS/(n − p).
"""
from __future__ import annotations

import os

import numpy as np
import xarray as xr

#: what each fitted coefficient is, its units, and its factor in E(F)
_TERMS = [("energy_zero", "eV", 1.0), ("dipole", "e·Å", -1.0),
          ("polarizability", "e·Å²/V", -0.5), ("hyperpolarizability", "e·Å³/V²", -1.0 / 6.0)]


def _lstsq(f, e, sem, order):
    X = np.column_stack([factor * f ** k for k, (_, _, factor) in enumerate(_TERMS[:order + 1])])
    w = np.ones_like(e) if sem is None else 1.0 / sem ** 2
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    coef = cov @ X.T @ (w * e)
    resid = e - X @ coef
    dof = len(e) - X.shape[1]
    chi2 = float((w * resid ** 2).sum())
    if sem is None:
        cov = cov * (chi2 / dof if dof > 0 else np.nan)
    return coef, cov, resid, chi2, dof


def fit_stark(energy, field=None, energy_sem=None) -> xr.Dataset:
    """Fit E(F) = E0 − μF − ½αF² (and E0 − μF − ½αF² − ⅙βF³ as a check).

    energy: eV, a DataArray with dim ``field`` or an array with ``field`` (V/Å);
    energy_sem: eV per point (None: estimated from the residuals). Needs ≥ 3 distinct
    fields (≥ 4 for the cubic check). Returns scalars ``energy_zero`` (eV), ``dipole``
    (e·Å), ``polarizability`` (e·Å²/V), each with ``*_stderr``, the cubic fit's
    ``*_cubic`` values and ``hyperpolarizability``(±stderr), ``reduced_chi2``, and along
    ``field``: ``energy``, ``energy_fit``, ``residual``.
    """
    if isinstance(energy, xr.DataArray):
        if "field" not in energy.dims:
            raise ValueError("the energies need a 'field' dimension")
        field = energy.field.values if field is None else field
    if field is None:
        raise ValueError("give the fields (V/Å) at which the energies were computed")
    f = np.asarray(field, float).ravel()
    e = np.asarray(getattr(energy, "values", energy), float).ravel()
    if len(f) != len(e):
        raise ValueError(f"{len(e)} energies for {len(f)} fields")
    if len(np.unique(f)) < 3:
        raise ValueError(f"a quadratic Stark fit needs at least 3 distinct fields, got {len(np.unique(f))}")
    if not np.all(np.isfinite(e)):
        raise ValueError("some energies are not finite")
    sem = None if energy_sem is None else np.broadcast_to(
        np.asarray(getattr(energy_sem, "values", energy_sem), float), e.shape).copy()
    if sem is not None and not np.all(sem > 0):
        raise ValueError("energy_sem must be positive")
    coef, cov, resid, chi2, dof = _lstsq(f, e, sem, 2)
    out = {"energy": ("field", e), "energy_fit": ("field", e - resid), "residual": ("field", resid)}
    for k, (name, _, _) in enumerate(_TERMS[:3]):
        out[name] = coef[k]
        out[f"{name}_stderr"] = np.sqrt(cov[k, k])
    out["reduced_chi2"] = chi2 / dof if dof > 0 else np.nan
    if len(np.unique(f)) >= 4:
        c3, cov3, _, _, _ = _lstsq(f, e, sem, 3)
        for k, (name, _, _) in enumerate(_TERMS[:4]):
            key = name if k == 3 else f"{name}_cubic"
            out[key] = c3[k]
            out[f"{key}_stderr"] = np.sqrt(cov3[k, k])
    ds = xr.Dataset(out, coords={"field": f}, attrs={
        "model": "E(F) = E0 − μF − ½αF² (cubic check: − ⅙βF³)",
        "method": "weighted linear least squares, " + (
            "absolute energy errors" if sem is not None else "errors scaled by the residual variance"),
        "n_points": len(f)})
    for name, unit, _ in _TERMS:
        for key in (name, f"{name}_stderr", f"{name}_cubic", f"{name}_cubic_stderr"):
            if key in ds:
                ds[key].attrs["units"] = unit
    for key in ("energy", "energy_fit", "residual"):
        ds[key].attrs["units"] = "eV"
    ds.field.attrs["units"] = "V/Å"
    ds.reduced_chi2.attrs["units"] = "1"
    return ds


def calculator_factory(model, on_uncertainty: str = "warn"):
    """``field → ASE Calculator`` from "oracle" (GFN1-xTB, :class:`XTBReference`), a model
    file path (:class:`MLPotential`, with ``on_uncertainty``: "warn", "raise" or "quiet"),
    or a callable (returned as is)."""
    if callable(model):
        return model
    if model == "oracle":
        from mlpec_lab.reference.xtb import XTBReference

        return lambda fz: XTBReference(field=float(fz))
    if isinstance(model, (str, os.PathLike)):
        if not os.path.exists(model):
            raise FileNotFoundError(f"model file {os.fspath(model)!r} does not exist "
                                    "(give a model file, or 'oracle' for GFN1-xTB)")
        from mlpec_lab.potential.calculator import MLPotential

        calc = MLPotential(os.fspath(model), on_uncertainty=on_uncertainty)
        members_payload = (calc.members, calc.payload)
        return lambda fz: MLPotential(members_payload, field=float(fz), on_uncertainty=on_uncertainty)
    raise TypeError(f"model must be 'oracle', a model file path or a callable field → "
                    f"Calculator, got {type(model).__name__}")


def stark_scan(atoms, model, fields) -> xr.Dataset:
    """Energy (eV), μz (e·Å) and, when the calculator gives it, α_zz (e·Å²/V) of
    ``atoms`` at each Fz in ``fields`` (V/Å). model: see :func:`calculator_factory`."""
    fields = np.asarray(fields, float).ravel()
    if fields.size == 0:
        raise ValueError("fields must be a non-empty list of Fz values in V/Å")
    make = calculator_factory(model)
    energy, dipole, alpha = [], [], []
    for fz in fields:
        a = atoms.copy()
        a.info["field"] = np.array([0.0, 0.0, fz])
        a.calc = make(fz)
        energy.append(a.get_potential_energy())
        res = a.calc.results
        dipole.append(np.ravel(res["dipole"])[2] if "dipole" in res else np.nan)
        alpha.append(float(res["polarizability_zz"]) if "polarizability_zz" in res else np.nan)
    ds = xr.Dataset({"energy": ("field", np.array(energy)), "dipole_z": ("field", np.array(dipole)),
                     "polarizability_zz": ("field", np.array(alpha))},
                    coords={"field": fields},
                    attrs={"formula": atoms.get_chemical_formula()})
    ds.energy.attrs["units"] = "eV"
    ds.dipole_z.attrs["units"] = "e·Å"
    ds.polarizability_zz.attrs["units"] = "e·Å²/V"
    ds.field.attrs["units"] = "V/Å"
    return ds


def finite_field(scan: xr.Dataset) -> dict:
    """μz(0) and α = dμz/dFz at F = 0 from the scan's own dipoles: a straight-line fit
    μz(F) over the fields nearest zero (three, or all if fewer)."""
    mu = scan.dipole_z.values
    f = scan.field.values
    ok = np.isfinite(mu)
    if ok.sum() < 2:
        return {"dipole": np.nan, "polarizability": np.nan}
    near = np.argsort(np.abs(f[ok]))[:3]
    slope, icpt = np.polyfit(f[ok][near], mu[ok][near], 1)
    return {"dipole": float(icpt), "polarizability": float(slope)}


def stark_response(atoms, model, fields, energy_sem=None, reference=None) -> xr.Dataset:
    """Stark analysis of ``atoms`` with ``model`` over ``fields`` (V/Å).

    Fits E(F) (:func:`fit_stark`), and compares along dim ``estimate`` the dipole and
    polarizability from: ``fit`` (quadratic fit of E(F)), ``fit_cubic``, ``analytic``
    (the calculator's own dipole and polarizability_zz results at F = 0, NaN where it
    has none) and ``finite_field`` (dμz/dF from the scan's dipoles). reference: another
    model (e.g. "oracle") scanned at the same fields; its estimates go along dim
    ``source`` = ["model", "reference"].
    """
    fields = np.asarray(fields, float).ravel()
    if len(np.unique(fields)) < 3:
        raise ValueError(f"a Stark fit needs at least 3 distinct fields, got {list(fields)}")
    sources = [("model", model)] + ([("reference", reference)] if reference is not None else [])
    blocks = []
    for label, m in sources:
        scan = stark_scan(atoms, m, fields)
        fit = fit_stark(scan.energy, energy_sem=energy_sem)
        at0 = stark_scan(atoms, m, [0.0]) if 0.0 not in fields else scan.sel(field=[0.0])
        ff = finite_field(scan)
        est = ["fit", "fit_cubic", "analytic", "finite_field"]
        g = lambda key: float(fit[key]) if key in fit else np.nan  # noqa: E731
        mu = [g("dipole"), g("dipole_cubic"), at0.dipole_z.values[0], ff["dipole"]]
        al = [g("polarizability"), g("polarizability_cubic"), at0.polarizability_zz.values[0],
              ff["polarizability"]]
        mu_se = [g("dipole_stderr"), g("dipole_cubic_stderr"), np.nan, np.nan]
        al_se = [g("polarizability_stderr"), g("polarizability_cubic_stderr"), np.nan, np.nan]
        ds = xr.Dataset({
            "energy": scan.energy, "dipole_z": scan.dipole_z, "energy_fit": fit.energy_fit,
            "dipole": ("estimate", np.array(mu, float)), "dipole_stderr": ("estimate", np.array(mu_se, float)),
            "polarizability": ("estimate", np.array(al, float)),
            "polarizability_stderr": ("estimate", np.array(al_se, float)),
            "hyperpolarizability": g("hyperpolarizability"),
            "hyperpolarizability_stderr": g("hyperpolarizability_stderr"),
            "reduced_chi2": g("reduced_chi2")}, coords={"estimate": est})
        blocks.append(ds.expand_dims(source=[label]))
    out = xr.concat(blocks, dim="source")
    out.attrs.update(formula=atoms.get_chemical_formula(), model=str(model) if not callable(model) else
                     getattr(model, "__name__", "callable"), fit_method=fit.attrs["method"],
                     convention="E(F) = E0 − μF − ½αF²; dE/dFz = −μz (REFERENCE_PROTOCOL.md §3)")
    for k, u in {"energy": "eV", "energy_fit": "eV", "dipole_z": "e·Å", "dipole": "e·Å",
                 "dipole_stderr": "e·Å", "polarizability": "e·Å²/V",
                 "polarizability_stderr": "e·Å²/V", "hyperpolarizability": "e·Å³/V²",
                 "hyperpolarizability_stderr": "e·Å³/V²", "reduced_chi2": "1"}.items():
        out[k].attrs["units"] = u
    out.field.attrs["units"] = "V/Å"
    return out
