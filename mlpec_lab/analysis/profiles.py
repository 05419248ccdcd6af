"""Profiles along the surface normal: densities, water orientation, layering.

Heights z are measured from the electrode surface (the mean z of the top Pt layer, see
:func:`mlpec_lab.analysis.trajectory.surface_z`; ``surface=None`` keeps absolute z).
Bins are uniform, ``[z_min + k dz, z_min + (k+1) dz)``, coordinates at bin centres.
"""
from __future__ import annotations

import numpy as np
import xarray as xr
from ase.data import atomic_masses
from ase.units import _amu

from mlpec_lab.analysis.trajectory import (FrameAnalysis, check_species, lateral_area,
                                           surface_z)

#: 1 amu/Å³ in g/cm³
AMU_PER_A3_IN_G_PER_CM3 = _amu * 1e3 / 1e-24


def _min_image(d, cell, pbc):
    """Minimum-image displacement vectors d (..., 3) for the periodic directions."""
    frac = d @ np.linalg.inv(cell)
    frac[..., list(np.nonzero(pbc)[0])] -= np.round(frac[..., list(np.nonzero(pbc)[0])])
    return frac @ cell


def water_molecules(atoms, oh_cutoff: float = 1.25) -> np.ndarray:
    """(n_water, 3) indices (O, H, H) of the solvent waters.

    Solvent = tag 0 (adsorbates have tag −1). Each solvent H joins its nearest solvent O
    within ``oh_cutoff`` Å (minimum image); an O with exactly two H is a water.
    """
    sym = np.array(atoms.get_chemical_symbols())
    solvent = atoms.get_tags() == 0
    o = np.nonzero((sym == "O") & solvent)[0]
    h = np.nonzero((sym == "H") & solvent)[0]
    if not len(o) or not len(h):
        return np.zeros((0, 3), int)
    d = atoms.positions[h][:, None, :] - atoms.positions[o][None, :, :]
    dist = np.linalg.norm(_min_image(d, atoms.cell.array, atoms.pbc), axis=-1)
    owner = np.argmin(dist, axis=1)
    ok = dist[np.arange(len(h)), owner] < oh_cutoff
    out = []
    for k, oi in enumerate(o):
        hs = h[ok & (owner == k)]
        if len(hs) == 2:
            out.append((oi, hs[0], hs[1]))
    return np.array(out, int).reshape(-1, 3)


def _z_grid(z_range, bin_width):
    lo, hi = map(float, z_range)
    if not hi > lo or bin_width <= 0:
        raise ValueError(f"need z_range (lo, hi) with hi > lo and bin_width > 0, got {z_range}, {bin_width}")
    n = max(1, int(round((hi - lo) / bin_width)))
    return np.linspace(lo, hi, n + 1)


class DensityProfiles(FrameAnalysis):
    """ρ_α(z) per species and the water mass density; see :func:`density_profiles`."""

    def __init__(self, species=None, bin_width=0.2, z_range=None, surface="auto"):
        self.species, self.bin_width, self.z_range, self.surface = species, bin_width, z_range, surface

    def _prepare(self, first):
        symbols = np.array(first.get_chemical_symbols())
        self.species_list = check_species(self.frames, self.species or sorted(set(symbols)))
        self.z0 = surface_z(first, self.surface)
        z_range = self.z_range or (0.0 - self.z0, first.cell.array[2, 2] - self.z0)
        self.edges = _z_grid(z_range, self.bin_width)
        self.hist = np.zeros((len(self.species_list), len(self.edges) - 1))
        self.water_mass = np.zeros(len(self.edges) - 1)
        self.symbols = symbols
        self.volume = 0.0

    def _single_frame(self, atoms):
        z = atoms.positions[:, 2] - surface_z(atoms, self.surface)
        for k, s in enumerate(self.species_list):
            self.hist[k] += np.histogram(z[self.symbols == s], self.edges)[0]
        w = water_molecules(atoms).ravel()
        if len(w):
            self.water_mass += np.histogram(z[w], self.edges, weights=atoms.get_masses()[w])[0]
        self.volume += lateral_area(atoms) * np.diff(self.edges)  # per-frame bin volumes

    def _conclude(self):
        vol = self.volume  # summed over frames: the average density is Σ counts / Σ volumes
        zc = 0.5 * (self.edges[1:] + self.edges[:-1])
        ds = xr.Dataset(
            {"number_density": (("species", "z"), self.hist / vol),
             "water_mass_density": ("z", self.water_mass / vol * AMU_PER_A3_IN_G_PER_CM3)},
            coords={"species": self.species_list, "z": zc,
                    "z_edges": ("z_edge", self.edges)},
            attrs={"n_frames": self.n_frames, "surface_z": self.z0,
                   "z_reference": "top Pt layer" if self.surface == "auto" and self.z0 else
                   f"z = {self.z0} Å"})
        ds.number_density.attrs.update(units="1/Å³", long_name="number density ρ_α(z)")
        ds.water_mass_density.attrs.update(units="g/cm³", long_name="water mass density "
                                           "(atomic masses of solvent H2O binned at atom z)")
        ds.z.attrs.update(units="Å", long_name="height above the electrode surface")
        ds.z_edges.attrs["units"] = "Å"
        return ds


