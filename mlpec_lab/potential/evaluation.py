"""Committee predictions on labelled frames and their errors against the labels."""
from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from scipy.stats import spearmanr

from mlpec_lab.potential.core_repulsion import core_repulsion
from mlpec_lab.potential.descriptors import make_batch
from mlpec_lab.potential.training import prepare


def committee_predict(members, samples, chunk=16):
    """Per member predictions: energy (K, n_s), dipole_z (K, n_s), forces (K, n_atoms, 3)."""
    dtype = next(members[0].parameters()).dtype
    e, mu, f = [], [], []
    for k in range(0, len(samples), chunk):
        part = samples[k:k + chunk]
        batch = make_batch([s.desc for s in part], [s.field for s in part], dtype)
        preds = [m(batch, forces=True) for m in members]
        e.append(torch.stack([p["energy"] for p in preds]).detach().numpy())
        mu.append(torch.stack([p["dipole_z"] for p in preds]).detach().numpy())
        f.append(torch.stack([p["forces"] for p in preds]).detach().numpy())
    return np.concatenate(e, 1), np.concatenate(mu, 1), np.concatenate(f, 1)


def predictions(members, frames, spec, core_radii=None) -> xr.Dataset:
    """Committee predictions beside the labels of ``frames``, as one Dataset.

    Per structure (dim ``structure``): energy, energy_pred (committee mean, eV), energy_std
    (eV), n_atoms, dipole_z / dipole_z_pred (e·Å), field (V/Å), trajectory name. Per atom
    (dim ``atom``): symbol, structure index, forces / forces_pred (eV/Å, dim ``xyz``),
    force_known (the stored force is a label, ``datasets.known_forces``), force_deviation
    (eV/Å: rms over members of the deviation from the mean).
    core_radii: the model file's, so that the core repulsion is included as in MD.
    """
    samples = prepare(frames, spec)
    e, mu, f = committee_predict(members, samples)
    if core_radii is not None:
        cores = [core_repulsion(a, s.desc.species, core_radii) for a, s in zip(frames, samples)]
        e = e + np.array([c[0] for c in cores])[None, :]
        f = f + np.concatenate([c[1] for c in cores])[None]
    n_atoms = np.array([len(s.symbols) for s in samples])
    f_mean = f.mean(0)
    return xr.Dataset(
        {"energy": ("structure", np.array([s.energy for s in samples])),
         "energy_pred": ("structure", e.mean(0)), "energy_std": ("structure", e.std(0)),
         "n_atoms": ("structure", n_atoms),
         "dipole_z": ("structure", np.array([s.dipole_z for s in samples])),
         "dipole_z_pred": ("structure", mu.mean(0)),
         "field": ("structure", np.array([s.field for s in samples])),
         "trajectory": ("structure", [str(a.info.get("trajectory", "")) for a in frames]),
         "symbol": ("atom", np.concatenate([s.symbols for s in samples]).astype(str)),
         "structure_index": ("atom", np.repeat(np.arange(len(samples)), n_atoms)),
         "forces": (("atom", "xyz"), np.concatenate([s.forces for s in samples])),
         "forces_pred": (("atom", "xyz"), f_mean),
         "force_known": ("atom", np.concatenate([s.force_known for s in samples])),
         "force_deviation": ("atom", np.sqrt(((f - f_mean) ** 2).sum(-1).mean(0)))},
        coords={"xyz": ["x", "y", "z"]},
        attrs={"energy_units": "eV", "force_units": "eV/Å", "dipole_units": "e·Å",
               "n_members": len(members)})


def per_structure_max(values, structure_index, n_structures) -> np.ndarray:
    """Largest per-atom value in each structure."""
    out = np.full(n_structures, -np.inf)
    np.maximum.at(out, structure_index, values)
    return out


def force_label_mask(pred: xr.Dataset) -> np.ndarray:
    """(atom,) bool: the atoms whose stored forces are labels (all, if ``pred`` does not say)."""
    if "force_known" in pred:
        return pred.force_known.values.astype(bool)
    return np.ones(pred.sizes["atom"], bool)


