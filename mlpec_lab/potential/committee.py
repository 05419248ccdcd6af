"""Train a committee end to end: datasets in, one model file (+ learning curves) out."""
from __future__ import annotations

import dataclasses
import datetime
import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from mlpec_lab.datasets import read_dataset
from mlpec_lab.executor import map_unordered
from mlpec_lab.kernels.symmetry_spec import default_spec
from mlpec_lab.potential.core_repulsion import core_radii
from mlpec_lab.potential.modelfile import save_committee
from mlpec_lab.potential.training import (
    DTYPES, TrainingConfig, learning_curves, new_model, prepare, split_indices, train_member,
    usable,
)
from mlpec_lab.reference.xtb import field_vector


def read_labelled_frames(paths, max_force=None):
    """The labelled frames of the extxyz ``paths`` whose force components are all within
    ``max_force`` (eV/Å; None keeps all), and how many were left out; ValueError if none is
    left."""
    frames = []
    for p in paths:
        frames += read_dataset(p).frames
    frames, left_out = usable(frames, max_force)
    if not frames:
        raise ValueError(f"no usable labelled frames in {', '.join(map(str, paths))}")
    return frames, left_out


LAG_FACTOR = 2.0


def lagging_members(best_val_losses, factor=LAG_FACTOR) -> list[int]:
    """Members whose best validation loss is more than ``factor`` × the committee median
    (needs three members or more to say)."""
    losses = np.asarray(best_val_losses, float)
    if len(losses) < 3:
        return []
    return [int(m) for m in np.flatnonzero(losses > factor * np.median(losses))]


def _member_job(job):
    """Worker: train member ``m``; returns its state dict and learning curve."""
    m, paths, spec, cfg, workdir = job
    frames, _ = read_labelled_frames(paths, cfg.max_force)
    samples = prepare(frames, spec, derivative_dtype=DTYPES[cfg.dtype])
    train_idx, val_idx = split_indices(len(samples), cfg.validation_fraction, cfg.seed)
    model, curve = train_member(samples, train_idx, val_idx, spec, cfg, m,
                                Path(workdir) / f"member{m}.ckpt")
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, curve


def train_committee(paths, out, n_members: int = 4, cfg: TrainingConfig | None = None,
                    spec: dict | None = None, executor=None, workers: int = 1,
                    force_deviation_threshold: float = 0.3) -> dict:
    """Train ``n_members`` models on the labelled extxyz ``paths``; write ``out`` (model
    file), ``out``.curves.nc (learning curves) and return a summary. Checkpoints live in
    ``out``.work/ so an interrupted run resumes where it stopped."""
    cfg = cfg or TrainingConfig()
    spec = spec or default_spec()
    if n_members < 1:
        raise ValueError("a committee needs at least one member")
    paths = [str(p) for p in paths]
    out = Path(out)
    workdir = out.with_name(out.name + ".work")
    workdir.mkdir(parents=True, exist_ok=True)
    frames, left_out = read_labelled_frames(paths, cfg.max_force)
    fields = np.array([field_vector(a)[2] for a in frames])
    jobs = [(m, paths, spec, cfg, str(workdir)) for m in range(n_members)]
    results = dict(map_unordered(_member_job, jobs, executor=executor, max_workers=workers))
    samples = prepare(frames[:1], spec)
    members = []
    for m in range(n_members):
        model = new_model(samples, spec, cfg.hidden, torch.float64, 0)
        model.load_state_dict(results[m][0])
        members.append(model.eval())
    curves = learning_curves([results[m][1] for m in range(n_members)])
    curves.to_netcdf(out.with_name(out.name + ".curves.nc"))
    training = {
        "datasets": paths, "n_structures": len(frames), "left_out_max_force": left_out, "config": dataclasses.asdict(cfg),
        "n_members": n_members, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "versions": {p: version(p) for p in ("torch", "numba", "ase", "tblite")},
        "epochs_run": [int(np.isfinite(curves.val_loss[m]).sum()) for m in range(n_members)],
        "best_val_force_rmse": [float(np.nanmin(curves.val_force_rmse[m])) for m in range(n_members)],
        "best_val_loss": [float(np.nanmin(curves.val_loss[m])) for m in range(n_members)],
    }
    for m in lagging_members(training["best_val_loss"]):
        warnings.warn(f"member {m} of {out} reached a validation loss of "
                      f"{training['best_val_loss'][m]:.4g}, more than {LAG_FACTOR:g}× the committee "
                      "median: it may be stuck (select_members in mlpec_lab.potential.modelfile "
                      "writes the committee without it)", stacklevel=2)
    save_committee(out, members, spec, (float(fields.min()), float(fields.max())),
                   json.loads(json.dumps(training)), force_deviation_threshold,
                   core_radii=core_radii(frames, spec))
    return training
