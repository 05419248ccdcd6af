"""Langevin / NVE molecular dynamics with any ASE calculator, with blow-up guards.

A run stops (``MDStopped``) with the last good frame kept when the energy or forces are
not finite, a force exceeds ``max_force``, or an atom leaves the protocol's z-window.

An optional wall keeps molecules out of the vacuum above the film: far out in a strong
field the reference itself becomes unphysical (GFN1-xTB at Fz = +0.3 V/Å puts +0.39 e on
a water molecule 24 Å above the metal: field ionisation across the vacuum), and the
training set has no atom there. Without a wall a molecule that evaporates keeps gaining
energy from the field. The wall is part of the potential energy, so NVE still conserves.
"""
from __future__ import annotations

import numpy as np
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.md.verlet import VelocityVerlet

from mlpec_lab.systems import LZ, MIN_VACUUM, fixed_atoms

#: default wall height, Å: the protocol keeps MIN_VACUUM of empty cell above the film
DEFAULT_WALL_Z = LZ - MIN_VACUUM


class MDStopped(RuntimeError):
    """MD stopped for a physical reason; ``last_good`` holds the last good frame."""

    def __init__(self, message, last_good=None, step=None):
        super().__init__(message)
        self.last_good = last_good
        self.step = step


def _check(atoms, max_force: float, step: int):
    e = atoms.get_potential_energy()
    f = atoms.get_forces()
    if not np.isfinite(e) or not np.all(np.isfinite(f)):
        return f"non-finite energy or forces at step {step}"
    fmax = np.linalg.norm(f, axis=1).max()
    if fmax > max_force:
        return f"force {fmax:.1f} eV/Å above the bound {max_force} eV/Å at step {step}"
    if tuple(atoms.pbc) == (True, True, False):
        z = atoms.positions[:, 2]
        if z.min() <= 0.0 or z.max() >= LZ:
            return f"an atom left the window 0 < z < {LZ} Å at step {step} (evaporation)"
    return None


class VacuumWall:
    """An ASE constraint that is a potential: every atom of ``indices`` above ``z_wall`` (Å)
    feels ½ k (z − z_wall)² (k = ``spring`` eV/Å²), added to the potential energy and the
    forces (ASE's ``Hookean`` plane restraint, for many atoms at once)."""

    def __init__(self, indices, z_wall: float, spring: float = 5.0):
        self.index = np.asarray(indices, int)
        self.z_wall, self.spring = float(z_wall), float(spring)

    def _depth(self, atoms):
        return np.maximum(atoms.positions[self.index, 2] - self.z_wall, 0.0)

    def adjust_positions(self, atoms, new):
        pass

    def adjust_momenta(self, atoms, momenta):
        pass

    def adjust_forces(self, atoms, forces):
        forces[self.index, 2] -= self.spring * self._depth(atoms)

    def adjust_potential_energy(self, atoms):
        return 0.5 * self.spring * float(np.sum(self._depth(atoms) ** 2))

    def get_removed_dof(self, atoms):
        return 0

    def index_shuffle(self, atoms, ind):
        raise NotImplementedError("a VacuumWall does not follow atoms into a slice")

    def todict(self):
        return {"name": "VacuumWall", "kwargs": {"indices": self.index.tolist(),
                                                 "z_wall": self.z_wall, "spring": self.spring}}

    def __repr__(self):
        return f"VacuumWall({len(self.index)} atoms, z_wall={self.z_wall} Å, k={self.spring} eV/Å²)"


def vacuum_wall(atoms, z_wall: float, spring: float = 5.0) -> VacuumWall:
    """A :class:`VacuumWall` on every atom not held by ``FixAtoms``, checked against the
    cell and the current positions."""
    if not 0.0 < z_wall <= atoms.cell[2, 2] and atoms.cell[2, 2] > 0:
        raise ValueError(f"the wall at z = {z_wall} Å is outside the cell (0, {atoms.cell[2, 2]:.1f}] Å")
    if spring <= 0:
        raise ValueError(f"the wall's spring constant must be positive, got {spring} eV/Å²")
    high = np.flatnonzero(atoms.positions[:, 2] > z_wall)
    if len(high):
        raise ValueError(f"{len(high)} atoms already sit above the wall at z = {z_wall} Å "
                         f"(highest at {atoms.positions[:, 2].max():.1f} Å)")
    return VacuumWall(np.flatnonzero(~fixed_atoms(atoms)), z_wall, spring)


def _without_walls(atoms):
    atoms.set_constraint([c for c in atoms.constraints if not isinstance(c, VacuumWall)])
    return atoms


def run_md(atoms, steps: int, timestep: float = 0.5, temperature: float = 300.0,
           friction: float | None = 0.02, seed: int = 0, every: int = 1,
           max_force: float = 50.0, init_velocities: bool = True, callback=None,
           wall_z: float | None = None, wall_spring: float = 5.0):
    """Run MD on ``atoms`` (calculator attached) and yield ``(step, atoms.copy())``.

    timestep fs; temperature K; friction 1/fs for Langevin (None: NVE velocity
    Verlet); frames every ``every`` steps, step 0 included; ``callback(step, atoms)``
    after each yielded frame. wall_z: Å, a harmonic wall (``wall_spring`` eV/Å²) above
    which no mobile atom goes (None: no wall); frame energies include it, and ``atoms``
    carries it only while the run lasts. Raises MDStopped with the last good frame on
    blow-up.
    """
    _without_walls(atoms)
    if wall_z is not None:
        atoms.set_constraint(list(atoms.constraints) + [vacuum_wall(atoms, wall_z, wall_spring)])
    try:
        yield from _run(atoms, steps, timestep, temperature, friction, seed, every, max_force,
                        init_velocities, callback)
    finally:
        _without_walls(atoms)


def _run(atoms, steps, timestep, temperature, friction, seed, every, max_force,
         init_velocities, callback):
    rng = np.random.default_rng(seed)
    if init_velocities:
        MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
        Stationary(atoms)
    if friction is None:
        dyn = VelocityVerlet(atoms, timestep * units.fs)
    else:
        dyn = Langevin(atoms, timestep * units.fs, temperature_K=temperature,
                       friction=friction / units.fs, rng=rng, fixcm=False)
    last_good = None
    for step in range(steps + 1):
        if step:
            dyn.run(1)
        problem = _check(atoms, max_force, step)
        if problem:
            raise MDStopped(problem, last_good=last_good, step=step)
        last_good = _without_walls(atoms.copy())
        last_good.calc = SinglePointCalculator(
            last_good, energy=atoms.get_potential_energy(), forces=atoms.get_forces())
        if step % every == 0:
            frame = last_good.copy()
            frame.calc = last_good.calc
            yield step, frame
            if callback is not None:
                callback(step, frame)


def energy_drift(time_fs, total_energy, n_atoms: int) -> dict:
    """NVE conservation from total energies (eV) at times (fs): the least-squares slope
    (eV/atom/ps), the end-to-end change and the rms fluctuation about the fit (eV/atom)."""
    t = np.asarray(time_fs, float) / 1000.0
    e = np.asarray(total_energy, float) / n_atoms
    if len(t) < 3:
        raise ValueError(f"an energy drift needs at least 3 frames, got {len(t)}")
    slope, intercept = np.polyfit(t, e, 1)
    return {"drift_eV_per_atom_per_ps": float(slope),
            "change_eV_per_atom": float(e[-1] - e[0]),
            "fluctuation_eV_per_atom": float(np.std(e - (slope * t + intercept))),
            "duration_ps": float(t[-1] - t[0])}
