"""The core repulsion: ZBL against its defining formula, forces = −∇E, zero on the
training structures, and it stops a collapsing pair."""
import numpy as np
import pytest
from ase import Atoms

from mlpec_lab.kernels.symmetry_functions import species_indices
from mlpec_lab.potential.core_repulsion import core_radii, core_repulsion, zbl
from mlpec_lab.systems import interface

SPEC = {"species": ["H", "O", "Na", "Cl", "Pt"]}


def index(atoms):
    return species_indices(SPEC, atoms.get_chemical_symbols())


def test_zbl_matches_the_universal_formula_for_h2():
    # Z1 = Z2 = 1: a = 0.8854 a0 / (2 · 1^0.23); V = e²/(4πε0 r) φ(r/a)
    r = 0.5
    a = 0.8854 * 0.529177 / 2.0
    x = r / a
    phi = (0.1818 * np.exp(-3.2 * x) + 0.5099 * np.exp(-0.9423 * x)
           + 0.2802 * np.exp(-0.4029 * x) + 0.02817 * np.exp(-0.2016 * x))
    v, dv = zbl(r, 1, 1)
    assert v == pytest.approx(14.399645 * phi / r, rel=1e-3)
    h = 1e-6
    assert dv == pytest.approx((zbl(r + h, 1, 1)[0] - zbl(r - h, 1, 1)[0]) / (2 * h), rel=1e-6)


def test_forces_are_minus_the_energy_gradient():
    atoms = interface(n_water=4, ions="NaCl", seed=1)
    radii = np.full((5, 5), 2.6)  # many pairs inside, including across the periodic cell
    rng = np.random.default_rng(0)
    atoms.positions[atoms.numbers != 78] += rng.normal(scale=0.15, size=((atoms.numbers != 78).sum(), 3))
    energy, forces = core_repulsion(atoms, index(atoms), radii)
    assert energy > 0
    h = 1e-5
    for i in rng.choice(len(atoms), 8, replace=False):
        for c in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[i, c] += h
            minus.positions[i, c] -= h
            fd = -(core_repulsion(plus, index(plus), radii)[0] - core_repulsion(minus, index(minus), radii)[0]) / (2 * h)
            assert forces[i, c] == pytest.approx(fd, abs=1e-6, rel=1e-6)


def test_radii_from_the_training_set_leave_every_training_structure_untouched():
    frames = [interface(n_water=6, ions="NaCl", seed=s) for s in range(3)]
    radii = core_radii(frames, SPEC)
    assert radii[0, 1] == pytest.approx(radii[1, 0]) and radii[0, 1] < 1.1  # O–H bond
    for atoms in frames:
        energy, forces = core_repulsion(atoms, index(atoms), radii)
        assert energy == 0.0 and not forces.any()
    # a pair never seen closer than the search cutoff gets the covalent-radius default
    assert core_radii([Atoms("H2", [(0, 0, 0), (0, 0, 5)])], {"species": ["H"]})[0, 0] == pytest.approx(0.8 * 2 * 0.31)


def test_it_pushes_a_too_close_pair_apart():
    radii = np.full((5, 5), 1.4)
    atoms = Atoms("H2", [(0, 0, 0), (0, 0, 0.3)], cell=[10, 10, 10])
    energy, forces = core_repulsion(atoms, index(atoms), radii)
    assert energy > 10  # eV: far above any thermal energy
    assert forces[0, 2] < 0 < forces[1, 2]


def test_the_calculator_adds_the_core_term_stored_in_the_model_file(tmp_path):
    from mlpec_lab.potential.calculator import MLPotential
    from mlpec_lab.potential.modelfile import save_committee

    from .conftest import small_spec
    from .test_model import random_model

    spec = small_spec()
    members = [random_model(spec, seed=s) for s in range(2)]
    radii = np.full((3, 3), 1.2)
    save_committee(tmp_path / "core.pt", members, spec, (-0.5, 0.5), {}, core_radii=radii)
    save_committee(tmp_path / "bare.pt", members, spec, (-0.5, 0.5), {})
    atoms = interface(n_water=4, seed=2)
    atoms.positions[-1] = atoms.positions[-3] + [0.2, 0.3, 0.1]  # an H next to the O
    results = {}
    for name in ("core", "bare"):
        a = atoms.copy()
        a.calc = MLPotential(str(tmp_path / f"{name}.pt"), on_uncertainty="quiet")
        results[name] = (a.get_potential_energy(), a.get_forces())
    e_core, f_core = core_repulsion(atoms, species_indices(spec, atoms.get_chemical_symbols()), radii)
    assert e_core > 0
    assert results["core"][0] - results["bare"][0] == pytest.approx(e_core, rel=1e-9)
    np.testing.assert_allclose(results["core"][1] - results["bare"][1], f_core, atol=1e-9)
