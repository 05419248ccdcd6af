"""Build an oracle-labelled training set: oracle-driven MD at several fields and
compositions, plus rattled copies. Resumable: each trajectory is done once, and
labelling skips what is already labelled (``mlpec_lab.reference.labelling``).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import molecule
from tqdm.auto import tqdm

from mlpec_lab.datasets import append_frames, config_id, labelled, read_dataset
from mlpec_lab.reference import XTBReference
from mlpec_lab.reference.labelling import PROTOCOL, label
from mlpec_lab.sampling.md import MDStopped, run_md
from mlpec_lab.systems import interface


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """One oracle-MD run: composition, field (V/Å), temperature (K), seed, length."""

    n_water: int
    ions: str | None = None
    adsorbates: tuple = ()
    field: float = 0.0
    temperature: float = 350.0
    seed: int = 0
    steps: int = 24
    every: int = 2
    layers: int = 3

    @property
    def name(self) -> str:
        ads = "".join(self.adsorbates) or "none"
        return (f"w{self.n_water}_ion{self.ions or 'none'}_ads{ads}_F{self.field:+.2f}"
                f"_T{self.temperature:.0f}_s{self.seed}_L{self.layers}")


COMPOSITIONS = [
    dict(n_water=4), dict(n_water=8), dict(n_water=12, ions="NaCl"),
    dict(n_water=16, ions="NaCl"), dict(n_water=8, adsorbates=("OH",)),
    dict(n_water=8, adsorbates=("H",)), dict(n_water=6, adsorbates=("O",)),
    dict(n_water=10, ions="Na"), dict(n_water=10, ions="Cl"),
]
FIELDS = (-0.5, -0.25, 0.0, 0.25, 0.5)


def default_plan(per_composition: int = 3) -> list[Trajectory]:
    """Trajectories covering every composition at ``per_composition`` fields/temperatures,
    interleaved (every composition once, then every composition again...) so that a
    partial run already covers the whole family."""
    plan, k = [], 0
    for comp in COMPOSITIONS:
        for j in range(per_composition):
            field = FIELDS[(k + 2 * j) % len(FIELDS)]
            plan.append((j, Trajectory(**comp, field=field, temperature=(300.0, 400.0)[j % 2], seed=k)))
            k += 1
    return [traj for _, traj in sorted(plan, key=lambda item: item[0])]


def test_plan() -> list[Trajectory]:
    """Held-out trajectories sampled differently from ``default_plan``: water counts,
    fields and temperatures that the training plan does not use."""
    return [
        Trajectory(n_water=6, field=0.4, temperature=350.0, seed=501, steps=16),
        Trajectory(n_water=14, ions="NaCl", field=-0.15, temperature=330.0, seed=502, steps=16),
        Trajectory(n_water=10, adsorbates=("OH",), field=0.1, temperature=450.0, seed=503, steps=16),
        Trajectory(n_water=9, ions="Na", field=-0.4, temperature=330.0, seed=504, steps=16),
    ]


# Independent structures: (n_water, ions, adsorbates) combinations that avoid the
# held-out set's (test_plan) combinations, and a field grid that avoids its fields.
INDEPENDENT_COMPOSITIONS = (
    [dict(n_water=n) for n in (2, 4, 5, 7, 8, 11, 12)]
    + [dict(n_water=n, ions="NaCl") for n in (8, 10, 12, 13, 15, 16)]
    + [dict(n_water=n, ions=ion) for ion in ("Na", "Cl") for n in (7, 8, 10, 11, 12)]
    + [dict(n_water=n, adsorbates=(ads,)) for ads in ("OH", "H") for n in (4, 7, 8, 11, 12)]
    + [dict(n_water=n, adsorbates=("O",)) for n in (4, 6, 8)]
)
INDEPENDENT_FIELDS = tuple(np.round(np.linspace(-0.5, 0.5, 9), 3))  # step 0.125 V/Å
HYDROGEN_RATTLE = (0.03, 0.06, 0.1)  # Å; heavier atoms get sqrt(m_H/m) of it


def mass_scaled_rattle(atoms, rng) -> float:
    """Displace the mobile (non-Pt) atoms in place by N(0, σ_i²) per component, σ_i =
    a·sqrt(m_H/m_i) with a drawn from HYDROGEN_RATTLE; returns a (Å)."""
    amplitude = float(rng.choice(HYDROGEN_RATTLE))
    mobile = atoms.numbers != 78
    sigma = amplitude * np.sqrt(1.008 / atoms.get_masses()[mobile, None])
    atoms.positions[mobile] += rng.normal(size=(mobile.sum(), 3)) * sigma
    return amplitude


def independent_structures(n: int, seed: int = 1000) -> list:
    """``n`` independently built interfaces (composition, field and build seed drawn per
    structure), each with its mobile atoms displaced by a mass-scaled Gaussian
    (σ_i = a·sqrt(m_H/m_i), a drawn from HYDROGEN_RATTLE, a thermal-like spread).
    Deterministic in ``seed``, so a rerun rebuilds the same configurations."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        comp = INDEPENDENT_COMPOSITIONS[rng.integers(len(INDEPENDENT_COMPOSITIONS))]
        field = float(rng.choice(INDEPENDENT_FIELDS))
        atoms = interface(**comp, field=field, seed=seed + k)
        atoms.info.update(rattle=mass_scaled_rattle(atoms, rng), build_seed=seed + k)
        out.append(atoms)
    return out


