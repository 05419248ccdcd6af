"""Field-scan driver: MD per field through the executor, cached; analyses stacked by field."""
import numpy as np
import pytest
import xarray as xr

from mlpec_lab.analysis import (analyse_scan, density_profiles, field_scan,
                                interface_electrostatics, scan_frames)
from mlpec_lab.systems import interface

from . import standins


@pytest.fixture(scope="module")
def cell():
    return interface(n_water=3, ions={"Na": 1, "Cl": 1}, layers=3, seed=0)


def test_second_call_is_served_from_the_cache(cell, tmp_path):
    kw = dict(steps=20, every=5, seed=1, cache_dir=tmp_path, equilibration=0.25)
    standins.FieldStandIn.calls = 0
    first = field_scan(cell, [-0.1, 0.0, 0.1], standins.make_standin, **kw)
    calls = standins.FieldStandIn.calls
    assert calls >= 3 * 20
    assert list(first.attrs["cached_fields"]) == []
    second = field_scan(cell, [-0.1, 0.0, 0.1], standins.make_standin, **kw)
    assert standins.FieldStandIn.calls == calls  # no MD ran
    assert sorted(second.attrs["cached_fields"]) == [-0.1, 0.0, 0.1]
    xr.testing.assert_identical(first.positions, second.positions)
    # equilibration: steps 0 and 5 (< 0.25·20) dropped
    assert list(first.step.values) == [5, 10, 15, 20]
    assert "first 0.25 of the steps" in first.attrs["equilibration"]
    auto = field_scan(cell, [-0.1, 0.0, 0.1], standins.make_standin, **{**kw, "equilibration": "auto"})
    assert standins.FieldStandIn.calls == calls and "detected" in auto.attrs["equilibration"]
    assert int(auto.step.min()) == auto.attrs["equilibration_steps"]
    # a new field runs only that field; another seed runs again
    field_scan(cell, [0.0, 0.2], standins.make_standin, **kw)
    assert 0 < standins.FieldStandIn.calls - calls <= 21 + 2
    calls = standins.FieldStandIn.calls
    field_scan(cell, [0.0], standins.make_standin, **{**kw, "seed": 2})
    assert standins.FieldStandIn.calls > calls
    # a vacuum wall is another simulation: not served from the wall-less cache
    calls = standins.FieldStandIn.calls
    walled = field_scan(cell, [0.0], standins.make_standin, **{**kw, "wall_z": 24.0})
    assert standins.FieldStandIn.calls > calls and list(walled.attrs["cached_fields"]) == []
    assert walled.attrs["wall_z"] == 24.0 and first.attrs["wall_z"] == "none"


def test_the_wall_reaches_the_md(cell):
    # a wall below the film is refused by the MD driver, so the scan did pass it on
    with pytest.raises(ValueError, match="above the wall"):
        field_scan(cell, [0.0], standins.make_standin, steps=4, every=2, wall_z=8.0)


def test_scan_frames_feed_the_analyses(cell, tmp_path):
    scan = field_scan(cell, [-0.2, 0.2], standins.make_standin, steps=12, every=3,
                      equilibration=0.0)
    frames = scan_frames(scan, 0.2)
    assert len(frames) == 5 and frames[0].info["field"][2] == 0.2
    np.testing.assert_allclose(frames[0].calc.results["charges"][-1], standins.CHARGES[
        frames[0].get_chemical_symbols()[-1]])
    elec = analyse_scan(scan, interface_electrostatics, z_solution=4.0)
    assert elec.potential.dims == ("field", "z")
    assert elec.potential_drop.dims == ("field",)
    assert np.all(np.isfinite(elec.potential_drop)) and np.all(elec.potential_drop_sem >= 0)
    prof = analyse_scan(scan, density_profiles, species=["O", "Na"], bin_width=0.5)
    assert prof.number_density.dims == ("field", "species", "z")
    prof.to_netcdf(tmp_path / "profiles.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="not in the scan"):
        scan_frames(scan, 0.3)


def test_bad_scan_input(cell):
    with pytest.raises(ValueError, match="non-empty"):
        field_scan(cell, [], standins.make_standin, steps=10)
    with pytest.raises(ValueError, match="duplicates"):
        field_scan(cell, [0.1, 0.1], standins.make_standin, steps=10)
    with pytest.raises(ValueError, match="equilibration"):
        field_scan(cell, [0.1], standins.make_standin, steps=10, equilibration=1.0)
    with pytest.raises(FileNotFoundError, match="model file"):
        field_scan(cell, [0.1], "no_such_model.pt", steps=10)


def test_committee_flags_give_one_warning_per_scan_and_are_kept_per_frame(cell):
    import warnings

    from mlpec_lab.potential.calculator import ExtrapolationWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scan = field_scan(cell, [-0.1, 0.2], standins.make_flagging_standin, steps=12, every=3,
                          equilibration=0.0)
    flags = [w for w in caught if issubclass(w.category, ExtrapolationWarning)]
    assert len(flags) == 1 and "Fz = +0.20: 5/5" in str(flags[0].message)
    assert "Fz = -0.10" not in str(flags[0].message)
    assert (scan.committee_warning.sel(field=0.2) != "").all()
    assert (scan.committee_warning.sel(field=-0.1) == "").all()
    np.testing.assert_allclose(scan.max_force_deviation.sel(field=0.2), 0.9)
