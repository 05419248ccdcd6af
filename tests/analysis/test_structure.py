"""g(r), coordination, density and orientation profiles against independent references."""
import numpy as np
import pytest
import xarray as xr
from ase import Atoms

from mlpec_lab.analysis import (coordination_numbers, density_profiles, layering,
                                radial_distribution, water_orientation)
from mlpec_lab.analysis.profiles import AMU_PER_A3_IN_G_PER_CM3

from .conftest import water_box


def ideal_slab_frames(n=300, lateral=20.0, z_lo=5.0, L=10.0, n_frames=20, seed=1):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        pos = np.column_stack([rng.uniform(0, lateral, n), rng.uniform(0, lateral, n),
                               rng.uniform(z_lo, z_lo + L, n)])
        frames.append(Atoms(["O"] * n, positions=pos, cell=[lateral, lateral, 40.0],
                            pbc=(True, True, False)))
    return frames


def test_ideal_gas_in_slab_gives_one_only_with_slab_normalisation():
    frames = ideal_slab_frames()
    slab = radial_distribution(frames, ["O-O"], r_max=6.0, n_bins=30, thickness=10.0)
    bulk = radial_distribution(frames, ["O-O"], r_max=6.0, n_bins=30, thickness=10.0,
                               normalisation="bulk")
    g = slab.g.sel(pair="O-O").where(slab.r > 1.0, drop=True)
    assert slab.attrs["normalisation"] == "slab"
    assert abs(float(g.mean()) - 1.0) < 0.01
    assert float(np.abs(g - 1.0).max()) < 0.06
    # bulk normalisation misses the slab's missing neighbours: g → 1 − r/2L
    gb = bulk.g.sel(pair="O-O")
    far = gb.where(gb.r > 5.0, drop=True)
    assert float(far.mean()) < 0.8
    np.testing.assert_allclose(far, 1 - far.r / 20.0, atol=0.05)
    # the thickness estimated from the points themselves works too
    est = radial_distribution(frames, ["O-O"], r_max=6.0, n_bins=30)
    assert abs(float(est.g.where(est.r > 1.0).mean()) - 1.0) < 0.02


def _universe(frames, charges=None):
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader

    n = len(frames[0])
    u = mda.Universe.empty(n, trajectory=True)
    sym = frames[0].get_chemical_symbols()
    u.add_TopologyAttr("names", sym)
    u.add_TopologyAttr("types", sym)
    u.add_TopologyAttr("masses", frames[0].get_masses())
    u.add_TopologyAttr("charges", np.zeros(n) if charges is None else charges)
    L = frames[0].cell.lengths()
    u.load_new(np.array([a.positions for a in frames], np.float32), format=MemoryReader,
               dimensions=np.array([*L, 90, 90, 90]))
    return u


def test_rdf_matches_mdanalysis_interrdf(water_frames):
    from MDAnalysis.analysis.rdf import InterRDF

    frames = [a.copy() for a in water_frames]
    for a in frames:  # MDAnalysis works in float32: use float32-exact positions
        a.positions = a.positions.astype(np.float32).astype(float)
    u = _universe(frames)
    ours = radial_distribution(frames, ["O-O", "O-H"], r_max=7.0, n_bins=35)
    assert ours.attrs["normalisation"] == "bulk"
    o, h = u.select_atoms("name O"), u.select_atoms("name H")
    oo = InterRDF(o, o, nbins=35, range=(0.0, 7.0), exclusion_block=(1, 1)).run()
    oh = InterRDF(o, h, nbins=35, range=(0.0, 7.0)).run()
    np.testing.assert_allclose(ours.r, oo.results.bins, atol=1e-6)
    np.testing.assert_allclose(ours.g.sel(pair="O-O"), oo.results.rdf, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.g.sel(pair="O-H"), oh.results.rdf, rtol=1e-5, atol=1e-6)


def test_density_matches_mdanalysis_lineardensity(water_frames):
    from MDAnalysis.analysis.lineardensity import LinearDensity

    frames = [a.copy() for a in water_frames]
    for a in frames:
        a.positions = a.positions.astype(np.float32).astype(float)
    u = _universe(frames)
    ld = LinearDensity(u.atoms, binsize=0.5).run()
    ours = density_profiles(frames, bin_width=0.5, surface=None)
    np.testing.assert_allclose(ours.z_edges, ld.results.z.hist_bin_edges, atol=1e-6)
    np.testing.assert_allclose(ours.water_mass_density, ld.results.z.mass_density, rtol=1e-6)
    # number densities integrate to the atom counts
    area = frames[0].cell.area(2)
    n = (ours.number_density * area * 0.5).sum("z")
    np.testing.assert_allclose(n.sel(species="O"), 27)
    np.testing.assert_allclose(n.sel(species="H"), 54)
    # sanity of the unit: one water per 125 Å^3 is 0.24 g/cm³ on average
    mean = float(ours.water_mass_density.mean())
    assert abs(mean - 18.015 / 125 * AMU_PER_A3_IN_G_PER_CM3 / 1.0) < 1e-3 * mean + 1e-3