def stark_structures(n: int, seed: int = 3000) -> list:
    """``n`` structures for the field response of the pieces of an interface: one H2O on
    the slab (H2O*), the bare slab, and OH*, H*, O* on the bare slab (the systems of the
    Stark comparison, issue 5), each rattled (mass-scaled, as
    :func:`independent_structures`) at a field from INDEPENDENT_FIELDS."""
    rng = np.random.default_rng(seed)
    kinds = {"H2O*": dict(n_water=1), "slab": dict(n_water=0),
             "OH*": dict(n_water=0, adsorbates=("OH",)), "H*": dict(n_water=0, adsorbates=("H",)),
             "O*": dict(n_water=0, adsorbates=("O",))}
    out = []
    for k in range(n):
        kind = list(kinds)[k % len(kinds)]
        atoms = interface(**kinds[kind], field=0.0, seed=seed + k)
        field = float(rng.choice(INDEPENDENT_FIELDS))
        atoms.info["field"] = np.array([0.0, 0.0, field])
        atoms.info.update(rattle=mass_scaled_rattle(atoms, rng), build_seed=seed + k,
                          trajectory=f"stark_{kind}")
        out.append(atoms)
    return out


HEIGHT_PIECES = ("H2O", "Na", "Cl", "H2O+Na")


def height_structures(n: int, seed: int = 4000, heights=(3.0, 16.0)) -> list:
    """``n`` structures for the field-driven charge transfer across the electrolyte: one
    piece of ``HEIGHT_PIECES`` (a water in a random orientation, a Na or Cl atom, or a
    water and a Na at independent heights) above the bare 3-layer slab, its lowest atom
    at a height drawn uniformly from ``heights`` (Å above the top Pt layer), at a random
    in-plane position and a field from INDEPENDENT_FIELDS. The oracle moves charge
    between such a piece and the metal depending on height and field
    (``kernels/electrode_height.py``); the other sets have no atom that far from the
    rest of the electrolyte."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        kind = HEIGHT_PIECES[k % len(HEIGHT_PIECES)]
        atoms = interface(n_water=0, layers=3, field=0.0, seed=seed + k)
        top = atoms.positions[:, 2].max()
        for part in kind.split("+"):
            piece = molecule(part) if part == "H2O" else Atoms(part)
            piece.rotate(rng.uniform(0, 360), rng.normal(size=3) + 1e-9, center="COP")
            shift = np.array([*(rng.uniform(0, 1, 2) @ atoms.cell.array[:2, :2]),
                              top + rng.uniform(*heights) - piece.positions[:, 2].min()])
            piece.positions += shift - [*piece.positions[0, :2], 0.0]
            atoms += piece
        field = float(rng.choice(INDEPENDENT_FIELDS))
        atoms.info["field"] = np.array([0.0, 0.0, field])
        atoms.info.update(build_seed=seed + k, trajectory=f"height_{kind}")
        out.append(atoms)
    return out


def label_structure_set(out_dir, build) -> dict:
    """A set of independent structures, labelled: ``build()`` (a list of Atoms) is written
    to ``out_dir/configs.extxyz`` unless that file exists (a rerun rebuilds nothing), then
    labelled into ``out_dir/labelled.extxyz``, resumably. Returns ``label``'s summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    configs = out / "configs.extxyz"
    if not configs.exists():
        append_frames(configs, build())
    return label(configs, out / "labelled.extxyz")


