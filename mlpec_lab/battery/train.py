"""Training pipeline: cached SPMe/DFN pairs -> feature/target arrays -> committee ->
held-out metrics -> ``data/battery/correction.{pt,json}``."""
from __future__ import annotations

import json
import platform

import numpy as np
import xarray as xr

from . import dataset, physics
from .correction import save_correction, train_committee
from .features import FEATURE_NAMES, feature_matrix
from .hybrid import TRAINED_RANGE, hybrid_voltage, rmse


def spme_view(pair: xr.Dataset) -> xr.Dataset:
    """The SPMe half of a cached pair, with physics.simulate's variable names."""
    names = {v: v[len("spme_"):] for v in pair.data_vars if v.startswith("spme_")}
    return pair[list(names)].rename(names)


def pair_mask(pair: xr.Dataset) -> np.ndarray:
    """Samples where the cell (DFN) is inside its voltage window and both are finite."""
    ok = physics.valid_mask(pair["dfn_voltage"].values)
    return ok & np.isfinite(pair["spme_voltage"].values) & np.isfinite(pair["dfn_voltage"].values)


def training_arrays(pairs: dict, capacity_Ah: float,
                    max_per_case: int = 600, with_groups: bool = False):
    """Stacked features (n, f) and residuals V_DFN - V_SPMe (n,) V over valid samples,
    at most ``max_per_case`` evenly spaced samples per case (features are computed on
    the full time grid first, so the histories are exact); with ``with_groups`` also
    the case index of each sample (n,)."""
    xs, ys, gs = [], [], []
    for number, pair in enumerate(pairs.values()):
        T = json.loads(pair.attrs["case"])["temperature"]
        idx = np.flatnonzero(pair_mask(pair))
        idx = idx[np.unique(np.linspace(0, len(idx) - 1, min(len(idx), max_per_case)).astype(int))]
        xs.append(feature_matrix(spme_view(pair), capacity_Ah, T)[idx])
        ys.append((pair["dfn_voltage"].values - pair["spme_voltage"].values)[idx])
        gs.append(np.full(len(idx), number))
    if with_groups:
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(gs)
    return np.concatenate(xs), np.concatenate(ys)


def evaluate(pairs: dict, correction, capacity_Ah: float) -> dict:
    """Per case: SPMe and hybrid RMSE and max error against DFN (mV), valid samples."""
    out = {}
    for name, pair in pairs.items():
        T = json.loads(pair.attrs["case"])["temperature"]
        mask = pair_mask(pair)
        v_hyb, v_std = hybrid_voltage(spme_view(pair), correction, T, capacity_Ah)
        v_dfn, v_spme = pair["dfn_voltage"].values, pair["spme_voltage"].values
        err_s, err_h = rmse(v_spme, v_dfn, mask), rmse(v_hyb, v_dfn, mask)
        out[name] = {
            "temperature_K": T,
            "spme_rmse_mV": 1e3 * err_s, "hybrid_rmse_mV": 1e3 * err_h,
            "spme_max_abs_mV": 1e3 * float(np.max(np.abs(v_spme - v_dfn)[mask])),
            "hybrid_max_abs_mV": 1e3 * float(np.max(np.abs(v_hyb - v_dfn)[mask])),
            "error_removed_fraction": 1 - err_h / err_s if err_s > 0 else float("nan"),
            "mean_committee_std_mV": 1e3 * float(np.mean(v_std[mask])),
            "n_samples": int(mask.sum()),
        }
    return out


def train_and_save(cache_dir, out_dir, seed: int = 0, epochs: int = 100, quick: bool = False,
                   command: str = "", progress: bool = True, max_per_case: int = 600,
                   linear_skip: bool = True, grouped_bootstrap: bool = True) -> dict:
    """Train on the cached training cases, evaluate on the held-out ones, save model and
    metrics; returns the metadata written to ``correction.json``."""
    import pybamm
    import torch

    torch.set_num_threads(1)
    cap = physics.nominal_capacity_Ah()
    train_cases = dataset.training_cases(seed=0, quick=quick)
    train = dataset.load_cases(train_cases, cache_dir)
    if not train:
        raise FileNotFoundError(f"no cached training cases in {cache_dir}: run "
                                "`mlpec-lab battery build-dataset` first")
    x, y, groups = training_arrays(train, cap, max_per_case=max_per_case, with_groups=True)
    model = train_committee(x, y, seed=seed, epochs=epochs, batch=1024, progress=progress,
                            linear_skip=linear_skip,
                            groups=groups if grouped_bootstrap else None)
    test = dataset.load_cases(dataset.held_out_cases(), cache_dir)   # only now: held out
    meta = {
        "parameter_set": physics.PARAMETER_SET, "model_options": physics.MODEL_OPTIONS,
        "spme_var_pts": physics.SPME_VAR_PTS, "solver_revision": physics.SOLVER_REVISION,
        "feature_names": FEATURE_NAMES, "linear_skip": linear_skip,
        "bootstrap": "whole cases" if grouped_bootstrap else "samples",
        "dfn_sources": {name: pair.attrs.get("dfn_source", "solved with this revision")
                        for name, pair in {**train, **test}.items()
                        if "dfn_source" in pair.attrs},
        "target": "V_DFN - V_SPMe [V]", "trained_range": TRAINED_RANGE,
        "training_cases": sorted(train), "n_training_samples": int(len(y)),
        "missing_training_cases": sorted({c["name"] for c in train_cases} - set(train)),
        "seed": seed, "epochs": epochs, "batch": 1024, "max_per_case": max_per_case,
        "command": command,
        "metrics_train": evaluate(train, model, cap),
        "metrics_held_out": evaluate(test, model, cap),
        "versions": {"pybamm": pybamm.__version__, "torch": torch.__version__,
                     "python": platform.python_version()},
    }
    save_correction(model, out_dir, meta)
    return meta
