"""Poisson integration against analytic charge distributions; capacitance of a
Helmholtz layer."""
import numpy as np
import pytest
import xarray as xr
from ase import Atoms

from mlpec_lab.analysis import (charge_density, differential_capacitance,
                                interface_electrostatics, potential_drop, potential_profile,
                                surface_charge)
from mlpec_lab.units import E_PER_A2_IN_UC_PER_CM2, EPSILON0_E_PER_V_ANGSTROM as EPS0


def gaussian(z, mu, w):
    return np.exp(-0.5 * ((z - mu) / w) ** 2) / (np.sqrt(2 * np.pi) * w)


def test_parallel_plates_give_sigma_d_over_eps0():
    z = np.linspace(-10, 30, 4001)
    sigma, z1, d = 0.01, 2.0, 7.5  # e/Å²
    rho = xr.DataArray(sigma * (gaussian(z, z1, 0.4) - gaussian(z, z1 + d, 0.4)),
                       dims="z", coords={"z": z})
    prof = potential_profile(rho, z_ref=-5.0)
    drop = float(potential_drop(prof, z_solution=25.0, window=2.0))
    assert drop == pytest.approx(sigma * d / EPS0, rel=1e-6)
    # between the plates E = σ/ε0 along +z, zero outside
    assert float(prof.electric_field.sel(z=z1 + d / 2)) == pytest.approx(sigma / EPS0, rel=1e-6)
    assert abs(float(prof.electric_field.sel(z=20.0))) < 1e-9


def test_uniform_slab_gives_quadratic_profile():
    z = np.linspace(0, 20, 20001)
    a, b, rho0 = 5.0, 12.0, 2e-3
    rho = xr.DataArray(np.where((z >= a) & (z <= b), rho0, 0.0), dims="z", coords={"z": z})
    prof = potential_profile(rho, z_ref=1.0)
    inside = (z > a + 0.01) & (z < b - 0.01)
    expect = -rho0 * (z[inside] - a) ** 2 / (2 * EPS0)
    np.testing.assert_allclose(prof.potential.values[inside], expect, rtol=2e-3, atol=2e-4)
    # beyond the slab: straight line with the total field Q/ε0
    assert float(prof.electric_field.sel(z=18.0)) == pytest.approx(rho0 * (b - a) / EPS0, rel=1e-3)


def test_charge_density_from_atom_sheets_and_sign():
    """+q sheet below, −q sheet above: the lower plane is at the higher potential."""
    cell = [[8.0, 0, 0], [0, 8.0, 0], [0, 0, 32.0]]
    xy = np.array([(i, j) for i in (1.0, 5.0) for j in (1.0, 5.0)])
    pos = np.vstack([np.column_stack([xy, np.full(4, 10.0)]), np.column_stack([xy, np.full(4, 14.0)])])
    atoms = Atoms("Na4Cl4", positions=pos, cell=cell, pbc=(True, True, False))
    q = np.array([0.5] * 4 + [-0.5] * 4)
    for smearing in (0.5, None):
        rho = charge_density([atoms], charges=q, bin_width=0.05, smearing=smearing, surface=None)
        assert rho.attrs["units"] == "e/Å³"
        assert float(rho.sum() * 0.05) * 64 == pytest.approx(0.0, abs=1e-9)
        prof = potential_profile(rho, z_ref=3.0)
        sigma = 2.0 / 64
        assert float(potential_drop(prof, 25.0)) == pytest.approx(sigma * 4.0 / EPS0, rel=2e-3)


def test_atomic_dipoles_are_the_dipole_layer_of_split_charges():
    """A layer of atomic dipoles p (no charges) drops the potential by p·N/(A ε0), as the
    same dipoles written as ±q charges a distance p/q apart do."""
    cell = [[8.0, 0, 0], [0, 8.0, 0], [0, 0, 32.0]]
    xy = np.array([(i, j) for i in (1.0, 5.0) for j in (1.0, 5.0)])
    point = Atoms("O4", positions=np.column_stack([xy, np.full(4, 12.0)]), cell=cell,
                  pbc=(True, True, False))
    point.arrays["charges"] = np.zeros(4)
    point.arrays["atomic_dipoles"] = np.full(4, 0.3)  # e·Å
    split = Atoms("O4H4", positions=np.vstack([np.column_stack([xy, np.full(4, 11.5)]),
                                               np.column_stack([xy, np.full(4, 12.5)])]),
                  cell=cell, pbc=(True, True, False))
    q_split = np.array([-0.3] * 4 + [0.3] * 4)  # 0.3 e at ±0.5 Å: the same dipoles
    expect = -4 * 0.3 / (64 * EPS0)  # the dipoles point up: the solution side is higher
    for smearing in (0.5, None):
        rho = charge_density([point], charges=None, bin_width=0.05,
                             smearing=smearing, surface=None, z_range=(0.0, 30.0))
        rho_split = charge_density([split], charges=q_split, bin_width=0.05, smearing=smearing,
                                   surface=None, z_range=(0.0, 30.0))
        for r in (rho, rho_split):
            drop = float(potential_drop(potential_profile(r, z_ref=3.0), 25.0))
            assert drop == pytest.approx(expect, rel=2e-3)
    # explicit charges mean point charges alone: the dipoles are not added
    plain = charge_density([point], charges=np.zeros(4), bin_width=0.05, surface=None)
    assert float(np.abs(plain).max()) == 0.0


