"""Partial radial distribution functions g_ab(r) and coordination numbers.

Normalisation (``normalisation=``):

- ``"slab"``: both species fill a layer of thickness L along z (the liquid film of a
  2D-periodic cell). The ideal-gas reference is the slab-averaged shell volume
  (1 − r/2L for r ≤ L, L/2r beyond; :func:`mlpec_lab.kernels.shell_volumes`) with the
  density n/(A·L). Uniform points in a slab then give g = 1 at every r.
- ``"bulk"``: the usual 3D normalisation 4πr²dr·n/V, V the cell volume for a fully
  periodic cell or A·L for a slab (so it falls as 1 − r/2L in a slab: the slab
  correction is what removes that).

The default is "slab" for a cell non-periodic along z, "bulk" for a fully periodic one.
L (``thickness``) is given, or estimated per frame from the z-range of the two species
pooled, with the range bias of uniform points removed: L = range·(N+1)/(N−1).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from mlpec_lab.kernels import ideal_pair_counts, pair_histogram
from mlpec_lab.analysis.trajectory import FrameAnalysis, check_species, lateral_area


def _pair_names(species, pairs):
    if pairs is None:
        return [(a, b) for i, a in enumerate(species) for b in species[i:]]
    out = []
    for p in pairs:
        a, b = p.split("-") if isinstance(p, str) else p
        out.append((a, b))
    return out


class RadialDistribution(FrameAnalysis):
    """Partial g_ab(r); see :func:`radial_distribution`."""

    def __init__(self, pairs=None, r_max=6.0, n_bins=120, normalisation=None,
                 thickness=None, backend=None):
        if r_max <= 0 or int(n_bins) < 1:
            raise ValueError(f"need r_max > 0 Å and n_bins ≥ 1, got {r_max}, {n_bins}")
        self.pairs, self.r_max, self.n_bins = pairs, float(r_max), int(n_bins)
        self.normalisation, self.thickness, self.backend = normalisation, thickness, backend

    def _prepare(self, first):
        symbols = first.get_chemical_symbols()
        pairs = _pair_names(sorted(set(symbols)), self.pairs)
        check_species(self.frames, sorted({s for p in pairs for s in p}))
        self.pair_list = pairs
        self.species = sorted({s for p in pairs for s in p})
        self.type_of = {s: k for k, s in enumerate(self.species)}
        sym = np.array(symbols)
        self.mask = np.isin(sym, self.species)
        self.types = np.array([self.type_of[s] for s in sym[self.mask]])
        periodic_z = bool(first.pbc[2])
        norm = self.normalisation or ("bulk" if periodic_z else "slab")
        if norm not in ("slab", "bulk"):
            raise ValueError(f"normalisation must be 'slab' or 'bulk', got {norm!r}")
        self.norm = norm
        self.edges = np.linspace(0.0, self.r_max, self.n_bins + 1)
        self.counts = np.zeros((len(pairs), self.n_bins))
        self.ideal = np.zeros((len(pairs), self.n_bins))
        self.n_a = np.zeros(len(pairs))

    def _layer_thickness(self, z):
        if self.thickness is not None:
            return float(self.thickness)
        n = len(z)
        if n < 2:
            raise ValueError("cannot estimate the slab thickness from fewer than 2 atoms: pass thickness=")
        return float((z.max() - z.min()) * (n + 1) / (n - 1))

    def _single_frame(self, atoms):
        pos = atoms.positions[self.mask]
        hist = pair_histogram(pos, atoms.cell.array, atoms.pbc, self.types, self.r_max,
                              self.n_bins, backend=self.backend)
        for k, (a, b) in enumerate(self.pair_list):
            ta, tb = self.type_of[a], self.type_of[b]
            n_a, n_b = int((self.types == ta).sum()), int((self.types == tb).sum())
            self.counts[k] += hist[ta, tb]
            self.n_a[k] += n_a
            if a == b and n_a < 2:
                continue  # a like pair of a lone atom has no pairs: its g stays NaN
            if atoms.pbc[2] and self.thickness is None:
                volume, L = abs(atoms.cell.volume), None
            else:
                zs = pos[(self.types == ta) | (self.types == tb), 2]
                L = self._layer_thickness(zs)
                volume = lateral_area(atoms) * L
            self.ideal[k] += ideal_pair_counts(self.edges, n_a, n_b, volume, a == b,
                                               thickness=L if self.norm == "slab" else None)

    def _conclude(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(self.ideal > 0, self.counts / self.ideal, np.nan)
        r = 0.5 * (self.edges[1:] + self.edges[:-1])
        names = [f"{a}-{b}" for a, b in self.pair_list]
        ds = xr.Dataset(
            {"g": (("pair", "r"), g), "counts": (("pair", "r"), self.counts),
             "running_coordination": (("pair", "r"),
                                      np.cumsum(self.counts, axis=1) / self.n_a[:, None])},
            coords={"pair": names, "r": r, "r_edges": ("r_edge", self.edges)},
            attrs={"normalisation": self.norm, "n_frames": self.n_frames,
                   "method": "ordered pair counts / ideal-gas counts "
                             f"({self.norm} normalisation)"})
        ds.g.attrs.update(units="1", long_name="g(r)")
        ds.counts.attrs.update(units="pairs", long_name="ordered pair counts, summed over frames")
        ds.running_coordination.attrs.update(
            units="1", long_name="n_ab(r): b neighbours of an a atom within r (upper bin edge)")
        ds.r.attrs["units"] = "Å"
        ds.r_edges.attrs["units"] = "Å"
        return ds


def radial_distribution(trajectory, pairs=None, r_max: float = 6.0, n_bins: int = 120,
                        normalisation: str | None = None, thickness: float | None = None,
                        start=None, stop=None, step=None, backend=None) -> xr.Dataset:
    """Partial g_ab(r) averaged over frames.

    pairs: e.g. ["O-O", "O-H", "Na-O"] (default: every pair of elements present);
    r_max Å; n_bins; normalisation "slab" | "bulk" (module docstring); thickness: slab
    thickness L, Å (None: estimated per frame). Returns a Dataset with dims (pair, r):
    ``g`` (1), ``counts``, ``running_coordination`` n_ab(r) (cumulative counts per a
    atom, independent of the normalisation), coordinate ``r`` (bin centres, Å).
    """
    return RadialDistribution(pairs, r_max, n_bins, normalisation, thickness,
                              backend).run(trajectory, start, stop, step)


def first_minimum(g: np.ndarray, r: np.ndarray, smooth: int = 3) -> float:
    """r (Å) of the first minimum of g after its first peak (running mean of ``smooth`` bins)."""
    gg = np.nan_to_num(np.asarray(g, float))
    if smooth > 1:
        gg = np.convolve(gg, np.ones(smooth) / smooth, mode="same")
    n = len(gg)
    if n < 3 or not np.any(gg > 0):
        return float("nan")
    i = int(np.argmax(gg >= 0.5 * gg.max()))  # first rise above half the highest peak
    while i + 1 < n and gg[i + 1] >= gg[i]:  # up to that peak
        i += 1
    while i + 1 < n and gg[i + 1] <= gg[i]:  # down to the minimum after it
        i += 1
    return float(r[i]) if i < n - 1 else float("nan")


def coordination_numbers(rdf: xr.Dataset, r_cut=None, smooth: int = 3) -> xr.Dataset:
    """First-shell coordination per pair from a :func:`radial_distribution` result.

    r_cut: Å, one number or a dict pair → Å; None: the first minimum of g after its first
    peak. Returns dims (pair,): ``first_minimum`` (Å) and ``first_shell_coordination``
    (n_ab at that r, interpolated on the running coordination at upper bin edges).
    """
    edges = rdf.r_edges.values
    r_min, cn = [], []
    for name in rdf.pair.values:
        if r_cut is None:
            rc = first_minimum(rdf.g.sel(pair=name).values, rdf.r.values, smooth)
        else:
            rc = float(r_cut[name] if isinstance(r_cut, dict) else r_cut)
        running = np.concatenate([[0.0], rdf.running_coordination.sel(pair=name).values])
        r_min.append(rc)
        cn.append(np.interp(rc, edges, running) if np.isfinite(rc) else np.nan)
    ds = xr.Dataset({"first_minimum": ("pair", np.array(r_min)),
                     "first_shell_coordination": ("pair", np.array(cn))},
                    coords={"pair": rdf.pair.values},
                    attrs={"method": "running coordination at the first minimum of g(r)"
                           if r_cut is None else f"running coordination at r_cut = {r_cut}"})
    ds.first_minimum.attrs["units"] = "Å"
    ds.first_shell_coordination.attrs["units"] = "1"
    return ds


def closest_pair(atoms, symbols=None, cutoff: float = 3.0) -> tuple:
    """The closest pair of atoms over periodic images: ("A-B", distance in Å), or
    ("", None) when no pair is closer than ``cutoff`` (Å). A collapse guard for MD."""
    from mlpec_lab.kernels import neighbor_list

    symbols = atoms.get_chemical_symbols() if symbols is None else symbols
    nl = neighbor_list(atoms.positions, atoms.cell.array, atoms.pbc, cutoff, full_list=False)
    if len(nl.distances) == 0:
        return "", None
    k = int(np.argmin(nl.distances))
    a, b = sorted((symbols[nl.i[k]], symbols[nl.j[k]]))
    return f"{a}-{b}", float(nl.distances[k])
