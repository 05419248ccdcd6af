"""Charge density, Poisson potential profile, potential drop, surface charge, capacitance.

Conventions (REFERENCE_PROTOCOL.md section 3: Fz > 0 points from the metal into the
electrolyte and charges the top face of the metal positively):

- z is measured from the top Pt layer (as in :mod:`mlpec_lab.analysis.profiles`).
- Poisson: φ'' = −ρ/ε0 along z, laterally averaged. E(z) = −φ'(z) is integrated
  from a reference plane z_ref *inside the metal* (default: the mid-plane of the Pt
  atoms), where the metal is field-free and φ = 0: E(z) = E_ref + (1/ε0)∫_{z_ref}^z ρ dz'
  with E_ref = 0 by default, φ(z) = −∫_{z_ref}^z E dz'. Above the system, E then equals
  the charge between z_ref and z divided by ε0 — the applied field Fz when the model's
  charges obey Gauss's law for the applied field.
- Potential drop: Δφ = φ(metal) − φ(solution) = −φ(z_solution) (φ averaged over a
  ``window`` around z_solution). Δφ > 0: the electrode is at a higher potential than the
  solution (a positively charged electrode gives Δφ > 0).
- Surface charge: σ = ε0 Fz (Gauss's law with a field-free metal and the applied field
  Fz beyond the interface), reported in µC/cm²; the charge the model puts on the
  metal atoms above z_ref is reported beside it as ``metal_charge``.
- Differential capacitance C = dσ/dΔφ in µF/cm² (positive for a normal interface).
"""
from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.integrate import cumulative_trapezoid

from mlpec_lab.analysis.blocking import block_average
from mlpec_lab.analysis.trajectory import (as_frames, frame_atomic_dipoles, frame_charges,
                                           lateral_area, surface_z)
from mlpec_lab.units import E_PER_A2_IN_UC_PER_CM2, EPSILON0_E_PER_V_ANGSTROM as EPS0

UC_PER_CM2 = "µC/cm²"


def _grid(first, bin_width, z_range, z0):
    lo, hi = z_range or (-z0, first.cell.array[2, 2] - z0)
    if not hi > lo or bin_width <= 0:
        raise ValueError(f"need z_range (lo, hi) with hi > lo and bin_width > 0, got {(lo, hi)}, {bin_width}")
    n = max(2, int(round((hi - lo) / bin_width)))
    return np.linspace(lo, hi, n + 1)


def _metal_mid(atoms, z0):
    pt = atoms.numbers == 78
    return float(0.5 * (atoms.positions[pt, 2].min() + atoms.positions[pt, 2].max()) - z0) if pt.any() else np.nan


def charge_density(trajectory, charges=None, bin_width: float = 0.1, smearing: float | None = 0.5,
                   z_range=None, surface="auto", per_frame: bool = False) -> xr.DataArray:
    """Laterally averaged charge density ρ(z), e/Å³, from per-atom charges and dipoles.

    charges: None (each frame's model charges and atomic dipoles, see
    :func:`mlpec_lab.analysis.trajectory.frame_charges` and ``frame_atomic_dipoles``),
    an (n,) array or a dict element → e (point charges alone); smearing: Gaussian σ in Å
    (each charge a normalised Gaussian g in z, each dipole p_i the density −p_i g', both
    evaluated at bin centres), or None for plain binning (ρ = histogram of q / (A·dz)
    minus the derivative of the binned dipole density, by central differences);
    z_range (lo, hi) Å relative to the surface (default: the whole cell).
    Returns dims (z,) — or (frame, z) with ``per_frame`` — and attrs ``units``,
    ``surface_z`` (Å, absolute), ``metal_mid_z`` (Å, relative, NaN without Pt).
    """
    frames = as_frames(trajectory)
    z0 = surface_z(frames[0], surface)
    edges = _grid(frames[0], bin_width, z_range, z0)
    zc = 0.5 * (edges[1:] + edges[:-1])
    rho = np.zeros((len(frames), len(zc)))
    for k, atoms in enumerate(frames):
        q = frame_charges(atoms, charges)
        p = frame_atomic_dipoles(atoms, charges)
        z = atoms.positions[:, 2] - surface_z(atoms, surface)
        area = lateral_area(atoms)
        if smearing is None:
            polarization = np.histogram(z, edges, weights=p)[0] / (area * np.diff(edges))
            rho[k] = (np.histogram(z, edges, weights=q)[0] / (area * np.diff(edges))
                      - np.gradient(polarization, zc))
        else:
            s = float(smearing)
            if s <= 0:
                raise ValueError(f"smearing must be a positive width in Å or None, got {smearing}")
            dz = zc[None, :] - z[:, None]
            g = np.exp(-0.5 * (dz / s) ** 2) / (np.sqrt(2 * np.pi) * s)
            rho[k] = (q @ g + p @ (g * dz / s**2)) / area
    da = xr.DataArray(rho if per_frame else rho.mean(0),
                      dims=("frame", "z") if per_frame else ("z",),
                      coords={"z": zc}, name="charge_density",
                      attrs={"units": "e/Å³", "long_name": "charge density ρ(z)",
                             "surface_z": z0, "metal_mid_z": _metal_mid(frames[0], z0),
                             "method": "binned" if smearing is None else
                                       f"Gaussian-smeared, σ = {smearing} Å",
                             "n_frames": len(frames)})
    da.z.attrs.update(units="Å", long_name="height above the electrode surface")
    return da


