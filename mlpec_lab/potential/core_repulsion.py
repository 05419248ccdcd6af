"""Short-range core repulsion: the ZBL screened nuclear repulsion, acting only at pair
distances shorter than any the training set contains.

The networks know nothing below the shortest distances they were trained on, and in MD a
pair pushed there can find a spurious attraction and collapse (an H–H pair at 0.25 Å
ended the first 20 ps run). For each species pair with core radius r_c the term is the
shifted-force ZBL potential

    E(r) = V(r) − V(r_c) − (r − r_c) V'(r_c)    for r < r_c, 0 beyond       eV

(V convex and decreasing, so E ≥ 0 and repulsive; E and its force vanish at r_c). With
r_c the shortest distance of that pair in the training set, the term is exactly zero on
every training structure: the labels need no correction and the networks are unchanged.
"""
from __future__ import annotations

import numpy as np
from ase.data import atomic_numbers, covalent_radii

from mlpec_lab.kernels.neighbor_list import neighbor_list
from mlpec_lab.kernels.symmetry_functions import species_indices

COULOMB = 14.399645  # e²/(4πε0), eV·Å
_ZBL_C = np.array([0.18175, 0.50986, 0.28022, 0.02817])
_ZBL_D = np.array([3.19980, 0.94229, 0.40290, 0.20162])
#: pairs closer than this in the training set set their radius from the data
SEARCH_CUTOFF = 3.0  # Å
#: radius of a pair the training set never brings within SEARCH_CUTOFF: this fraction of
#: the sum of covalent radii
UNSEEN_FRACTION = 0.8


def zbl(r, z1, z2):
    """ZBL universal screened Coulomb V(r) (eV) and dV/dr (eV/Å) at distances r (Å)."""
    r = np.asarray(r, float)
    a = 0.46850 / (np.asarray(z1, float) ** 0.23 + np.asarray(z2, float) ** 0.23)
    x = (r / a)[..., None]
    e = np.exp(-_ZBL_D * x)
    phi = (_ZBL_C * e).sum(-1)
    dphi = -(_ZBL_C * _ZBL_D * e).sum(-1) / a
    k = COULOMB * np.asarray(z1, float) * np.asarray(z2, float)
    return k * phi / r, k * (dphi / r - phi / r**2)


def core_radii(frames, spec) -> np.ndarray:
    """(S, S) core radii (Å) for the species of descriptor ``spec``: per species pair, the
    shortest distance in ``frames``; pairs never closer than SEARCH_CUTOFF get
    UNSEEN_FRACTION × (sum of covalent radii)."""
    species = spec["species"]
    s = len(species)
    radii = np.full((s, s), np.inf)
    for atoms in frames:
        nl = neighbor_list(atoms.positions, atoms.cell.array, atoms.pbc, SEARCH_CUTOFF,
                           full_list=False)
        if len(nl.i) == 0:
            continue
        sp = species_indices(spec, atoms.get_chemical_symbols())
        np.minimum.at(radii, (sp[nl.i], sp[nl.j]), nl.distances)
    radii = np.minimum(radii, radii.T)
    z = np.array([atomic_numbers[el] for el in species])
    default = UNSEEN_FRACTION * (covalent_radii[z][:, None] + covalent_radii[z][None, :])
    return np.where(np.isfinite(radii), radii, default)


def core_repulsion(atoms, species, radii) -> tuple[float, np.ndarray]:
    """Energy (eV) and forces (n, 3) eV/Å of the core term for ``atoms``; ``species``: the
    index of each atom in the spec's species (``species_indices``, or the ``species`` of a
    ``symmetry_functions`` result, which the calculator already has)."""
    radii = np.asarray(radii, float)
    forces = np.zeros((len(atoms), 3))
    sp = np.asarray(species)
    nl = neighbor_list(atoms.positions, atoms.cell.array, atoms.pbc, float(radii.max()),
                       full_list=False)
    rc = radii[sp[nl.i], sp[nl.j]]
    inside = nl.distances < rc
    if not inside.any():
        return 0.0, forces
    i, j, r, rc = nl.i[inside], nl.j[inside], nl.distances[inside], rc[inside]
    vec = nl.vectors[inside]  # r_j − r_i
    z = atoms.numbers
    v, dv = zbl(r, z[i], z[j])
    vc, dvc = zbl(rc, z[i], z[j])
    energy = float(np.sum(v - vc - (r - rc) * dvc))
    dE_dr = dv - dvc
    pair_force = (dE_dr / r)[:, None] * vec  # force on i; j gets the opposite
    np.add.at(forces, i, pair_force)
    np.add.at(forces, j, -pair_force)
    return energy, forces
