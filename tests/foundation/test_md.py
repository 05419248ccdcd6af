"""MD driver: the vacuum wall turns atoms back at the analytic depth and conserves energy."""
import numpy as np
import pytest
from ase import Atoms, units
from ase.calculators.lj import LennardJones
from ase.constraints import FixAtoms

from mlpec_lab.sampling.md import VacuumWall, run_md, vacuum_wall


def free_atom(z=18.0, vz=0.02):
    """One O atom in an empty slab cell moving up at vz Å/fs (no force but the wall's)."""
    atoms = Atoms("O", positions=[[1.0, 1.0, z]], cell=[10.0, 10.0, 32.0], pbc=(True, True, False))
    atoms.calc = LennardJones()  # a lone atom: zero force
    atoms.set_velocities([[0.0, 0.0, vz / units.fs]])
    return atoms


def test_wall_turns_an_atom_back_at_the_harmonic_depth_and_conserves_energy():
    atoms = free_atom()
    kinetic = atoms.get_kinetic_energy()
    spring, z_wall = 5.0, 20.0
    depth = np.sqrt(2.0 * kinetic / spring)  # ½ k d² = ½ m v²
    heights, totals = [], []
    for _, frame in run_md(atoms, 600, timestep=0.5, friction=None, init_velocities=False,
                           wall_z=z_wall, wall_spring=spring):
        heights.append(frame.positions[0, 2])
        totals.append(atoms.get_potential_energy() + atoms.get_kinetic_energy())
    assert max(heights) == pytest.approx(z_wall + depth, abs=2e-3 * depth + 1e-4)
    assert atoms.get_velocities()[0, 2] < 0  # on its way back down
    assert np.ptp(totals) < 1e-3 * kinetic
    assert heights[-1] < z_wall


def test_wall_energy_and_force_are_one_potential():
    atoms = free_atom(z=20.3)
    atoms.set_constraint(vacuum_wall(Atoms("O", positions=[[1, 1, 10.0]], cell=[10, 10, 32]),
                                     20.0, 5.0))
    assert atoms.get_potential_energy() == pytest.approx(0.5 * 5.0 * 0.3**2, rel=1e-12)
    d = 1e-5
    e = []
    for s in (-1, 1):
        atoms.positions[0, 2] += s * d
        e.append(atoms.get_potential_energy())
        atoms.positions[0, 2] -= s * d
    assert atoms.get_forces()[0, 2] == pytest.approx(-(e[1] - e[0]) / (2 * d), rel=1e-6)


def test_wall_spares_fixed_atoms_and_rejects_bad_input():
    atoms = Atoms("Pt2O", positions=[[0, 0, 2.0], [1, 1, 4.0], [2, 2, 10.0]], cell=[10, 10, 32],
                  pbc=(True, True, False))
    atoms.set_constraint(FixAtoms(indices=[0, 1]))
    assert vacuum_wall(atoms, 20.0).index.tolist() == [2]
    with pytest.raises(ValueError, match="already sit above the wall"):
        vacuum_wall(atoms, 9.0)
    with pytest.raises(ValueError, match="outside the cell"):
        vacuum_wall(atoms, 40.0)
    with pytest.raises(ValueError, match="spring constant"):
        vacuum_wall(atoms, 20.0, spring=0.0)


def test_the_wall_lasts_as_long_as_the_run():
    atoms = free_atom()
    for _ in run_md(atoms, 3, friction=None, init_velocities=False, wall_z=20.0):
        assert any(isinstance(c, VacuumWall) for c in atoms.constraints)
    assert not any(isinstance(c, VacuumWall) for c in atoms.constraints)
