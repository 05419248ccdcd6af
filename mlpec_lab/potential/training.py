"""Training a committee of field-aware BP models on energies, forces and μz.

Each member: its own seed and a bootstrap resample of the training structures, a shared
validation split for early stopping, checkpoints every epoch (rerun to resume), and a
learning curve. Members train in parallel through the executor.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from mlpec_lab.datasets import known_forces
from mlpec_lab.kernels.electrode_height import height_basis
from mlpec_lab.kernels.symmetry_spec import n_even_features, n_height_features
from mlpec_lab.potential.descriptors import describe, make_batch
from mlpec_lab.potential.model import FieldAwareBP
from mlpec_lab.reference.xtb import field_vector

DTYPES = {"float64": torch.float64, "float32": torch.float32}


@dataclasses.dataclass
class TrainingConfig:
    """Hyperparameters. Loss = w_E (ΔE/N / 1 meV)² + w_F (ΔF / 0.05 eV/Å)² + w_μ (Δμz / 0.05 e·Å)².

    force_balance p: each element's force residuals are weighted by its share of the
    training set's force labels to the power −p (normalised to a mean weight of 1), so
    that rare elements (one Na⁺ among 77 atoms) count; 0 weighs every atom alike.
    """

    hidden: int = 32
    epochs: int = 400
    batch_size: int = 8
    lr: float = 3e-3
    lr_min: float = 1e-5
    weight_decay: float = 0.0  # decoupled (AdamW) decay of the network weights, per step
    patience: int = 60
    weight_energy: float = 1.0
    weight_forces: float = 1.0
    weight_dipole: float = 1.0
    force_balance: float = 0.0
    validation_fraction: float = 0.1
    bootstrap: bool = True
    max_force: float | None = 15.0  # eV/Å: frames with a larger force component are left out
    dtype: str = "float32"  # 4x faster on the CPU; inference runs in float64
    seed: int = 0


@dataclasses.dataclass
class Sample:
    """A labelled structure ready for training."""

    desc: object
    energy: float
    forces: np.ndarray
    dipole_z: float
    field: float
    symbols: list
    force_known: np.ndarray  # (n,) bool: forces that are labels (``datasets.known_forces``)


def usable(frames, max_force):
    """Frames whose largest force component is at most ``max_force`` (eV/Å), and the
    number left out (far-from-equilibrium frames would dominate the force loss)."""
    if max_force is None:
        return list(frames), 0
    keep = [a for a in frames
            if np.abs(a.calc.results["forces"][known_forces(a)]).max(initial=0.0) <= max_force]
    return keep, len(frames) - len(keep)


def prepare(frames, spec, derivative_dtype=None) -> list[Sample]:
    """Descriptors and labels of labelled frames (energy, forces, dipole, info['field']).

    derivative_dtype: a torch dtype (the training dtype) for the derivative blocks
    ``radial_d`` and ``angular_d``, cast as each frame is described. In float64 they hold
    ~70 % of a sample's bytes, so a training set is never held in float64 as well; the
    features stay float64 (the normalisation is computed from them)."""
    np_dtype = None if derivative_dtype is None else _numpy_dtype(derivative_dtype)
    out = []
    for k, atoms in enumerate(frames):
        res = atoms.calc.results if atoms.calc is not None else {}
        missing = [p for p in ("energy", "forces", "dipole") if p not in res]
        if missing:
            raise ValueError(f"frame {k} has no {', '.join(missing)} label")
        fz = field_vector(atoms)[2]
        desc = describe(atoms, spec)
        if np_dtype is not None:
            desc = _cast_floats(desc, np_dtype, names=("radial_d", "angular_d"))
        out.append(Sample(desc, float(res["energy"]), np.asarray(res["forces"]),
                          float(np.asarray(res["dipole"])[2]), float(fz),
                          atoms.get_chemical_symbols(), known_forces(atoms)))
    return out


def _numpy_dtype(dtype):
    """The numpy dtype of a torch dtype."""
    return torch.empty(0, dtype=dtype).numpy().dtype


def _cast_floats(desc, np_dtype, names=None):
    """``desc`` with its floating-point arrays (only those in ``names``, if given) as
    ``np_dtype``; integer arrays are left alone."""
    return dataclasses.replace(desc, **{
        k: v.astype(np_dtype, copy=False) for k, v in vars(desc).items()
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and (names is None or k in names)})


def cast_descriptors(samples, dtype) -> list[Sample]:
    """``samples`` with their descriptors' floating-point arrays in the training ``dtype``
    (torch): one cast up front instead of one per batch (the batches hold the same numbers)."""
    np_dtype = _numpy_dtype(dtype)
    return [dataclasses.replace(s, desc=_cast_floats(s.desc, np_dtype)) for s in samples]


def model_inputs(sample, spec):
    """The even and odd input columns the model sees for ``sample``: the symmetry
    functions, then the height functions when ``spec`` has them (``electrode_height``)."""
    n_even = n_even_features(spec)
    feats = sample.desc.features
    even, odd = feats[:, :n_even], feats[:, n_even:]
    if n_height_features(spec):
        metal = np.array(sample.symbols) == spec["electrode"]
        h_even, h_odd, _, _ = height_basis(sample.desc.z, metal, spec["height_centers"],
                                           spec["height_width"])
        even, odd = np.hstack([even, h_even]), np.hstack([odd, h_odd])
    return even, odd


def normalisation(samples, spec):
    """Per-element mean and std (S, n_even) of the even inputs and rms (S, n_odd) of the
    odd ones (no shift: shifting an odd feature would break its oddness)."""
    species = spec["species"]
    inputs = [model_inputs(s, spec) for s in samples]
    even = np.concatenate([x[0] for x in inputs])
    odd = np.concatenate([x[1] for x in inputs])
    spc = np.concatenate([s.desc.species for s in samples])
    n_even = even.shape[1]
    mean = np.zeros((len(species), n_even))
    std = np.ones_like(mean)
    odd_rms = np.ones((len(species), odd.shape[1]))
    for e in range(len(species)):
        x, y = even[spc == e], odd[spc == e]
        if len(x):
            mean[e] = x.mean(0)
            std[e] = np.where(x.std(0) > 1e-6, x.std(0), 1.0)
            rms = np.sqrt((y ** 2).mean(0))
            odd_rms[e] = np.where(rms > 1e-6, rms, 1.0)
    return mean, std, odd_rms


def energy_offsets(samples, species):
    """Per-element energies (S,) eV from a least-squares fit E ≈ Σ_e n_e ε_e."""
    counts = np.array([[s.symbols.count(e) for e in species] for s in samples], float)
    energies = np.array([s.energy for s in samples])
    offsets, *_ = np.linalg.lstsq(counts, energies, rcond=None)
    return offsets


def charge_guess(samples, species):
    """Per-element charges q_e (e) from a least-squares fit μz ≈ Σ_e (q_e + χ_e Fz)
    Σ_{i∈e} (z_i − z̄): the model's starting charges (χ starts at zero: it must be odd
    under the mirror, which a per-element constant is not)."""
    symbols = [np.array(s.symbols) for s in samples]
    moments = np.array([[(s.desc.z - s.desc.z.mean())[sym == e].sum() for e in species]
                        for s, sym in zip(samples, symbols)])
    fields = np.array([s.field for s in samples])
    design = np.hstack([moments, moments * fields[:, None]])
    coef, *_ = np.linalg.lstsq(design, np.array([s.dipole_z for s in samples]), rcond=None)
    return coef[:len(species)]


def new_model(samples, spec, hidden, dtype, seed):
    """A model with per-element normalisation, energy offsets and initial charges from
    ``samples``; weights drawn with ``seed``."""
    torch.manual_seed(seed)
    model = FieldAwareBP.from_spec(spec, hidden).to(dtype)
    mean, std, odd_rms = normalisation(samples, spec)
    model.feature_mean.copy_(torch.as_tensor(mean))
    model.feature_std.copy_(torch.as_tensor(std))
    model.odd_std.copy_(torch.as_tensor(odd_rms))
    model.energy_offset.copy_(torch.as_tensor(energy_offsets(samples, spec["species"])))
    scale = model.output_scale.numpy()
    with torch.no_grad():
        for net, q in zip(model.networks, charge_guess(samples, spec["species"])):
            net.layers[-1].weight[1:].zero_()  # charge heads start at their fitted constants
            net.layers[-1].bias[1:].zero_()
            net.layers[-1].bias[1] = float(q / scale[1])
    return model


def _targets(samples, dtype):
    return (torch.tensor([s.energy for s in samples], dtype=dtype),
            torch.from_numpy(np.concatenate([s.forces for s in samples])).to(dtype),
            torch.tensor([s.dipole_z for s in samples], dtype=dtype),
            torch.from_numpy(np.concatenate([s.force_known for s in samples])))


def element_force_weights(samples, power: float) -> dict:
    """Per-element force weights ``share**-power``, normalised so that the mean weight over
    the force labels of ``samples`` is 1 (``TrainingConfig.force_balance``)."""
    symbols = np.concatenate([np.asarray(s.symbols)[s.force_known] for s in samples])
    elements, counts = np.unique(symbols, return_counts=True)
    share = counts / counts.sum()
    raw = share ** -float(power)
    return {str(e): float(w) for e, w in zip(elements, raw / (share * raw).sum())}


def batch_loss(model, samples, cfg: TrainingConfig, create_graph=True, element_weights=None):
    """Weighted loss and its parts (energy RMSE per atom eV, force RMSE eV/Å, μz RMSE e·Å).

    element_weights: {symbol: weight} of the force residuals (``element_force_weights``);
    the RMSE parts stay unweighted."""
    dtype = DTYPES[cfg.dtype]
    batch = make_batch([s.desc for s in samples], [s.field for s in samples], dtype)
    pred = model(batch, forces=True, create_graph=create_graph)
    energy, forces, dipole, known = _targets(samples, dtype)
    de = (pred["energy"] - energy) / batch.n_atoms.to(dtype)
    df = (pred["forces"] - forces)[known]  # forces that are labels only
    if df.numel() == 0:
        df = torch.zeros(1, 3, dtype=dtype)  # a batch without force labels: no force term
    dm = pred["dipole_z"] - dipole
    force_term = (df / 0.05).pow(2).sum(1)
    if element_weights is not None and len(df) == int(known.sum()):
        symbols = np.concatenate([s.symbols for s in samples])[known.numpy()]
        force_term = force_term * torch.tensor([element_weights.get(e, 1.0) for e in symbols],
                                               dtype=dtype)
    loss = (cfg.weight_energy * (de / 1e-3).pow(2).mean()
            + cfg.weight_forces * force_term.mean() / 3
            + cfg.weight_dipole * (dm / 0.05).pow(2).mean())
    parts = (de.detach().pow(2).mean().sqrt(), df.detach().pow(2).mean().sqrt(),
             dm.detach().pow(2).mean().sqrt())
    return loss, [float(p) for p in parts]


def _evaluate_loss(model, samples, cfg, chunk=16, element_weights=None):
    total, n, sq = 0.0, 0, np.zeros(3)
    for k in range(0, len(samples), chunk):
        part = samples[k:k + chunk]
        loss, rmse = batch_loss(model, part, cfg, create_graph=False,
                                element_weights=element_weights)
        total += float(loss.detach()) * len(part)
        sq += np.square(rmse) * len(part)
        n += len(part)
    return total / n, np.sqrt(sq / n)


def run_fingerprint(samples, train_idx, val_idx, spec, cfg, member) -> str:
    """A hash of everything a checkpoint's resumption depends on: the labels, the split,
    the descriptor spec, the settings (but the epoch budget: a longer run continues a
    shorter one) and the member index."""
    settings = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "epochs"}
    h = hashlib.sha256(json.dumps([spec, settings, int(member),
                                   np.asarray(train_idx).tolist(), np.asarray(val_idx).tolist()],
                                  sort_keys=True).encode())
    for s in samples:
        h.update(np.float64(s.energy).tobytes())
        h.update(np.ascontiguousarray(s.forces, np.float64).tobytes())
        h.update(np.ascontiguousarray(s.force_known).tobytes())
    return h.hexdigest()


def train_member(samples, train_idx, val_idx, spec, cfg: TrainingConfig, member: int,
                 checkpoint: Path, progress=None):
    """Train one committee member; resumes from ``checkpoint`` if it exists.

    Returns (best model, learning curve dict of lists)."""
    torch.set_num_threads(1)
    dtype = DTYPES[cfg.dtype]
    seed = cfg.seed + 1000 * member
    rng = np.random.default_rng(seed)
    train_idx = np.asarray(train_idx)
    boot = rng.choice(train_idx, len(train_idx), replace=True) if cfg.bootstrap else train_idx
    model = new_model([samples[i] for i in train_idx], spec, cfg.hidden, dtype, seed)
    weights = (element_force_weights([samples[i] for i in train_idx], cfg.force_balance)
               if cfg.force_balance else None)
    samples = cast_descriptors(samples, dtype)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=cfg.patience // 4,
                                                       min_lr=cfg.lr_min)
    curve = {k: [] for k in ("train_loss", "val_loss", "val_energy_rmse", "val_force_rmse",
                             "val_dipole_rmse", "lr", "seconds")}
    state = {"epoch": 0, "best_val": np.inf, "best_state": None, "since_best": 0}
    fingerprint = run_fingerprint(samples, train_idx, val_idx, spec, cfg, member)
    ck = torch.load(checkpoint, weights_only=True) if checkpoint.exists() else None
    if ck is not None and ck.get("fingerprint") != fingerprint:
        warnings.warn(f"{checkpoint} is from a different run (data, spec or settings changed): "
                      "starting this member afresh", stacklevel=2)
        ck = None
    if ck is not None and ck["state"]["epoch"] > cfg.epochs:
        warnings.warn(f"{checkpoint} ran {ck['state']['epoch']} epochs, more than the "
                      f"{cfg.epochs} asked for: starting this member afresh", stacklevel=2)
        ck = None
    if ck is not None:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        curve, state = ck["curve"], ck["state"]
        rng.bit_generator.state = ck["rng"]
    while state["epoch"] < cfg.epochs and state["since_best"] < cfg.patience:
        t0 = time.perf_counter()
        order = rng.permutation(boot)
        losses = []
        model.train()
        for k in range(0, len(order), cfg.batch_size):
            opt.zero_grad()
            loss, _ = batch_loss(model, [samples[i] for i in order[k:k + cfg.batch_size]], cfg,
                                 element_weights=weights)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        val_loss, rmse = _evaluate_loss(model, [samples[i] for i in val_idx], cfg,
                                        element_weights=weights)
        sched.step(val_loss)
        for key, value in zip(curve, [np.mean(losses), val_loss, *rmse,
                                      opt.param_groups[0]["lr"], time.perf_counter() - t0]):
            curve[key].append(float(value))
        state["epoch"] += 1
        if val_loss < state["best_val"]:
            state.update(best_val=val_loss, since_best=0,
                         best_state={k: v.clone() for k, v in model.state_dict().items()})
        else:
            state["since_best"] += 1
        tmp = checkpoint.with_name(checkpoint.name + ".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "curve": curve, "state": state, "rng": rng.bit_generator.state,
                    "fingerprint": fingerprint}, tmp)
        os.replace(tmp, checkpoint)
        if progress is not None:
            progress(member, state["epoch"], rmse)
    model.load_state_dict(state["best_state"])
    model.eval()
    return model, curve


def split_indices(n, validation_fraction, seed):
    """Shuffled (train, validation) index arrays."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_val = max(1, int(round(validation_fraction * n)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def learning_curves(curves) -> xr.Dataset:
    """Committee learning curves as a Dataset (member, epoch)."""
    n_epochs = max(len(c["val_loss"]) for c in curves)
    data = {}
    for key in curves[0]:
        arr = np.full((len(curves), n_epochs), np.nan)
        for m, c in enumerate(curves):
            arr[m, :len(c[key])] = c[key]
        data[key] = (("member", "epoch"), arr)
    ds = xr.Dataset(data, coords={"member": np.arange(len(curves)), "epoch": np.arange(1, n_epochs + 1)})
    units = {"val_energy_rmse": "eV/atom", "val_force_rmse": "eV/Å", "val_dipole_rmse": "e·Å",
             "seconds": "s", "train_loss": "1", "val_loss": "1", "lr": "1"}
    for key, u in units.items():
        ds[key].attrs["units"] = u
    return ds
