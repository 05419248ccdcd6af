"""Builders and checks for the system family: Pt(111) | water | Na+/Cl- | H*/OH*/O*.

Standard cell (REFERENCE_PROTOCOL.md section 4): fcc111 Pt, a = 3.92 Å, bottom layer at
z = 2 Å, third cell vector (0, 0, 32 Å), pbc (T, T, F), vacuum ≥ 8 Å above the top atom.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from ase import Atoms
from ase.build import add_adsorbate, fcc111, molecule
from ase.constraints import FixAtoms
from ase.data import covalent_radii

LZ = 32.0  #: cell height, Å (part of the protocol)
PT_LATTICE = 3.92  #: Å
FAMILY_ELEMENTS = ("H", "O", "Na", "Cl", "Pt")
MIN_VACUUM = 8.0  #: Å above the topmost atom
WATER_NUMBER_DENSITY = 0.0334  #: molecules / Å³ at 300 K (1.0 g/cm³)
ADSORBATE_SITES = {"H": ("fcc", 0.95), "O": ("fcc", 1.20), "OH": ("ontop", 1.95)}


class StructureError(ValueError):
    """A configuration the reference protocol refuses."""


def _water(rng: np.random.Generator) -> np.ndarray:
    """H2O (O, H, H) positions, Å, centred on O, randomly oriented."""
    mol = molecule("H2O").positions
    mol = mol - mol[0]
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    rot = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
    return mol @ rot.T


def _parse_ions(ions) -> list[str]:
    if ions is None:
        return []
    if isinstance(ions, str):
        ions = {"NaCl": {"Na": 1, "Cl": 1}}.get(ions, {ions: 1})
    if isinstance(ions, Mapping):
        out = []
        for element, count in ions.items():
            if element not in ("Na", "Cl"):
                raise StructureError(f"ion {element!r} is not in the family (Na, Cl)")
            out += [element] * int(count)
        return out
    return [str(x) for x in ions]


def _min_image_distance(a: np.ndarray, b: np.ndarray, cell2d: np.ndarray) -> np.ndarray:
    """Distances (len(a), len(b)) with in-plane minimum image for a 2D-periodic cell
    (nearest image by rounded fractional coordinates: exact below half the cell height)."""
    d = a[:, None, :] - b[None, :, :]
    inv = np.linalg.inv(cell2d[:2, :2])
    frac = d[..., :2] @ inv
    frac -= np.round(frac)
    d[..., :2] = frac @ cell2d[:2, :2]
    return np.linalg.norm(d, axis=-1)


def interface(
    n_water: int = 8,
    ions=None,
    adsorbates=(),
    layers: int = 3,
    size: tuple[int, int] = (3, 3),
    field: float = 0.0,
    seed: int | np.random.Generator = 0,
    density: float = WATER_NUMBER_DENSITY,
    max_tries: int = 20000,
) -> Atoms:
    """Pt(111) slab with water, ions and adsorbates in the protocol's standard cell.

    n_water: number of H2O; ions: "NaCl", {"Na": 1, "Cl": 1} or a list of symbols;
    adsorbates: sequence of "H", "O", "OH" (placed on distinct sites, first layer);
    layers: Pt layers (3 or 4 for the shipped model); field: Fz, V/Å, stored in
    ``atoms.info["field"]``; seed: int or Generator. The whole electrode is fixed.
    Tags: Pt layers 1 (top) to ``layers`` (bottom), adsorbate atoms −1, solvent 0.
    Waters and ions fill a layer above the surface at ``density`` molecules/Å³.
    """
    rng = np.random.default_rng(seed)
    slab = fcc111("Pt", size=(*size, layers), a=PT_LATTICE, vacuum=2.0, orthogonal=False)
    slab.set_cell([slab.cell[0], slab.cell[1], [0.0, 0.0, LZ]], scale_atoms=False)
    slab.pbc = (True, True, False)
    z_surface = slab.positions[:, 2].max()
    for k, name in enumerate(adsorbates):
        if name not in ADSORBATE_SITES:
            raise StructureError(f"adsorbate {name!r} unknown: use one of {sorted(ADSORBATE_SITES)}")
        site, height = ADSORBATE_SITES[name]
        mol = Atoms("OH", [(0, 0, 0), (0, 0, 0.97)]) if name == "OH" else Atoms(name)
        # distinct surface cells so adsorbates do not overlap
        offset = (k % size[0], (k // size[0]) % size[1])
        add_adsorbate(slab, mol, height, position=site, offset=offset)
    cell = slab.cell.array
    area = abs(np.linalg.det(cell[:2, :2]))
    solvent = ["H2O"] * n_water + _parse_ions(ions)
    rng.shuffle(solvent)
    z_low = z_surface + 2.3  # molecules clashing with adsorbates are rejected below
    height = max(len(solvent) / (density * area), 3.0)
    z_high = z_low + height
    if z_high + 1.0 > LZ - MIN_VACUUM:
        raise StructureError(
            f"{len(solvent)} molecules need {height:.1f} Å of liquid above the surface; "
            f"the standard cell leaves room up to z = {LZ - MIN_VACUUM:.0f} Å"
        )
    placed = slab.positions.copy()
    symbols = list(slab.get_chemical_symbols())
    for kind in solvent:
        heavy = np.array([s != "H" for s in symbols])
        for _ in range(max_tries):
            frac = rng.random(2)
            centre = frac @ cell[:2] + np.array([0, 0, rng.uniform(z_low, z_high)])
            new = centre + (_water(rng) if kind == "H2O" else np.zeros((1, 3)))
            d = _min_image_distance(new, placed, cell)
            ok = d[:, ~heavy].min(initial=9) > 1.6 and d.min(initial=9) > 1.4
            ok = ok and d[0, heavy].min(initial=9) > (2.6 if kind == "H2O" else 2.8)
            if ok:
                placed = np.vstack([placed, new])
                symbols += ["O", "H", "H"] if kind == "H2O" else [kind]
                break
        else:
            raise StructureError(
                f"could not place {kind} without overlaps after {max_tries} tries "
                f"(n_water={n_water}, ions={ions}); use fewer molecules or a lower density"
            )
    atoms = Atoms(symbols, positions=placed, cell=cell, pbc=(True, True, False))
    tags = np.zeros(len(atoms), int)  # solvent 0, Pt layers 1 (top) .. layers, adsorbates -1
    tags[: len(slab)] = np.where(slab.get_tags() > 0, slab.get_tags(), -1)
    atoms.set_tags(tags)
    atoms.set_constraint(FixAtoms(indices=[a.index for a in atoms if a.symbol == "Pt"]))
    atoms.info["field"] = np.array([0.0, 0.0, float(field)])
    validate(atoms)
    return atoms


def fixed_atoms(atoms: Atoms) -> np.ndarray:
    """(n,) bool: the atoms a ``FixAtoms`` constraint holds (the rigid electrode)."""
    fixed = np.zeros(len(atoms), bool)
    for constraint in atoms.constraints:
        if isinstance(constraint, FixAtoms):
            fixed[constraint.index] = True
    return fixed


def validate(atoms: Atoms, elements=FAMILY_ELEMENTS, lz: float = LZ, overlap: float = 0.5) -> None:
    """Raise StructureError if ``atoms`` is outside what the protocol accepts.

    Checks: elements in ``elements``; for a 2D-periodic slab, cell c = (0, 0, lz) and
    every atom within 0 < z < lz; no two atoms closer than ``overlap`` × the sum of
    their covalent radii.
    """
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(elements))
    if unknown:
        raise StructureError(
            f"element(s) {', '.join(unknown)} not in the system family ({', '.join(elements)})"
        )
    pbc = tuple(bool(p) for p in atoms.pbc)
    if pbc == (True, True, False):
        c = atoms.cell.array[2]
        if not np.allclose(c, [0.0, 0.0, lz], atol=1e-6):
            raise StructureError(
                f"slab cell c vector is {np.round(c, 4).tolist()}; the protocol needs (0, 0, {lz})"
            )
        z = atoms.positions[:, 2]
        bad = np.flatnonzero((z <= 0.0) | (z >= lz))
        if bad.size:
            i = int(bad[0])
            raise StructureError(
                f"{bad.size} atom(s) outside the window 0 < z < {lz} Å "
                f"(first: atom {i} {atoms[i].symbol} at z = {z[i]:.3f} Å)"
            )
    elif any(pbc) and not all(pbc):
        raise StructureError(f"periodicity {pbc} not supported: use (T,T,F), (T,T,T) or none")
    _check_overlaps(atoms, overlap)


def _check_overlaps(atoms: Atoms, overlap: float) -> None:
    from ase.neighborlist import neighbor_list

    if len(atoms) < 2:
        return
    radii = covalent_radii[atoms.numbers]
    probe = atoms.copy()
    if not probe.pbc.all() and np.linalg.matrix_rank(probe.cell.array) < 3:
        probe.cell = np.diag(np.ptp(probe.positions, axis=0) + 10.0)
    i, j, d = neighbor_list("ijd", probe, overlap * 2 * radii.max() + 1e-6)
    close = d < overlap * (radii[i] + radii[j])
    if close.any():
        k = int(np.flatnonzero(close)[0])
        a, b = int(i[k]), int(j[k])
        raise StructureError(
            f"atoms {a} ({atoms[a].symbol}) and {b} ({atoms[b].symbol}) overlap: "
            f"{d[k]:.3f} Å apart"
        )


__all__ = ["interface", "fixed_atoms", "validate", "StructureError", "LZ", "FAMILY_ELEMENTS"]
