"""Exploration for active learning: ML-driven MD with the committee, and the frames its
disagreement says are worth labelling.

The selection is a trust window on the per-structure max committee force deviation σ
(DP-GEN's rule, Zhang et al., Comput. Phys. Commun. 253, 107206, 2020): below ``low`` the
members agree and a label teaches little; above ``high`` the structure has usually left
physical space (a collapsing pair, a torn molecule) and a label would be wasted or fail.
"""
from __future__ import annotations

import numpy as np

from mlpec_lab.sampling.md import MDStopped, run_md

#: default trust window (low, high) on the max committee force deviation, eV/Å: the one
#: the shipped active-learning rounds used
TRUST_WINDOW = (0.15, 3.0)


def explore(atoms, model, steps: int, *, field: float | None = None, temperature: float = 330.0,
            timestep: float = 0.5, friction: float = 0.02, every: int = 10, seed: int = 0) -> list:
    """Langevin MD of ``atoms`` with the committee ``model`` (file path or
    ``(members, payload)``), quietly (no warning per step). Returns the frames every
    ``every`` steps with ``info``: ``max_force_deviation`` (eV/Å), ``field``, ``md_step``,
    ``temperature``. A run that blows up returns the frames it had.
    field: Fz (V/Å), default ``atoms.info["field"]``; timestep fs; friction 1/fs."""
    from mlpec_lab.potential.calculator import MLPotential

    atoms = atoms.copy()
    if field is not None:
        atoms.info["field"] = np.array([0.0, 0.0, float(field)])
    fz = float(np.ravel(atoms.info.get("field", 0.0))[-1])
    atoms.calc = MLPotential(model, on_uncertainty="quiet")
    frames = []
    try:
        for step, frame in run_md(atoms, steps, timestep=timestep, temperature=temperature,
                                  friction=friction, seed=seed, every=every):
            frame.calc = None
            frame.info.update(field=np.array([0.0, 0.0, fz]), md_step=step,
                              temperature=temperature,
                              max_force_deviation=float(atoms.calc.results["max_force_deviation"]))
            frames.append(frame)
    except MDStopped:
        pass
    return frames


def select_uncertain(frames, n: int, low: float, high: float, min_separation: int = 1) -> list:
    """Up to ``n`` of ``frames`` with low ≤ σ < high (σ = ``info["max_force_deviation"]``,
    eV/Å), most uncertain first, no two closer than ``min_separation`` positions in the
    list (consecutive MD frames are nearly the same structure)."""
    if low >= high:
        raise ValueError(f"the trust window needs low < high, got {low}, {high}")
    sigma = np.array([a.info["max_force_deviation"] for a in frames], float)
    picked = []
    for k in np.argsort(-sigma, kind="stable"):
        if len(picked) == n:
            break
        if low <= sigma[k] < high and all(abs(k - j) >= min_separation for j in picked):
            picked.append(int(k))
    return [frames[k] for k in sorted(picked)]


def explore_and_pick(starts, model, steps: int, n: int, low: float, high: float, *,
                     every: int = 20, min_separation: int = 3, tag: str = "explore",
                     explored_with: str | None = None) -> list:
    """One active-learning round's picks: for run k of ``starts`` (``(atoms, temperature
    K)`` pairs), :func:`explore` (seed k, frames every ``every`` steps), then up to ``n`` of
    its frames after step 0 by :func:`select_uncertain`. Picks record ``trajectory`` =
    tag + k and, if given, ``explored_with`` (the exploring model's hash). One line per
    run is printed."""
    picks = []
    for k, (atoms, temperature) in enumerate(starts):
        frames = explore(atoms, model, steps, temperature=temperature, every=every, seed=k)
        chosen = select_uncertain(frames[1:], n, low, high, min_separation=min_separation)
        for a in chosen:
            if explored_with is not None:
                a.info["explored_with"] = explored_with
            a.info["trajectory"] = f"{tag}{k}"
        print(f"run {k}: {len(frames)} frames, σ max "
              f"{max(a.info['max_force_deviation'] for a in frames):.2f} eV/Å, picked {len(chosen)}",
              flush=True)
        picks += chosen
    return picks
