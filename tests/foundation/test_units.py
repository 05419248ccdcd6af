import numpy as np
from ase.units import Bohr, Hartree

from mlpec_lab import units


def test_field_atomic_unit_matches_protocol_table():
    # REFERENCE_PROTOCOL.md section 2: 1 Eh/(e·Bohr) = 51.422067 V/Å
    assert abs(units.FIELD_AU_V_PER_ANGSTROM - 51.422067) < 1e-5
    assert np.isclose(units.field_from_au(units.field_to_au(0.37)), 0.37, rtol=0, atol=1e-15)


def test_energy_length_dipole_conversions():
    assert np.isclose(units.hartree_to_ev(1.0), 27.211386, atol=1e-6)
    assert np.isclose(units.bohr_to_angstrom(1.0), 0.52917721, atol=1e-8)
    assert np.isclose(units.ev_to_hartree(units.hartree_to_ev(3.3)), 3.3)
    assert np.isclose(units.dipole_au_to_e_angstrom(2.0), 2 * Bohr)
    assert np.allclose(units.gradient_au_to_forces(np.array([1.0, -2.0])),
                       [-Hartree / Bohr, 2 * Hartree / Bohr])


def test_polarizability_volume_factor():
    # 1 e·Å²/V = 14.40 Å³ (protocol table): e/(4π ε0) = 14.3996 V·Å
    assert np.isclose(units.polarizability_to_volume(1.0), 14.3996, atol=1e-3)
    assert np.isclose(1 / (4 * np.pi * units.EPSILON0_E_PER_V_ANGSTROM), 14.3996, atol=1e-3)