def potential_profile(rho: xr.DataArray, z_ref: float | None = None,
                      field_ref: float = 0.0) -> xr.Dataset:
    """Integrate Poisson's equation for a laterally averaged ρ(z) (dim ``z``, e/Å³; other
    dims, e.g. frame or field, are carried along).

    z_ref: Å, plane where E = field_ref (V/Å) and φ = 0 (default: ``rho.attrs
    ["metal_mid_z"]``, the middle of the metal, else the lowest z). Returns
    ``charge_density`` (e/Å³), ``cumulative_charge`` ∫_{z_ref}^z ρ (e/Å²),
    ``electric_field`` E(z) (V/Å) and ``potential`` φ(z) (V).
    """
    if "z" not in rho.dims:
        raise ValueError(f"the charge density needs a 'z' dimension, got dims {rho.dims}")
    z = rho.z.values
    if z_ref is None:
        z_ref = rho.attrs.get("metal_mid_z", np.nan)
        z_ref = float(z[0]) if not np.isfinite(z_ref) else float(z_ref)
    if not z[0] <= z_ref <= z[-1]:
        raise ValueError(f"z_ref = {z_ref} Å is outside the profile's z range [{z[0]}, {z[-1]}] Å")
    axis = rho.get_axis_num("z")
    r = np.moveaxis(rho.values, axis, -1)

    def from_ref(y):
        c = cumulative_trapezoid(y, z, axis=-1, initial=0.0)
        at = np.apply_along_axis(lambda row: np.interp(z_ref, z, row), -1, c)
        return c - at[..., None]

    q = from_ref(r)
    e = field_ref + q / EPS0
    phi = -from_ref(e)
    dims = rho.dims[:axis] + rho.dims[axis + 1:] + ("z",)
    out = {"charge_density": (dims, r), "cumulative_charge": (dims, q),
           "electric_field": (dims, e), "potential": (dims, phi)}
    ds = xr.Dataset(out, coords=rho.coords, attrs={
        "z_ref": z_ref, "field_ref": field_ref,
        "convention": "φ'' = −ρ/ε0; E = field_ref and φ = 0 at z_ref (in the metal); "
                      "E = −dφ/dz, +z from the metal into the electrolyte"})
    ds = ds.transpose(*rho.dims)
    units = {"charge_density": "e/Å³", "cumulative_charge": "e/Å²",
             "electric_field": "V/Å", "potential": "V"}
    for k, u in units.items():
        ds[k].attrs["units"] = u
    ds.z.attrs.setdefault("units", "Å")
    return ds