def helmholtz_frames(fz, d=3.0, n_frames=64, seed=0):
    """Pt slab with charge ε0·Fz·A on its top layer and the counter-charge on a Cl layer
    d Å above it (jittered per frame): Δφ = Fz·d, C = ε0/d."""
    from mlpec_lab.systems import interface

    rng = np.random.default_rng(seed)
    slab = interface(n_water=0, layers=3, field=fz)
    top = slab.get_tags() == 1
    z_top = slab.positions[top, 2].mean()
    xy = slab.positions[top, :2]
    Q = EPS0 * fz * slab.cell.area(2)
    frames = []
    for _ in range(n_frames):
        a = slab.copy()
        a += Atoms(["Cl"] * 9, positions=np.column_stack([xy, z_top + d + rng.normal(0, 0.05, 9)]))
        q = np.zeros(len(a))
        q[: len(slab)][top] = Q / 9
        q[len(slab):] = -Q / 9
        a.arrays["charges"] = q
        a.info["field"] = np.array([0, 0, fz])
        frames.append(a)
    return frames


def test_helmholtz_layer_capacitance_is_eps0_over_d(tmp_path):
    d, fields = 3.0, [-0.2, -0.1, 0.1, 0.2]
    results = []
    for fz in fields:
        res = interface_electrostatics(helmholtz_frames(fz, d), z_solution=d + 4.0, smearing=0.3)
        assert float(res.potential_drop) == pytest.approx(fz * d, rel=0.02)
        assert float(res.surface_charge) == pytest.approx(EPS0 * fz * E_PER_A2_IN_UC_PER_CM2)
        assert float(res.metal_charge) == pytest.approx(float(res.surface_charge))
        results.append(res.drop_vars("potential_drop_series"))
    scan = xr.concat(results, dim=xr.DataArray(fields, dims="field", name="field"))
    cap = differential_capacitance(scan)
    expect = EPS0 / d * E_PER_A2_IN_UC_PER_CM2  # µF/cm²
    assert cap.capacitance.attrs["units"] == "µF/cm²"
    assert float(cap.capacitance_fit) == pytest.approx(expect, rel=0.02)
    assert abs(float(cap.capacitance_fit) - expect) < 4 * float(cap.capacitance_fit_sem) + 1e-3 * expect
    np.testing.assert_allclose(cap.capacitance, expect, rtol=0.05)
    assert abs(float(cap.potential_of_zero_charge)) < 0.01
    cap.to_netcdf(tmp_path / "cap.nc", engine="h5netcdf")
    scan.to_netcdf(tmp_path / "scan.nc", engine="h5netcdf")


def test_surface_charge_units():
    # 0.1 V/Å = 1e9 V/m → ε0 F = 8.854e-3 C/m² = 0.8854 µC/cm²
    assert float(surface_charge(0.1)) == pytest.approx(0.8854, rel=1e-3)
    assert surface_charge([0.0, 0.1]).dims == ("field",)


def test_bad_input_is_named():
    atoms = Atoms("O", positions=[[1, 1, 5]], cell=[5, 5, 20], pbc=(True, True, False))
    with pytest.raises(ValueError, match="no per-atom charges"):
        charge_density([atoms])
    with pytest.raises(ValueError, match="no charge given for element"):
        charge_density([atoms], charges={"H": 0.4})
    with pytest.raises(ValueError, match="empty"):
        charge_density([])
    rho = charge_density([atoms], charges=[0.0], surface=None)
    with pytest.raises(ValueError, match="outside the profile"):
        potential_profile(rho, z_ref=100.0)
    with pytest.raises(ValueError, match="at least 2 distinct fields"):
        differential_capacitance([0.1], field=[0.1])
