"""One home for unit conversions (ASE 3.29 CODATA constants).

Project units: energy eV, length Å, time fs, field V/Å, dipole e·Å,
polarizability e·Å²/V, potential V, temperature K.
"""
from ase import units as _u

#: 1 Hartree in eV
HARTREE_EV = _u.Hartree
#: 1 Bohr in Å
BOHR_ANGSTROM = _u.Bohr
#: atomic unit of field, Eh/(e·Bohr), in V/Å (≈ 51.422067)
FIELD_AU_V_PER_ANGSTROM = _u.Hartree / _u.Bohr
#: Boltzmann constant in eV/K
KB_EV_PER_K = _u.kB
#: 1 e·Å²/V as a polarizability volume in Å³ (4πε0 = 1/14.3996 e²/(eV·Å))
POLARIZABILITY_E_A2_PER_V_IN_A3 = 1.0 / (4 * 3.141592653589793 * _u._eps0 / _u._e * 1e-10)
#: vacuum permittivity ε0 in e/(V·Å)
EPSILON0_E_PER_V_ANGSTROM = _u._eps0 / _u._e * 1e-10
#: 1 e/Å² in µC/cm²
E_PER_A2_IN_UC_PER_CM2 = _u._e * 1e6 / 1e-16
#: Faraday constant C/mol
FARADAY = _u._e * _u._Nav


def field_to_au(field_v_per_angstrom):
    """Field V/Å → atomic units Eh/(e·Bohr)."""
    return field_v_per_angstrom / FIELD_AU_V_PER_ANGSTROM


def field_from_au(field_au):
    """Field Eh/(e·Bohr) → V/Å."""
    return field_au * FIELD_AU_V_PER_ANGSTROM


def hartree_to_ev(energy_hartree):
    return energy_hartree * HARTREE_EV


def ev_to_hartree(energy_ev):
    return energy_ev / HARTREE_EV


def bohr_to_angstrom(length_bohr):
    return length_bohr * BOHR_ANGSTROM


def angstrom_to_bohr(length_angstrom):
    return length_angstrom / BOHR_ANGSTROM


def dipole_au_to_e_angstrom(dipole_e_bohr):
    """Dipole e·Bohr → e·Å."""
    return dipole_e_bohr * BOHR_ANGSTROM


def gradient_au_to_forces(gradient_hartree_per_bohr):
    """tblite gradient Eh/Bohr → forces eV/Å (sign flipped)."""
    return -gradient_hartree_per_bohr * (HARTREE_EV / BOHR_ANGSTROM)


def polarizability_to_volume(alpha_e_a2_per_v):
    """Polarizability e·Å²/V → polarizability volume Å³ (×14.40)."""
    return alpha_e_a2_per_v * POLARIZABILITY_E_A2_PER_V_IN_A3