def potential_drop(profile: xr.Dataset, z_solution: float, window: float = 1.0,
                   z_metal: float | None = None) -> xr.DataArray:
    """Δφ = φ(metal) − φ(solution), V, from :func:`potential_profile`.

    φ(solution) is φ averaged over [z_solution ± window/2] (Å from the surface);
    φ(metal) is φ at z_metal (default z_ref, where φ = 0). Other dims are kept.
    """
    z = profile.z.values
    sel = np.abs(z - z_solution) <= 0.5 * window
    if not sel.any():
        raise ValueError(f"z_solution = {z_solution} Å (window {window} Å) holds no grid point "
                         f"of the profile ([{z[0]:.2f}, {z[-1]:.2f}] Å)")
    phi = profile.potential
    phi_s = phi.isel(z=np.nonzero(sel)[0]).mean("z")
    phi_m = phi.interp(z=profile.attrs["z_ref"] if z_metal is None else z_metal)
    out = (phi_m - phi_s).drop_vars("z", errors="ignore")
    out.name = "potential_drop"
    out.attrs.update(units="V", long_name="Δφ = φ(metal) − φ(solution)",
                     z_solution=z_solution, window=window)
    return out


def surface_charge(field) -> xr.DataArray:
    """σ = ε0 Fz in µC/cm² for Fz (V/Å); dims of ``field`` kept (dim ``field`` for a list)."""
    f = field if isinstance(field, xr.DataArray) else xr.DataArray(
        np.asarray(field, float), dims=("field",) if np.ndim(field) else (),
        coords={"field": np.asarray(field, float)} if np.ndim(field) else None)
    out = f * EPS0 * E_PER_A2_IN_UC_PER_CM2
    out.name = "surface_charge"
    out.attrs.update(units=UC_PER_CM2, long_name="σ = ε0 Fz (Gauss, field-free metal)")
    return out


def interface_electrostatics(trajectory, charges=None, z_solution: float | None = None,
                             window: float = 2.0, bin_width: float = 0.1,
                             smearing: float | None = 0.5, field: float | None = None,
                             n_blocks: int | None = None, surface="auto") -> xr.Dataset:
    """ρ(z), E(z), φ(z) averaged over frames, and the potential drop with a block-averaged
    standard error (one Poisson solution per frame).

    z_solution: Å above the surface (default: midway between the surface and the mean
    topmost solvent atom, tag 0); field: Fz V/Å (default: ``info["field"]`` of frame 0).
    Returns the mean profile variables (dim z), ``potential_drop``, ``potential_drop_sem``,
    ``potential_drop_series`` (dim frame), ``surface_charge`` (σ = ε0 Fz, µC/cm²) and
    ``metal_charge`` (model charge on Pt atoms above the metal mid-plane, µC/cm²).
    """
    frames = as_frames(trajectory)
    rho = charge_density(frames, charges, bin_width, smearing, surface=surface, per_frame=True)
    prof = potential_profile(rho)
    if z_solution is None:
        tops = [a.positions[a.get_tags() == 0, 2].max() - surface_z(a, surface)
                for a in frames if (a.get_tags() == 0).any()]
        if not tops:
            raise ValueError("no solvent atoms (tag 0) to place the solution plane: pass z_solution")
        z_solution = 0.5 * float(np.mean(tops))
    series = potential_drop(prof, z_solution, window)
    blocks = block_average(series.values, n_blocks) if len(frames) >= 8 else None
    fz = field if field is not None else float(np.ravel(frames[0].info.get("field", 0.0))[-1])
    metal = []
    for a in frames:
        z = a.positions[:, 2] - surface_z(a, surface)
        upper = (a.numbers == 78) & (z > rho.attrs["metal_mid_z"])
        metal.append(frame_charges(a, charges)[upper].sum() / lateral_area(a))
    ds = prof.mean("frame")
    ds["potential_drop_series"] = series
    ds["potential_drop"] = series.mean("frame")
    ds["potential_drop_sem"] = (float(blocks.sem) if blocks is not None else
                                float(series.std("frame", ddof=1) / np.sqrt(len(frames)))
                                if len(frames) > 1 else np.nan)
    ds["surface_charge"] = surface_charge(fz)
    ds["metal_charge"] = float(np.mean(metal)) * E_PER_A2_IN_UC_PER_CM2
    for k in ("potential_drop_series", "potential_drop", "potential_drop_sem"):
        ds[k].attrs["units"] = "V"
    ds.metal_charge.attrs.update(units=UC_PER_CM2, long_name="model charge on the upper half of the metal")
    ds.attrs.update(prof.attrs, z_solution=z_solution, window=window, field_value=fz,
                    n_frames=len(frames), sem_method=blocks.attrs["method"] if blocks is not None
                    else "naive SE over frames (fewer than 8 frames)")
    return ds