def test_first_shell_coordination_of_isolated_waters(water_frames):
    rdf = radial_distribution(water_frames, ["O-H", "O-O"], r_max=7.0, n_bins=70)
    cn = coordination_numbers(rdf)
    assert float(cn.first_shell_coordination.sel(pair="O-H")) == pytest.approx(2.0)
    assert 0.96 < float(cn.first_minimum.sel(pair="O-H")) < 4.0
    fixed = coordination_numbers(rdf, r_cut=1.2)
    assert float(fixed.first_shell_coordination.sel(pair="O-H")) == pytest.approx(2.0)
    assert float(fixed.first_shell_coordination.sel(pair="O-O")) == 0.0


def _oriented_waters(n=12, up=True, seed=0, z_range=(3.0, 9.0)):
    from mlpec_lab.systems import interface

    slab = interface(n_water=0, layers=3)
    rng = np.random.default_rng(seed)
    top = slab.positions[slab.get_tags() == 1, 2].mean()
    mol = np.array([[0, 0, 0], [0.757, 0, 0.586], [-0.757, 0, 0.586]])
    if not up:
        mol[:, 2] *= -1
    cell = slab.cell.array
    for k in range(n):
        frac = np.array([(k % 4 + 0.5) / 4, (k // 4 % 3 + 0.5) / 3])  # 2.1 Å apart or more
        c = frac @ cell[:2] + [0, 0, top + rng.uniform(*z_range)]
        rot = np.array([[np.cos(k), -np.sin(k), 0], [np.sin(k), np.cos(k), 0], [0, 0, 1]])
        slab += Atoms("OH2", positions=c + mol @ rot.T)
    return slab


def test_water_orientation_of_aligned_and_random_waters():
    up = water_orientation([_oriented_waters(up=True)], bin_width=1.0, n_cos=10)
    down = water_orientation([_oriented_waters(up=False)], bin_width=1.0, n_cos=10)
    occupied = up.count_dipole > 0
    assert int(up.count_dipole.sum()) == 12 and int(up.count_oh.sum()) == 24
    np.testing.assert_allclose(up.mean_cos_dipole.where(occupied, drop=True), 1.0)
    np.testing.assert_allclose(down.mean_cos_dipole.where(occupied, drop=True), -1.0)
    np.testing.assert_allclose(up.mean_cos_oh.where(occupied, drop=True), 0.586 / np.hypot(0.757, 0.586))
    assert float(up.p_oh.where(occupied, drop=True).sel(cos_theta=0.65, method="nearest").min()) == pytest.approx(5.0)
    # isotropic waters in a periodic box: P(cos θ) flat at 0.5
    iso = water_orientation(water_box(n_frames=40, seed=3), bin_width=15.0, n_cos=4,
                            z_range=(0, 15), surface=None)
    np.testing.assert_allclose(iso.p_dipole.isel(z=0), 0.5, atol=0.06)
    assert abs(float(iso.mean_cos_oh.isel(z=0))) < 0.05


def test_layering_and_netcdf_round_trip(tmp_path):
    frames = [_oriented_waters(seed=s, z_range=(2.8, 3.4)) for s in range(3)]
    prof = density_profiles(frames, bin_width=0.2)
    assert abs(prof.attrs["surface_z"] - frames[0].positions[frames[0].get_tags() == 1, 2].mean()) < 1e-12
    lay = layering(prof, ["O"])
    assert 2.8 <= float(lay.first_peak.sel(species="O")) <= 3.4
    np.testing.assert_allclose(lay.first_layer_coverage.sel(species="O"),
                               12 / frames[0].cell.area(2), rtol=1e-9)
    path = tmp_path / "profiles.nc"
    prof.to_netcdf(path, engine="h5netcdf")
    back = xr.load_dataset(path, engine="h5netcdf")
    assert back.number_density.attrs["units"] == "1/Å³"
    xr.testing.assert_allclose(back.number_density, prof.number_density)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="empty"):
        radial_distribution([])
    with pytest.raises(ValueError, match="Na not present"):
        radial_distribution(water_box(n_frames=1), ["Na-O"])
    with pytest.raises(ValueError, match="species Cl not present"):
        density_profiles(water_box(n_frames=1), species=["O", "Cl"])
    with pytest.raises(ValueError, match="no solvent water"):
        water_orientation([Atoms("Pt", cell=[5, 5, 5], pbc=True)])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        density_profiles("no_such_file.traj")


def test_like_pair_of_a_lone_ion_is_nan_not_an_error():
    from mlpec_lab.systems import interface

    first = interface(n_water=6, ions="NaCl", seed=1)
    second = first.copy()
    second.rattle(0.05, seed=2)
    frames = [first, second]
    rdf = radial_distribution(frames, ["Na-Na", "O-O", "Na-O"], r_max=5.0, n_bins=25)
    assert np.isnan(rdf.g.sel(pair="Na-Na")).all()
    assert np.isfinite(rdf.g.sel(pair="O-O")).any() and float(rdf.counts.sel(pair="Na-O").sum()) > 0