def sample_trajectory(traj: Trajectory) -> list:
    """Labelled frames from oracle-driven Langevin MD of ``traj``.

    Every MD step is a from-scratch oracle call (SAD guess, as labels must be), so the
    sampled frames carry their labels without a second call."""
    atoms = interface(n_water=traj.n_water, ions=traj.ions, adsorbates=traj.adsorbates,
                      layers=traj.layers, field=traj.field, seed=traj.seed)
    atoms.calc = XTBReference(reuse_wavefunction=False)
    frames = []
    try:
        for step, frame in run_md(atoms, traj.steps, temperature=traj.temperature,
                                  seed=traj.seed, every=traj.every):
            field = atoms.info["field"]
            res = atoms.calc.results  # the oracle's own: forces on fixed atoms too
            frames.append(labelled(frame, res["energy"], res["forces"], res["dipole"], field,
                                   config_id=config_id(frame, field), oracle=PROTOCOL,
                                   scf_rung=str(atoms.calc.scf_rung), trajectory=traj.name,
                                   md_step=step))
    except MDStopped as stop:
        print(f"{traj.name}: {stop}; keeping {len(frames)} frames")
    return frames


def rattled(frames, amplitude: float, seed: int) -> list:
    """Copies of ``frames`` with non-Pt atoms displaced by N(0, amplitude²) Å."""
    rng = np.random.default_rng(seed)
    out = []
    for atoms in frames:
        a = atoms.copy()
        a.calc = None
        a.info = {"field": atoms.info["field"], "trajectory": atoms.info.get("trajectory", "")}
        mobile = a.numbers != 78
        a.positions[mobile] += rng.normal(scale=amplitude, size=(mobile.sum(), 3))
        a.info.update(rattle=amplitude)
        out.append(a)
    return out


def build_training_set(out_dir, plan=None, rattle_fraction: float = 0.3, seed: int = 0) -> dict:
    """Run every trajectory of ``plan`` once (its frames labelled as they are sampled),
    rattle some frames and label those; all labels go to ``out_dir/labelled.extxyz``.
    Safe to interrupt and rerun."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    configs = out_dir / "configs.extxyz"
    done_file = out_dir / "trajectories_done.json"
    done = set(json.loads(done_file.read_text())) if done_file.exists() else set()
    plan = default_plan() if plan is None else plan
    for k, traj in enumerate(tqdm(plan, desc="oracle MD")):
        if traj.name in done:
            continue
        frames = sample_trajectory(traj)
        labelled_md = out_dir / "labelled.extxyz"
        append_frames(labelled_md, frames)
        rng = np.random.default_rng(seed + k)
        pick = [f for f in frames[1:] if rng.random() < rattle_fraction]
        append_frames(configs, rattled(pick, amplitude=rng.choice([0.02, 0.04]), seed=seed + k))
        done.add(traj.name)
        tmp = done_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(done), indent=0))
        tmp.replace(done_file)
        label(configs, out_dir / "labelled.extxyz", progress=False)
    counts = label(configs, out_dir / "labelled.extxyz", progress=False)
    counts["labelled_total"] = len(read_dataset(out_dir / "labelled.extxyz", quiet=True))
    return counts
