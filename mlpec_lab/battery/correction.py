"""The learned correction: a small committee of MLPs predicting V_DFN - V_SPMe (V)
from causal features (``features.FEATURE_NAMES``). The committee mean is the
correction; the committee spread is its error bar (a model-spread estimate, not a
calibrated interval)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn


class _Member(nn.Module):
    """MLP (n_features -> hidden -> hidden -> 1, SiLU) plus, if ``linear_skip``, a
    linear map of the inputs: the residual is then a linear function of SPMe's
    overpotential terms plus a learned non-linear remainder (easier to extrapolate
    along the electrolyte-depletion direction than a pure MLP)."""

    def __init__(self, n_features: int, hidden: int, linear_skip: bool):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(n_features, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))
        self.skip = nn.Linear(n_features, 1, bias=False) if linear_skip else None

    def forward(self, z):
        out = self.mlp(z)
        return out + self.skip(z) if self.skip is not None else out


class ResidualCommittee(nn.Module):
    """n_members MLPs (see ``_Member``) with the input and output standardisation
    stored as buffers. forward: (n, f) -> (members, n) in V."""

    def __init__(self, n_features: int, hidden: int = 64, n_members: int = 4,
                 linear_skip: bool = False):
        super().__init__()
        self.linear_skip = bool(linear_skip)
        self.members = nn.ModuleList(_Member(n_features, hidden, linear_skip)
                                     for _ in range(n_members))
        self.register_buffer("x_mean", torch.zeros(n_features, dtype=torch.float64))
        self.register_buffer("x_std", torch.ones(n_features, dtype=torch.float64))
        self.register_buffer("y_mean", torch.zeros((), dtype=torch.float64))
        self.register_buffer("y_std", torch.ones((), dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = ((x.double() - self.x_mean) / self.x_std).float()
        out = torch.stack([m(z)[:, 0] for m in self.members])
        return out.double() * self.y_std + self.y_mean

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Committee mean and spread (V), each (n,)."""
        with torch.no_grad():
            out = self(torch.as_tensor(np.asarray(features))).numpy()
        return out.mean(axis=0), out.std(axis=0)


class ZeroCorrection:
    """A correction that is exactly zero: the hybrid then equals SPMe."""

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(features)
        return np.zeros(n), np.zeros(n)


def train_committee(x: np.ndarray, y: np.ndarray, seed: int = 0, hidden: int = 64,
                    n_members: int = 4, epochs: int = 400, batch: int = 2048,
                    lr: float = 3e-3, progress: bool = True, linear_skip: bool = False,
                    weight: np.ndarray | None = None,
                    groups: np.ndarray | None = None) -> ResidualCommittee:
    """Fit each member (own seed, own bootstrap resample) by Adam on MSE with a cosine
    learning rate. x: (n, f) features, y: (n,) residual V; ``weight`` (n,) per-sample
    loss weights; ``groups`` (n,) integer case ids: then each member's bootstrap
    resamples whole cases (protocols), so members disagree where few protocols cover
    a regime. Deterministic for a seed."""
    from tqdm.auto import tqdm

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    model = ResidualCommittee(x.shape[1], hidden, n_members, linear_skip)
    xt = torch.as_tensor(x, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    model.x_mean.copy_(xt.mean(0))
    model.x_std.copy_(xt.std(0).clamp_min(1e-8))
    model.y_mean.copy_(yt.mean())
    model.y_std.copy_(yt.std().clamp_min(1e-8))
    z = ((xt - model.x_mean) / model.x_std).float()
    target = ((yt - model.y_mean) / model.y_std).float()
    w = (torch.ones(len(z)) if weight is None
         else torch.as_tensor(np.asarray(weight) / np.mean(weight), dtype=torch.float32))
    n = len(z)
    bar = tqdm(total=n_members * epochs, desc="training", disable=not progress)
    for k, member in enumerate(model.members):
        gen = torch.Generator().manual_seed(seed * 1000 + k)
        if n_members == 1:
            boot = torch.arange(n)
        elif groups is None:
            boot = torch.randint(0, n, (n,), generator=gen)
        else:
            ids = np.unique(groups)
            pick = ids[torch.randint(0, len(ids), (len(ids),), generator=gen).numpy()]
            rows = [np.flatnonzero(groups == g) for g in pick]
            boot = torch.as_tensor(np.concatenate(rows))
        n_boot = len(boot)
        opt = torch.optim.Adam(member.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
        for _ in range(epochs):
            order = boot[torch.randperm(n_boot, generator=gen)]
            for start in range(0, n_boot, batch):
                idx = order[start:start + batch]
                loss = torch.mean(w[idx] * (member(z[idx])[:, 0] - target[idx]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
            sched.step()
            bar.update()
    bar.close()
    return model.eval()


def save_correction(model: ResidualCommittee, directory, metadata: dict) -> None:
    """Write ``correction.pt`` (plain tensors) and ``correction.json`` (metadata)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = dict(metadata)
    meta.update(n_features=len(model.x_mean), hidden=model.members[0].mlp[0].out_features,
                n_members=len(model.members), linear_skip=model.linear_skip,
                saved=time.strftime("%Y-%m-%d %H:%M:%S"))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    tmp = directory / "correction.pt.tmp"
    torch.save(state, tmp)
    tmp.replace(directory / "correction.pt")
    tmp = directory / "correction.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    tmp.replace(directory / "correction.json")


def load_correction(directory) -> tuple[ResidualCommittee, dict]:
    """Load what :func:`save_correction` wrote (``weights_only=True``)."""
    directory = Path(directory)
    try:
        meta = json.loads((directory / "correction.json").read_text())
        state = torch.load(directory / "correction.pt", weights_only=True)
        model = ResidualCommittee(meta["n_features"], meta["hidden"], meta["n_members"],
                                  meta.get("linear_skip", False))
        model.load_state_dict(state)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"no trained battery correction in {directory}: run "
                                "`mlpec-lab battery train` (see data/battery/README.md)") from err
    except (KeyError, RuntimeError, json.JSONDecodeError) as err:
        raise ValueError(f"{directory}: corrupt or foreign battery correction: {err}") from err
    return model.eval(), meta
