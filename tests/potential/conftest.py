"""A synthetic field-aware reference: EMT energies plus field-dependent charges.

q_i(F) = q_e + χ_i F with q_O = −0.8, q_H = +0.4 e and χ = +0.05 / −0.05 e·Å/V on the top /
bottom Pt layer (the metal's induced surface charge); μz0 = Σ q_e z_i, α = Σ χ_i z_i and
E(R, F) = E_EMT(R) − μz0 F − ½ α F²: exactly representable by the model's functional
form, not by per-element constants, and cheap to label.
"""
import numpy as np
import pytest
from ase.calculators.emt import EMT

from mlpec_lab.datasets import labelled, write_dataset
from mlpec_lab.kernels.symmetry_spec import default_spec
from mlpec_lab.systems import interface

CHARGES = {"O": -0.8, "H": 0.4, "Pt": 0.0}
CHI_TOP_BOTTOM = 0.05


def synthetic_label(atoms, fz):
    a = atoms.copy()
    a.calc = EMT()
    q = np.array([CHARGES[s] for s in a.get_chemical_symbols()])
    tags = a.get_tags()
    chi = np.where(tags == 1, CHI_TOP_BOTTOM, np.where(tags == tags.max(), -CHI_TOP_BOTTOM, 0.0))
    z = a.positions[:, 2]
    mu0, alpha = float((q * z).sum()), float((chi * z).sum())
    energy = a.get_potential_energy() - mu0 * fz - 0.5 * alpha * fz**2
    forces = a.get_forces(apply_constraint=False)
    forces[:, 2] += fz * q + 0.5 * fz**2 * chi
    return labelled(a, energy, forces, [0.0, 0.0, mu0 + alpha * fz], [0.0, 0.0, fz],
                    oracle="synthetic EMT + field-dependent charges")


def small_spec(height=False, cell_dipole=False):
    return default_spec(species=("H", "O", "Pt"), rc_radial=4.5, rc_angular=3.5, height=height,
                        cell_dipole=cell_dipole)


@pytest.fixture(scope="session")
def synthetic_frames():
    rng = np.random.default_rng(0)
    frames = []
    for k in range(24):
        atoms = interface(n_water=2, layers=3, seed=k)
        atoms.rattle(0.05, seed=k)
        frames.append(synthetic_label(atoms, float(rng.uniform(-0.5, 0.5))))
    return frames


@pytest.fixture(scope="session")
def synthetic_dataset(tmp_path_factory, synthetic_frames):
    path = tmp_path_factory.mktemp("data") / "synthetic.extxyz"
    write_dataset(path, synthetic_frames)
    return path
