"""A synthetic field-aware reference: EMT energies plus fixed-charge field terms.

E(R, F) = E_EMT(R) − μz0 F − ½ α0 F², μz0 = Σ q_e z_i (q_O = −0.8, q_H = +0.4 e),
α0 = 0.2 e·Å²/V: exactly representable by the model's functional form, cheap to label.
"""
import numpy as np
import pytest
from ase.calculators.emt import EMT

from mlpec_lab.datasets import labelled, write_dataset
from mlpec_lab.kernels.symmetry_spec import default_spec
from mlpec_lab.systems import interface

CHARGES = {"O": -0.8, "H": 0.4, "Pt": 0.0}
ALPHA0 = 0.2


def synthetic_label(atoms, fz):
    a = atoms.copy()
    a.calc = EMT()
    q = np.array([CHARGES[s] for s in a.get_chemical_symbols()])
    mu0 = float((q * a.positions[:, 2]).sum())
    energy = a.get_potential_energy() - mu0 * fz - 0.5 * ALPHA0 * fz**2
    forces = a.get_forces(apply_constraint=False)
    forces[:, 2] += fz * q
    return labelled(a, energy, forces, [0.0, 0.0, mu0 + ALPHA0 * fz], [0.0, 0.0, fz],
                    oracle="synthetic EMT + fixed charges")


def small_spec():
    return default_spec(species=("H", "O", "Pt"), rc_radial=4.5, rc_angular=3.5)


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
