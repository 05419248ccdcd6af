"""Datasets: extxyz with ``energy`` (eV), ``forces`` (eV/Å), ``dipole`` (e·Å) and
``info["field"]`` (V/Å, 3-vector), plus per-frame provenance in ``info``.

Writes are append-only, one ``os.write`` per frame, so an interrupted writer leaves
whole frames; the reader skips a corrupt frame, reports it, and keeps the rest.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read as ase_read
from ase.io import write as ase_write

from mlpec_lab.systems import fixed_atoms


@dataclasses.dataclass
class FrameProblem:
    """A frame that could not be read: 0-based frame position, 1-based line, reason."""

    frame: int
    line: int
    message: str

    def __str__(self):
        return f"frame {self.frame} (line {self.line}): {self.message}"


@dataclasses.dataclass
class Dataset:
    frames: list[Atoms]
    problems: list[FrameProblem]
    path: str = ""

    def __len__(self):
        return len(self.frames)


def config_id(atoms: Atoms, field=None) -> str:
    """A stable id of a configuration: elements, positions, cell, pbc and field."""
    from mlpec_lab.reference.xtb import field_vector

    h = hashlib.sha1()
    h.update(np.asarray(atoms.numbers, np.int64).tobytes())
    h.update(np.round(atoms.positions, 8).astype(np.float64).tobytes())
    h.update(np.round(atoms.cell.array, 8).astype(np.float64).tobytes())
    h.update(np.asarray(atoms.pbc, bool).tobytes())
    h.update(np.round(field_vector(atoms, field), 10).tobytes())
    return h.hexdigest()[:16]


def labelled(atoms: Atoms, energy: float, forces, dipole, field, **provenance) -> Atoms:
    """A copy of ``atoms`` carrying a label (energy eV, forces eV/Å, dipole e·Å) and the
    field (V/Å 3-vector) in ``info``, plus provenance key/values."""
    out = atoms.copy()
    out.info = {k: v for k, v in atoms.info.items() if k not in ("energy", "dipole")}
    out.info["field"] = np.asarray(field, float)
    out.info.update(provenance)
    out.calc = SinglePointCalculator(
        out, energy=float(energy), forces=np.asarray(forces, float), dipole=np.asarray(dipole, float)
    )
    return out


def known_forces(atoms: Atoms) -> np.ndarray:
    """(n,) bool: which atoms' stored forces are oracle labels.

    The first oracle-MD sets (``data/training/``, ``rev/``, and ``data/test/`` before its
    relabelling) were written with ASE's ``FixAtoms`` constraint applied, which replaced
    the forces on the fixed Pt atoms by exact zeros. A computed force is never exactly
    zero, so an exact zero vector on a fixed atom means "not labelled", not "no force".
    """
    forces = np.asarray(atoms.calc.results["forces"], float)
    return ~(fixed_atoms(atoms) & np.all(forces == 0.0, axis=1))


def frame_text(atoms: Atoms) -> str:
    """One extxyz frame as text."""
    buf = io.StringIO()
    ase_write(buf, atoms, format="extxyz")
    return buf.getvalue()


def append_frames(path, frames) -> None:
    """Append frames to ``path``; each frame is one ``os.write`` and is fsynced."""
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for atoms in frames:
            os.write(fd, frame_text(atoms).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def write_dataset(path, frames) -> None:
    """Write ``frames`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    append_frames(tmp, frames)
    os.replace(tmp, path)


def _is_count(line: str) -> bool:
    return line.strip().isdigit()


def _parse_block(lines: list[str]) -> Atoms:
    atoms = ase_read(io.StringIO("".join(lines)), format="extxyz")
    if atoms.calc is not None:
        for name, value in atoms.calc.results.items():
            if not np.all(np.isfinite(np.asarray(value, float))):
                raise ValueError(f"non-finite {name}")
    if not np.all(np.isfinite(atoms.positions)):
        raise ValueError("non-finite positions")
    return atoms


def read_dataset(path, quiet: bool = False) -> Dataset:
    """Read every readable frame of an extxyz file.

    A corrupt frame (bad atom count, truncated, unparsable or non-finite values) is
    skipped and reported in ``Dataset.problems`` (and as a warning unless ``quiet``).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"dataset {path} does not exist")
    lines = path.read_text().splitlines(keepends=True)
    frames, problems = [], []
    pos, index = 0, 0
    while pos < len(lines):
        if not lines[pos].strip():
            pos += 1
            continue
        start = pos
        try:
            if not _is_count(lines[pos]):
                raise ValueError(f"expected an atom count, found {lines[pos].strip()[:40]!r}")
            n = int(lines[pos])
            block = lines[pos: pos + n + 2]
            if len(block) < n + 2:
                raise ValueError(f"truncated: {n} atoms announced, {len(block) - 2} lines present")
            frames.append(_parse_block(block))
            pos += n + 2
        except Exception as exc:  # any parse failure: skip to the next frame header
            problems.append(FrameProblem(index, start + 1, str(exc)))
            pos = start + 1
            while pos < len(lines) and not (
                _is_count(lines[pos]) and pos + 1 < len(lines) and "Properties=" in lines[pos + 1]
            ):
                pos += 1
        index += 1
    if problems and not quiet:
        warnings.warn(
            f"{path}: skipped {len(problems)} corrupt frame(s), read {len(frames)}: "
            + "; ".join(map(str, problems[:5])),
            stacklevel=2,
        )
    return Dataset(frames, problems, str(path))


def append_failure(path, record: dict) -> None:
    """Append one failed-label record (JSON line) to ``path``."""
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_failures(path) -> list[dict]:
    """Failed-label records from a JSON-lines file (missing file: none)."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line from an interrupted writer
    return out
