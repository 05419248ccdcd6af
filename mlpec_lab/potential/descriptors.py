"""Symmetry functions of structures, batched for the torch model.

A :class:`Batch` concatenates structures: atoms, full-list pairs and angular slots are
offset so that one torch call handles them all. Index tensors that pick the columns of
dE/dG matching each derivative block are built once here.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from mlpec_lab.kernels.symmetry_functions import species_pair_index, symmetry_functions
from mlpec_lab.potential.core_repulsion import COULOMB


@dataclasses.dataclass
class Descriptors:
    """One structure: features (n, nf); derivative blocks and their column indices."""

    features: np.ndarray
    species: np.ndarray
    z: np.ndarray            # (n,) Å, positions along the normal
    pair_i: np.ndarray
    pair_j: np.ndarray
    radial_d: np.ndarray     # (n_pairs, n_radial + n_odd, 3)
    radial_cols: np.ndarray  # (n_pairs, n_radial + n_odd) columns of dE/dG_i
    angular_pair: np.ndarray  # (n_ang,) index of the pair of each angular slot
    angular_d: np.ndarray    # (n_ang, S, n_angular, 3)
    angular_cols: np.ndarray  # (n_ang, S, n_angular)
    cell_dipole: float = 0.0  # eV/(e·Å)²: ``cell_dipole_coefficient`` of the cell


def cell_dipole_coefficient(atoms) -> float:
    """c = 2π k_e / (A L_z) (eV/(e·Å)²) of a slab cell periodic in x and y, 0 otherwise.

    The oracle's Ewald sum treats the slab cell as 3D-periodic (REFERENCE_PROTOCOL.md
    section 4) with conducting boundaries, which adds −c μq² to the energy of a cell whose
    charges have the dipole μq = Σ q z (Yeh & Berkowitz, J. Chem. Phys. 111, 3155 (1999)):
    the field 2c μq of the periodic images acts on every charge. A: the in-plane area (Å²);
    L_z: the cell height (Å).
    """
    if not (atoms.pbc[0] and atoms.pbc[1]):
        return 0.0
    cell = atoms.cell.array
    area = float(np.linalg.norm(np.cross(cell[0], cell[1])))
    return 2 * np.pi * COULOMB / (area * float(cell[2, 2]))


def describe(atoms, spec) -> Descriptors:
    """Symmetry functions and derivative blocks of ``atoms`` for ``spec``."""
    sf = symmetry_functions(atoms.positions, atoms.cell.array, atoms.pbc,
                            atoms.get_chemical_symbols(), spec)
    n_species = len(spec["species"])
    n_radial, n_angular = len(spec["radial_etas"]), len(spec["angular_etas"])
    sj = sf.species[sf.pair_j]
    n_odd = len(spec.get("odd_etas", []))
    odd_offset = sf.features.shape[1] - n_species * n_odd
    radial_cols = np.concatenate([sj[:, None] * n_radial + np.arange(n_radial)[None, :],
                                  odd_offset + sj[:, None] * n_odd + np.arange(n_odd)[None, :]],
                                 1).astype(np.int32)  # column numbers: int32 halves their bytes
    angular_pair = np.flatnonzero(sf.angular_slot >= 0)
    assert np.array_equal(sf.angular_slot[angular_pair], np.arange(len(angular_pair)))
    pair_index = species_pair_index(n_species)
    angular_cols = (n_species * n_radial
                    + pair_index[sj[angular_pair]][:, :, None] * n_angular
                    + np.arange(n_angular)[None, None, :]).astype(np.int32)
    return Descriptors(sf.features, sf.species, atoms.positions[:, 2].copy(), sf.pair_i,
                       sf.pair_j, sf.radial_derivatives, radial_cols, angular_pair,
                       sf.angular_derivatives, angular_cols, cell_dipole_coefficient(atoms))


@dataclasses.dataclass
class Batch:
    """Several structures concatenated, as torch tensors (``dtype``)."""

    features: torch.Tensor
    species: torch.Tensor
    z: torch.Tensor
    structure: torch.Tensor   # (n_atoms,) structure index of each atom
    n_atoms: torch.Tensor     # (n_structures,)
    field: torch.Tensor       # (n_structures,) Fz V/Å
    pair_i: torch.Tensor
    pair_j: torch.Tensor
    radial_d: torch.Tensor
    radial_cols: torch.Tensor
    angular_pair: torch.Tensor
    angular_d: torch.Tensor
    angular_cols: torch.Tensor
    cell_dipole: torch.Tensor  # (n_structures,) eV/(e·Å)², ``cell_dipole_coefficient``

    @property
    def n_structures(self) -> int:
        return len(self.n_atoms)


def make_batch(descs, fields, dtype=torch.float64) -> Batch:
    """Concatenate ``descs`` (list of Descriptors) with their fields Fz (V/Å)."""
    atom_off = np.cumsum([0] + [len(d.species) for d in descs])
    pair_off = np.cumsum([0] + [len(d.pair_i) for d in descs])

    def cat(name, offset=None):
        parts = [getattr(d, name) + (0 if offset is None else offset[k])
                 for k, d in enumerate(descs)]
        return torch.from_numpy(np.concatenate(parts))

    f = lambda x: x.to(dtype)  # noqa: E731
    return Batch(
        features=f(cat("features")), species=cat("species"), z=f(cat("z")),
        structure=torch.from_numpy(np.repeat(np.arange(len(descs)), np.diff(atom_off))),
        n_atoms=torch.from_numpy(np.diff(atom_off)),
        field=torch.as_tensor(np.asarray(fields, float), dtype=dtype),
        pair_i=cat("pair_i", atom_off), pair_j=cat("pair_j", atom_off),
        radial_d=f(cat("radial_d")), radial_cols=cat("radial_cols"),
        angular_pair=cat("angular_pair", pair_off), angular_d=f(cat("angular_d")),
        angular_cols=cat("angular_cols"),
        cell_dipole=torch.tensor([d.cell_dipole for d in descs], dtype=dtype),
    )


def contract_forces(dE_dG: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Forces −dE/dr (n_atoms, 3) from dE/dG (n_atoms, n_features), differentiable.

    The torch twin of ``mlpec_lab.kernels.symmetry_functions.descriptor_forces``.
    """
    flat = dE_dG.reshape(-1)  # pick the needed entries of dE/dG_i directly: no (pairs, nf) copy
    nf = dE_dG.shape[1]
    radial = flat[batch.pair_i.unsqueeze(1) * nf + batch.radial_cols]        # (n_pairs, n_radial)
    g = torch.einsum("pr,prc->pc", radial, batch.radial_d)
    centre = batch.pair_i[batch.angular_pair].view(-1, 1, 1)
    ang = flat[centre * nf + batch.angular_cols]                            # (n_ang, S, n_angular)
    g = g.index_add(0, batch.angular_pair, torch.einsum("qsa,qsac->qc", ang, batch.angular_d))
    forces = torch.zeros(len(dE_dG), 3, dtype=dE_dG.dtype)
    forces = forces.index_add(0, batch.pair_j, -g)
    return forces.index_add(0, batch.pair_i, g)
