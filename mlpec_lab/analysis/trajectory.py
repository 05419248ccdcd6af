"""Trajectory input for the analyses: frames, species, charges and atomic dipoles, the
electrode surface.

A trajectory is a list of ``ase.Atoms``, a path ASE can read (every frame is taken),
or a field-scan Dataset from :func:`mlpec_lab.analysis.field_scan.field_scan` at one
field (see :func:`scan_frames`). :class:`FrameAnalysis` is the prepare / per-frame /
conclude skeleton (after MDAnalysis' ``AnalysisBase``) whose ``run`` returns xarray.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from ase import Atoms


def as_frames(trajectory, start: int | None = None, stop: int | None = None,
              step: int | None = None) -> list[Atoms]:
    """A list of ``ase.Atoms`` from a list, a single Atoms, or a trajectory file path."""
    if isinstance(trajectory, Atoms):
        frames = [trajectory]
    elif isinstance(trajectory, (str, os.PathLike)):
        from ase.io import read

        if not os.path.exists(trajectory):
            raise FileNotFoundError(f"trajectory file {os.fspath(trajectory)!r} does not exist")
        frames = read(trajectory, index=":")
        frames = [frames] if isinstance(frames, Atoms) else list(frames)
    elif isinstance(trajectory, Sequence) or hasattr(trajectory, "__iter__"):
        frames = list(trajectory)
    else:
        raise TypeError(f"a trajectory is a list of ase.Atoms or a file path, got {type(trajectory).__name__}")
    frames = frames[slice(start, stop, step)]
    if not frames:
        raise ValueError("the trajectory is empty: no frames to analyse")
    bad = [i for i, a in enumerate(frames) if not isinstance(a, Atoms)]
    if bad:
        raise TypeError(f"frame {bad[0]} is a {type(frames[bad[0]]).__name__}, not ase.Atoms")
    n = len(frames[0])
    for i, a in enumerate(frames):
        if len(a) != n or not np.array_equal(a.numbers, frames[0].numbers):
            raise ValueError(f"frame {i} has different atoms than frame 0: a trajectory "
                             "must keep the same atoms in the same order")
    return frames


def check_species(frames: list[Atoms], species) -> list[str]:
    """The requested element symbols, each checked to be present in the trajectory."""
    present = sorted(set(frames[0].get_chemical_symbols()))
    species = [species] if isinstance(species, str) else list(species)
    missing = [s for s in species if s not in present]
    if missing:
        raise ValueError(f"species {', '.join(missing)} not present in the trajectory "
                         f"(it has {', '.join(present)})")
    return species


def surface_z(atoms: Atoms, surface="auto") -> float:
    """z (Å) from which heights are measured.

    "auto": mean z of the top electrode layer (Pt atoms with tag 1 as made by
    :func:`mlpec_lab.systems.interface`; without tags, Pt atoms within 0.5 Å of the
    highest Pt), or 0 when there is no Pt; a number: that z; None: 0.
    """
    if surface is None:
        return 0.0
    if surface != "auto":
        return float(surface)
    pt = atoms.numbers == 78
    if not pt.any():
        return 0.0
    z = atoms.positions[pt, 2]
    tags = atoms.get_tags()[pt]
    if (tags == 1).any():
        return float(z[tags == 1].mean())
    return float(z[z > z.max() - 0.5].mean())


def frame_charges(atoms: Atoms, charges=None) -> np.ndarray:
    """Per-atom charges (n,) e of one frame.

    ``charges``: an (n,) array, a dict element → charge, or None to take the
    calculator's ``charges`` result (the ML potential's model charges), else
    ``atoms.arrays["charges"]``, else non-zero initial charges.
    """
    if charges is not None:
        if isinstance(charges, dict):
            missing = sorted(set(atoms.get_chemical_symbols()) - set(charges))
            if missing:
                raise ValueError(f"no charge given for element(s) {', '.join(missing)}")
            return np.array([charges[s] for s in atoms.get_chemical_symbols()], float)
        q = np.asarray(charges, float)
        if q.shape != (len(atoms),):
            raise ValueError(f"charges must be one value per atom ({len(atoms)}), got shape {q.shape}")
        return q
    q = _stored_per_atom(atoms, "charges")
    if q is not None:
        return q
    q = atoms.get_initial_charges()
    if np.any(q != 0):
        return q
    raise ValueError("frame has no per-atom charges: attach a calculator with a 'charges' "
                     "result (the ML potential), set atoms.arrays['charges'], or pass charges=")


def frame_atomic_dipoles(atoms: Atoms, charges=None) -> np.ndarray:
    """Per-atom dipoles p_i (n,) e·Å along z that go with the frame's charges: the
    calculator's ``atomic_dipoles`` result (the ML potential's), else
    ``atoms.arrays["atomic_dipoles"]``, else zeros — and zeros when ``charges`` are given
    explicitly (point charges alone)."""
    p = _stored_per_atom(atoms, "atomic_dipoles") if charges is None else None
    return np.zeros(len(atoms)) if p is None else p


def _stored_per_atom(atoms: Atoms, name: str):
    """The calculator's result ``name`` (n,), else ``atoms.arrays[name]``, else None."""
    calc = atoms.calc
    if calc is not None and name in getattr(calc, "results", {}):
        return np.asarray(calc.results[name], float)
    if name in atoms.arrays:
        return np.asarray(atoms.arrays[name], float)
    return None


def lateral_area(atoms: Atoms) -> float:
    """In-plane cell area |a × b| in Å²."""
    cell = atoms.cell.array
    area = float(np.linalg.norm(np.cross(cell[0], cell[1])))
    if area <= 0:
        raise ValueError("the cell has no in-plane area: set a cell (a, b) for the slab")
    return area


class FrameAnalysis:
    """Prepare / per-frame / conclude, after MDAnalysis' ``AnalysisBase``.

    Subclasses implement ``_prepare(first_frame)``, ``_single_frame(atoms)`` and
    ``_conclude() -> xarray``; ``run(trajectory, start, stop, step)`` drives them.
    """

    def run(self, trajectory, start=None, stop=None, step=None):
        self.frames = as_frames(trajectory, start, stop, step)
        self.n_frames = len(self.frames)
        self._prepare(self.frames[0])
        for self.frame_index, atoms in enumerate(self.frames):
            self._single_frame(atoms)
        return self._conclude()

    def _prepare(self, first_frame):  # pragma: no cover - interface
        raise NotImplementedError

    def _single_frame(self, atoms):  # pragma: no cover - interface
        raise NotImplementedError

    def _conclude(self):  # pragma: no cover - interface
        raise NotImplementedError