def density_profiles(trajectory, species=None, bin_width: float = 0.2, z_range=None,
                     surface="auto", start=None, stop=None, step=None) -> xr.Dataset:
    """Number density ρ_α(z) (1/Å³, dims species × z) per element and the mass density of
    the solvent water (g/cm³, dim z), averaged over frames.

    species: elements (default all); bin_width Å; z_range: (lo, hi) Å relative to the
    surface (default: the whole cell); surface: "auto" (top Pt layer), a z in Å, or None.
    """
    return DensityProfiles(species, bin_width, z_range, surface).run(trajectory, start, stop, step)


class WaterOrientation(FrameAnalysis):
    """P(cos θ, z) of water dipoles and OH bonds; see :func:`water_orientation`."""

    def __init__(self, bin_width=0.5, n_cos=20, z_range=None, surface="auto"):
        self.bin_width, self.n_cos, self.z_range, self.surface = bin_width, int(n_cos), z_range, surface

    def _prepare(self, first):
        if not len(water_molecules(first)):
            raise ValueError("no solvent water (tag 0 O with two H within 1.25 Å) in the first frame")
        self.z0 = surface_z(first, self.surface)
        self.edges = _z_grid(self.z_range or (0.0, first.cell.array[2, 2] - self.z0 - 2.0),
                             self.bin_width)
        self.cos_edges = np.linspace(-1.0, 1.0, self.n_cos + 1)
        shape = (len(self.edges) - 1, self.n_cos)
        self.dip, self.oh = np.zeros(shape), np.zeros(shape)
        self.sum_cos = {"dipole": np.zeros(shape[0]), "oh": np.zeros(shape[0])}

    def _single_frame(self, atoms):
        w = water_molecules(atoms)
        if not len(w):
            return
        cell, pbc = atoms.cell.array, atoms.pbc
        o = atoms.positions[w[:, 0]]
        b1 = _min_image(atoms.positions[w[:, 1]] - o, cell, pbc)
        b2 = _min_image(atoms.positions[w[:, 2]] - o, cell, pbc)
        dipole = b1 + b2  # along the H-O-H bisector, O → H side (the dipole direction)
        cos_d = dipole[:, 2] / np.linalg.norm(dipole, axis=1)
        cos_oh = np.concatenate([b1[:, 2] / np.linalg.norm(b1, axis=1),
                                 b2[:, 2] / np.linalg.norm(b2, axis=1)])
        z = o[:, 2] - surface_z(atoms, self.surface)
        self.dip += np.histogram2d(z, cos_d, (self.edges, self.cos_edges))[0]
        self.oh += np.histogram2d(np.concatenate([z, z]), cos_oh, (self.edges, self.cos_edges))[0]
        self.sum_cos["dipole"] += np.histogram(z, self.edges, weights=cos_d)[0]
        self.sum_cos["oh"] += np.histogram(np.concatenate([z, z]), self.edges, weights=cos_oh)[0]

    def _conclude(self):
        zc = 0.5 * (self.edges[1:] + self.edges[:-1])
        cc = 0.5 * (self.cos_edges[1:] + self.cos_edges[:-1])
        dc = np.diff(self.cos_edges)
        out = {}
        for name, h in (("dipole", self.dip), ("oh", self.oh)):
            n = h.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                p = np.where(n > 0, h / (n * dc), np.nan)
                mean = np.where(n[:, 0] > 0, self.sum_cos[name] / n[:, 0], np.nan)
            out[f"p_{name}"] = (("z", "cos_theta"), p)
            out[f"mean_cos_{name}"] = ("z", mean)
            out[f"count_{name}"] = ("z", n[:, 0])
        ds = xr.Dataset(out, coords={"z": zc, "cos_theta": cc},
                        attrs={"n_frames": self.n_frames, "surface_z": self.z0,
                               "angle": "θ between the vector and the surface normal +z; "
                                        "dipole = O→(H1+H2) bisector, oh = O→H bonds; z of the O"})
        for name in ("dipole", "oh"):
            ds[f"p_{name}"].attrs.update(units="1", long_name=f"P(cos θ | z), {name}: "
                                         "density in cos θ, each z row integrates to 1")
            ds[f"mean_cos_{name}"].attrs.update(units="1", long_name=f"<cos θ>(z), {name}")
            ds[f"count_{name}"].attrs.update(units="vectors", long_name="samples per z bin")
        ds.z.attrs.update(units="Å", long_name="O height above the electrode surface")
        ds.cos_theta.attrs["units"] = "1"
        return ds


