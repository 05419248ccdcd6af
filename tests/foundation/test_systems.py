import numpy as np
import pytest
from ase import Atoms
from ase.constraints import FixAtoms
from ase.neighborlist import neighbor_list

from mlpec_lab.systems import LZ, StructureError, interface, validate


def test_standard_cell_matches_protocol():
    atoms = interface(n_water=0, layers=3)
    cell = atoms.cell.array
    assert np.allclose(cell[0], [8.31558, 0, 0], atol=1e-5)
    assert np.allclose(cell[1], [4.15779, 7.20150, 0], atol=1e-5)
    assert np.allclose(cell[2], [0, 0, LZ])
    assert tuple(atoms.pbc) == (True, True, False)
    z = atoms.positions[:, 2]
    assert np.isclose(z.min(), 2.0)
    assert np.isclose(atoms.positions[atoms.get_tags() == 3][:, 2].max(), 2.0)
    fixed = atoms.constraints[0]
    assert isinstance(fixed, FixAtoms) and len(fixed.index) == 27


@pytest.mark.parametrize("n_water,ions,adsorbates,layers", [
    (16, "NaCl", (), 3), (20, {"Na": 1, "Cl": 1}, ("OH", "H", "O"), 4), (8, None, ("H",), 3)])
def test_interface_composition_density_and_no_overlaps(n_water, ions, adsorbates, layers):
    atoms = interface(n_water=n_water, ions=ions, adsorbates=adsorbates, layers=layers,
                      field=0.3, seed=4)
    symbols = atoms.get_chemical_symbols()
    n_ads_o = sum(a in ("O", "OH") for a in adsorbates)
    n_ads_h = sum(a in ("H", "OH") for a in adsorbates)
    assert symbols.count("O") == n_water + n_ads_o
    assert symbols.count("H") == 2 * n_water + n_ads_h
    assert symbols.count("Pt") == 9 * layers
    assert np.allclose(atoms.info["field"], [0, 0, 0.3])
    z = atoms.positions[:, 2]
    assert z.max() <= LZ - 8.0 and z.min() > 0
    # a solvent heavy atom (water O, ion) is never within 2.4 Å of another heavy atom
    tags = atoms.get_tags()
    assert (tags == -1).sum() == len(adsorbates) + sum(a == "OH" for a in adsorbates)
    i, j, d = neighbor_list("ijd", atoms, 2.4)
    heavy = np.array([s != "H" for s in symbols])
    solvent_heavy = heavy & (tags == 0)
    assert not np.any(solvent_heavy[i] & heavy[j]), "solvent heavy atom closer than 2.4 Å"
    # about liquid density: molecules / (area × height of the solvent layer)
    solvent = (atoms.get_tags() == 0) & np.array([s in ("O", "Na", "Cl") for s in symbols])
    solvent_z = z[solvent]
    area = abs(np.linalg.det(atoms.cell.array[:2, :2]))
    n_mol = n_water + (2 if ions else 0)
    rho = n_mol / (area * (np.ptp(solvent_z) + 3.0))
    assert 0.018 < rho < 0.05


def test_interface_is_reproducible_with_seed():
    a = interface(n_water=6, seed=7)
    b = interface(n_water=6, seed=7)
    c = interface(n_water=6, seed=8)
    assert np.array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)


def test_too_many_waters_for_the_cell_is_refused():
    with pytest.raises(StructureError, match="room up to z = 24"):
        interface(n_water=60)


def test_validate_refuses_unknown_element():
    atoms = interface(n_water=1)
    atoms[-1].symbol = "Cu"
    with pytest.raises(StructureError, match="Cu not in the system family"):
        validate(atoms)


def test_validate_refuses_atom_outside_z_window():
    atoms = interface(n_water=1)
    atoms.positions[-1, 2] = 33.0
    with pytest.raises(StructureError, match="outside the window 0 < z < 32"):
        validate(atoms)


def test_validate_refuses_overlapping_atoms():
    atoms = interface(n_water=1)
    atoms.positions[-1] = atoms.positions[-3] + [0.1, 0, 0]
    with pytest.raises(StructureError, match="overlap"):
        validate(atoms)


def test_validate_refuses_wrong_cell_height_and_accepts_molecules():
    atoms = interface(n_water=1)
    atoms.set_cell([atoms.cell[0], atoms.cell[1], [0, 0, 20.0]], scale_atoms=False)
    with pytest.raises(StructureError, match=r"needs \(0, 0, 32"):
        validate(atoms)
    validate(Atoms("OH2", [(0, 0, 0), (0.76, 0.59, 0), (-0.76, 0.59, 0)]))


def test_height_structures_put_one_piece_at_the_drawn_height():
    from mlpec_lab.sampling.training_set import HEIGHT_PIECES, INDEPENDENT_FIELDS, height_structures

    structures = height_structures(8, seed=11)
    again = height_structures(8, seed=11)
    kinds = [a.info["trajectory"] for a in structures]
    assert kinds == [f"height_{p}" for p in HEIGHT_PIECES] * 2
    for a, b in zip(structures, again):
        validate(a)  # inside the protocol's cell and vacuum
        assert np.array_equal(a.positions, b.positions)  # rebuilt identically from the seed
        metal = a.numbers == 78
        assert metal.sum() == 27 and a.info["field"][2] in INDEPENDENT_FIELDS
        height = a.positions[~metal, 2].min() - a.positions[metal, 2].max()
        assert 3.0 <= height <= 16.0 + 1e-9