def labelled_force_maxima(pred: xr.Dataset):
    """Per structure, the largest committee force deviation and the largest true force
    error (eV/Å) over the atoms whose forces are labels (−inf where a structure has none);
    also returns the mask of those atoms."""
    known = force_label_mask(pred)
    n = pred.sizes["structure"]
    index = pred.structure_index.values[known]
    err = np.linalg.norm((pred.forces_pred - pred.forces).values[known], axis=1)
    return (per_structure_max(pred.force_deviation.values[known], index, n),
            per_structure_max(err, index, n), known)


def _spearman(max_dev, max_err) -> float:
    """Rank correlation over the structures that have labelled forces (others are −inf)."""
    ok = np.isfinite(max_err)
    if ok.sum() > 2 and np.ptp(max_dev[ok]) > 0 and np.ptp(max_err[ok]) > 0:
        return float(spearmanr(max_dev[ok], max_err[ok])[0])
    return float("nan")


def metrics(pred: xr.Dataset) -> dict:
    """Errors of the committee mean and uncertainty calibration from :func:`predictions`.

    energy_rmse (eV/atom), force_rmse (eV/Å) overall and per element, dipole_z_rmse and
    dipole_z_spread (e·Å), spearman_max_force (per-structure max force deviation vs max
    force error), median of |error| / deviation (calibration; NaN for a single member, whose
    deviation is zero, as is its Spearman). Forces count only where they
    are labels (``force_known``); an element without any is left out of the per-element
    RMSE and named in ``elements_without_force_labels``.
    """
    n = pred.sizes["structure"]
    max_dev, max_err, known = labelled_force_maxima(pred)
    symbols = pred.symbol.values[known]
    comp = (pred.forces_pred - pred.forces).values[known]
    f_err = np.linalg.norm(comp, axis=1)
    f_dev = pred.force_deviation.values[known]
    mu_err = (pred.dipole_z_pred - pred.dipole_z).values
    out = {
        "n_structures": n,
        "n_atoms": int(pred.n_atoms.sum()),
        "energy_rmse_eV_per_atom": float(np.sqrt(np.mean(
            ((pred.energy_pred - pred.energy) / pred.n_atoms).values ** 2))),
        "force_rmse_eV_per_A": float(np.sqrt(np.mean(comp ** 2))),
        "force_rmse_per_element_eV_per_A": {
            str(el): float(np.sqrt(np.mean(comp[symbols == el] ** 2))) for el in sorted(set(symbols))},
        "n_force_labels": int(known.sum()),
        "elements_without_force_labels": sorted(set(pred.symbol.values) - set(symbols)),
        "dipole_z_rmse_eA": float(np.sqrt(np.mean(mu_err ** 2))),
        "dipole_z_spread_eA": float(pred.dipole_z.std()),
        "energy_std_mean_eV": float(pred.energy_std.mean()),
        "spearman_max_force_deviation_vs_error": _spearman(max_dev, max_err),
        "force_error_over_deviation_median": (
            float(np.median(f_err / np.maximum(f_dev, 1e-12))) if (f_dev > 0).any() else float("nan")),
    }
    out["dipole_z_rmse_fraction_of_spread"] = out["dipole_z_rmse_eA"] / max(out["dipole_z_spread_eA"], 1e-12)
    out["by_trajectory"] = by_trajectory(pred)
    return out


def by_trajectory(pred: xr.Dataset) -> dict:
    """Per trajectory name (structures without one are left out): the number of structures,
    the mean signed energy error per atom (eV/atom: an offset the whole trajectory shares),
    the energy RMSE per atom once that offset is removed (the error in the shape of the
    energy surface), and the force RMSE (eV/Å, labelled forces only)."""
    e_err = ((pred.energy_pred - pred.energy) / pred.n_atoms).values
    known = force_label_mask(pred)
    comp = (pred.forces_pred - pred.forces).values
    out = {}
    for name in sorted(set(pred.trajectory.values) - {""}):
        mine = pred.trajectory.values == name
        atoms = known & mine[pred.structure_index.values]
        out[str(name)] = {
            "n_structures": int(mine.sum()),
            "energy_offset_eV_per_atom": float(e_err[mine].mean()),
            "energy_rmse_without_offset_eV_per_atom": float(e_err[mine].std()),
            "force_rmse_eV_per_A": float(np.sqrt(np.mean(comp[atoms] ** 2))) if atoms.any() else None}
    return out


def evaluate(members, frames, spec, core_radii=None) -> dict:
    """:func:`metrics` of :func:`predictions` on labelled ``frames``."""
    return metrics(predictions(members, frames, spec, core_radii))
