"""Committee predictions on labelled frames and their errors against the labels."""
from __future__ import annotations

import numpy as np
import torch
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


def evaluate(members, frames, spec, core_radii=None) -> dict:
    """Errors of the committee mean on labelled ``frames`` and uncertainty calibration.
    core_radii: the model file's, so that the core repulsion is included as in MD.

    energy_rmse (eV/atom), force_rmse (eV/Å) overall and per element, dipole_z_rmse and
    dipole_z_spread (e·Å), spearman_max_force (per-structure max force deviation vs max
    force error), mean/median of |error| / deviation (calibration).
    """
    samples = prepare(frames, spec)
    e, mu, f = committee_predict(members, samples)
    if core_radii is not None:
        cores = [core_repulsion(a, spec["species"], core_radii) for a in frames]
        e = e + np.array([c[0] for c in cores])[None, :]
        f = f + np.concatenate([c[1] for c in cores])[None]
    n_atoms = np.array([len(s.symbols) for s in samples])
    e_true = np.array([s.energy for s in samples])
    mu_true = np.array([s.dipole_z for s in samples])
    f_true = np.concatenate([s.forces for s in samples])
    symbols = np.concatenate([s.symbols for s in samples])
    f_mean = f.mean(0)
    f_err = np.linalg.norm(f_mean - f_true, axis=1)
    f_dev = np.sqrt(((f - f_mean) ** 2).sum(-1).mean(0))  # per-atom force deviation
    starts = np.concatenate([[0], np.cumsum(n_atoms)])
    max_dev = np.array([f_dev[a:b].max() for a, b in zip(starts[:-1], starts[1:])])
    max_err = np.array([f_err[a:b].max() for a, b in zip(starts[:-1], starts[1:])])
    comp = (f_mean - f_true)
    out = {
        "n_structures": len(samples),
        "n_atoms": int(n_atoms.sum()),
        "energy_rmse_eV_per_atom": float(np.sqrt(np.mean(((e.mean(0) - e_true) / n_atoms) ** 2))),
        "force_rmse_eV_per_A": float(np.sqrt(np.mean(comp ** 2))),
        "force_rmse_per_element_eV_per_A": {
            el: float(np.sqrt(np.mean(comp[symbols == el] ** 2))) for el in sorted(set(symbols))},
        "dipole_z_rmse_eA": float(np.sqrt(np.mean((mu.mean(0) - mu_true) ** 2))),
        "dipole_z_spread_eA": float(mu_true.std()),
        "energy_std_mean_eV": float(e.std(0).mean()),
        "spearman_max_force_deviation_vs_error": float(spearmanr(max_dev, max_err)[0])
        if len(samples) > 2 and np.ptp(max_dev) > 0 and np.ptp(max_err) > 0 else float("nan"),
        "force_error_over_deviation_median": float(np.median(f_err / np.maximum(f_dev, 1e-12))),
    }
    out["dipole_z_rmse_fraction_of_spread"] = out["dipole_z_rmse_eA"] / max(out["dipole_z_spread_eA"], 1e-12)
    return out