def water_orientation(trajectory, bin_width: float = 0.5, n_cos: int = 20, z_range=None,
                      surface="auto", start=None, stop=None, step=None) -> xr.Dataset:
    """P(cos θ, z) for the water dipole and the OH bonds against the surface normal.

    Returns ``p_dipole``, ``p_oh`` (z, cos_theta; probability density in cos θ per z
    bin, isotropic = 0.5), ``mean_cos_dipole``, ``mean_cos_oh`` and sample counts (z).
    """
    return WaterOrientation(bin_width, n_cos, z_range, surface).run(trajectory, start, stop, step)


def layering(profiles: xr.Dataset, species=None, smooth: int = 1) -> xr.Dataset:
    """Layer positions from :func:`density_profiles`: for each species, the height (Å
    above the surface) of the first density peak and of the first minimum after it, and
    the number per Å² in that first layer (ρ integrated up to the minimum).

    Extra dimensions of the profiles (``field`` from ``analyse_scan``, ``block`` from
    ``block_results``) are kept: one layering per entry, so ``block_sem`` of a blocked
    layering gives the layer positions with standard errors.
    """
    extra = [d for d in profiles.number_density.dims if d not in ("species", "z")]
    if extra:
        d = extra[0]
        return xr.concat([layering(profiles.isel({d: k}), species, smooth)
                          for k in range(profiles.sizes[d])], dim=profiles[d],
                         coords="minimal", compat="override", combine_attrs="override")
    species = list(profiles.species.values) if species is None else (
        [species] if isinstance(species, str) else list(species))
    missing = [s for s in species if s not in profiles.species.values]
    if missing:
        raise ValueError(f"species {', '.join(missing)} not in the profiles "
                         f"(they have {', '.join(profiles.species.values)})")
    z = profiles.z.values
    dz = np.diff(profiles.z_edges.values)
    peak, minimum, coverage = [], [], []
    for s in species:
        rho = profiles.number_density.sel(species=s).values
        if smooth > 1:
            rho = np.convolve(rho, np.ones(smooth) / smooth, mode="same")
        above = z > 0
        if not np.any(rho[above] > 0):
            peak.append(np.nan); minimum.append(np.nan); coverage.append(0.0)
            continue
        i = int(np.nonzero(above & (rho >= 0.5 * rho[above].max()))[0][0])
        while i + 1 < len(z) and rho[i + 1] >= rho[i]:
            i += 1
        j = i
        while j + 1 < len(z) and rho[j + 1] <= rho[j] and rho[j] > 0:
            j += 1
        peak.append(z[i]); minimum.append(z[j])
        coverage.append(float((rho * dz)[above & (z <= z[j])].sum()))
    ds = xr.Dataset({"first_peak": ("species", np.array(peak)),
                     "first_minimum": ("species", np.array(minimum)),
                     "first_layer_coverage": ("species", np.array(coverage))},
                    coords={"species": species},
                    attrs={"method": "first density peak above the surface and the "
                                     "first minimum after it"})
    ds.first_peak.attrs["units"] = "Å"
    ds.first_minimum.attrs["units"] = "Å"
    ds.first_layer_coverage.attrs["units"] = "1/Å²"
    return ds