def differential_capacitance(potential_drop, potential_drop_sem=None, field=None) -> xr.Dataset:
    """C = dσ/dΔφ (µF/cm²) from a field scan.

    potential_drop: DataArray with dim ``field`` (V/Å coordinate), or an
    :func:`interface_electrostatics` Dataset concatenated along ``field``;
    potential_drop_sem: its standard errors (V). σ = ε0 Fz. Returns, along ``field``,
    ``surface_charge``, ``potential_drop``(±sem) and the local ``capacitance`` (central
    differences, one-sided at the ends; error propagated from Δφ's SEs), and scalars
    ``capacitance_fit`` ± ``capacitance_fit_sem`` (weighted straight line Δφ(σ) over the
    scan) and ``potential_of_zero_charge`` (Δφ at σ = 0, V).
    """
    if isinstance(potential_drop, xr.Dataset):
        potential_drop_sem = potential_drop.get("potential_drop_sem") if potential_drop_sem is None else potential_drop_sem
        potential_drop = potential_drop["potential_drop"]
    if not isinstance(potential_drop, xr.DataArray):
        if field is None:
            raise ValueError("give the fields (V/Å) of the potential drops")
        potential_drop = xr.DataArray(np.asarray(potential_drop, float), dims="field",
                                      coords={"field": np.asarray(field, float)})
    if "field" not in potential_drop.dims:
        raise ValueError("the potential drops need a 'field' dimension (one per applied field)")
    order = np.argsort(potential_drop.field.values)
    f = potential_drop.field.values[order]
    dphi = np.asarray(potential_drop.values, float)[order]
    if len(f) < 2 or len(np.unique(f)) != len(f):
        raise ValueError(f"a capacitance needs at least 2 distinct fields, got {list(f)}")
    se = (np.zeros_like(dphi) if potential_drop_sem is None
          else np.asarray(getattr(potential_drop_sem, "values", potential_drop_sem), float).reshape(-1)[order])
    sigma = surface_charge(f).values
    idx = np.arange(len(f))
    lo, hi = np.maximum(idx - 1, 0), np.minimum(idx + 1, len(f) - 1)
    ddphi = dphi[hi] - dphi[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (sigma[hi] - sigma[lo]) / ddphi
        c_se = np.abs(c) * np.hypot(se[hi], se[lo]) / np.abs(ddphi)
    # weighted fit Δφ = a + b σ (weights 1/SE² when all SEs are positive), C = 1/b
    w = 1.0 / se ** 2 if np.all(se > 0) else np.ones_like(se)
    X = np.column_stack([np.ones_like(sigma), sigma])
    cov = np.linalg.pinv(X.T @ (w[:, None] * X))
    a, b = cov @ X.T @ (w * dphi)
    if not np.all(se > 0):  # no SEs: scale by the residual variance
        dof = max(len(f) - 2, 1)
        cov = cov * float(((dphi - a - b * sigma) ** 2).sum() / dof)
    ds = xr.Dataset({"surface_charge": ("field", sigma), "potential_drop": ("field", dphi),
                     "potential_drop_sem": ("field", se), "capacitance": ("field", c),
                     "capacitance_sem": ("field", c_se), "capacitance_fit": 1.0 / b,
                     "capacitance_fit_sem": np.sqrt(cov[1, 1]) / b ** 2,
                     "potential_of_zero_charge": a,
                     "potential_of_zero_charge_sem": np.sqrt(cov[0, 0])},
                    coords={"field": f},
                    attrs={"method": "σ = ε0 Fz; C = dσ/dΔφ by central differences; "
                                     "C_fit = 1/slope of a weighted straight-line fit Δφ(σ)"})
    units = {"surface_charge": UC_PER_CM2, "potential_drop": "V", "potential_drop_sem": "V",
             "capacitance": "µF/cm²", "capacitance_sem": "µF/cm²", "capacitance_fit": "µF/cm²",
             "capacitance_fit_sem": "µF/cm²", "potential_of_zero_charge": "V",
             "potential_of_zero_charge_sem": "V"}
    for k, u in units.items():
        ds[k].attrs["units"] = u
    ds.field.attrs["units"] = "V/Å"
    return ds
