import numpy as np
import pytest
import torch
import xarray as xr

from mlpec_lab import battery
from mlpec_lab.battery import correction, features, hybrid, physics, protocols


def short_drive(capacity, seconds=120):
    return protocols.drive_cycle(5, capacity, seconds, peak_c_rate=1.5)


def test_zero_correction_equals_spme_exactly(capacity):
    prof = short_drive(capacity)
    res = battery.predict(prof, 298.0, 0.8, correction="zero")
    np.testing.assert_array_equal(res["voltage_hybrid"].values, res["voltage_spme"].values)
    spme = physics.simulate("spme", prof.time_s, prof.current_A, 298.0, 0.8)
    np.testing.assert_array_equal(res["voltage_spme"].values, spme["voltage"].values)
    assert res["time"].attrs["units"] == "s" and res["voltage_hybrid"].attrs["units"] == "V"


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": 250.0}, "temperature 250 K is outside"),
    ({"initial_soc": 0.05}, "initial SOC 0.05 is outside"),
    ({"c_rate": 3.0}, "beyond the trained 2C"),
])
def test_out_of_range_is_refused(capacity, kwargs, message):
    args = {"temperature": 298.0, "initial_soc": 0.8, "c_rate": 1.0} | kwargs
    prof = protocols.constant_current(args["c_rate"], 60, capacity)
    with pytest.raises(battery.OutOfRangeError, match=message):
        battery.predict(prof, args["temperature"], args["initial_soc"], correction="zero")


def test_extrapolation_flag_runs_with_a_recorded_warning(capacity):
    prof = protocols.constant_current(1.0, 60, capacity)
    with pytest.warns(UserWarning, match="extrapolating"):
        res = battery.predict(prof, 330.0, 0.8, correction="zero", allow_extrapolation=True)
    assert "330 K is outside" in res.attrs["warnings"]


def test_features_are_causal():
    rng = np.random.default_rng(0)
    n = 300
    t = np.cumsum(rng.uniform(0.5, 2.0, n))
    names = list(physics.STATE_VARIABLES) + list(physics.ELECTROLYTE_EDGES)
    ds = xr.Dataset({name: ("time", rng.uniform(0.2, 0.8, n)) for name in names},
                    coords={"time": t})
    ds["temperature_cell"] = ("time", np.full(n, 298.0))
    a = features.feature_matrix(ds, 5.0, 298.0)
    later = ds.copy(deep=True)
    later["current"][200:] = 10.0
    later["voltage"][200:] = 3.0
    b = features.feature_matrix(later, 5.0, 298.0)
    np.testing.assert_array_equal(a[:200], b[:200])
    assert not np.array_equal(a[200:], b[200:])


def test_breakpoints_are_the_edges_of_constant_holds(capacity):
    prof = protocols.pulse_rest(3, capacity, n_pulses=3)
    stops = physics.breakpoints(prof.time_s, prof.current_A)
    # ends + both ends of each 0.1 s step ramp (3 pulses -> 6 steps)
    assert stops[0] == 0.0 and stops[-1] == prof.time_s[-1]
    assert len(stops) == 2 + 2 * 6
    assert np.allclose(np.diff(stops)[np.diff(stops) < 0.5], 0.1)
    drive = protocols.drive_cycle(5, capacity, 120, peak_c_rate=1.5)
    moving = np.all(np.diff(drive.current_A) != 0)
    assert moving == (len(physics.breakpoints(drive.time_s, drive.current_A)) == 2)


def test_dfn_does_not_step_over_a_short_pulse(capacity):
    # revision 1 solved with only the end points: after a long rest IDAKLU stepped over
    # whole pulses and the DFN "reference" never saw them
    prof = protocols._steps([0.0, 1.5 * capacity, 0.0], [600.0, 20.0, 600.0], 1.0, "p")
    dfn = physics.simulate("dfn", prof.time_s, prof.current_A, 298.0, 0.9)
    v = dfn["voltage"].values
    during = (prof.time_s > 601) & (prof.time_s < 620)
    assert v[0] - v[during].max() > 0.03          # a 1.5C pulse drops the voltage


def test_depletion_is_flagged():
    t = np.arange(10.0)
    ds = xr.Dataset({"c_e_min": ("time", np.array([900.0] * 5 + [120.0] * 5))},
                    coords={"time": t})
    note = hybrid.depletion_warning(ds)
    assert note and "120 mol/m^3" in note and "t = 5 s" in note
    assert hybrid.depletion_warning(ds.isel(time=slice(0, 5))) is None


def test_filtered_history_matches_step_response():
    t = np.arange(0, 601.0)
    y = features.filtered_history(t, np.ones_like(t), 60.0)
    np.testing.assert_allclose(y, 1 - np.exp(-t / 60.0), atol=1e-12)


def test_training_is_reproducible_and_save_load(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 5)).astype(np.float32)
    y = 0.01 * np.tanh(x[:, 0]) + 0.002 * x[:, 1]
    a = correction.train_committee(x, y, seed=3, epochs=5, n_members=2, progress=False)
    b = correction.train_committee(x, y, seed=3, epochs=5, n_members=2, progress=False)
    np.testing.assert_array_equal(a.predict(x)[0], b.predict(x)[0])
    correction.save_correction(a, tmp_path, {"note": "test"})
    state = torch.load(tmp_path / "correction.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    c, meta = correction.load_correction(tmp_path)
    np.testing.assert_array_equal(c.predict(x)[0], a.predict(x)[0])
    assert meta["note"] == "test"


def test_foreign_model_file_is_refused(tmp_path):
    (tmp_path / "correction.json").write_text("{}")
    torch.save({"w": torch.zeros(3)}, tmp_path / "correction.pt")
    with pytest.raises(ValueError, match="corrupt or foreign"):
        correction.load_correction(tmp_path)


@pytest.mark.skipif(not (hybrid.DEFAULT_MODEL_DIR / "correction.pt").exists(),
                    reason="no shipped correction")
def test_shipped_correction_runs(capacity):
    model, meta = hybrid.default_correction()
    assert meta["parameter_set"] == physics.PARAMETER_SET
    assert meta["feature_names"] == features.FEATURE_NAMES
    prof = short_drive(capacity)
    res = battery.predict(prof, 290.0, 0.7)
    assert np.all(np.isfinite(res["voltage_hybrid"].values))
    # a correction, not a different model: stays within a few tens of mV of SPMe here
    assert np.max(np.abs(res["voltage_hybrid"] - res["voltage_spme"]).values) < 0.05


def test_cold_high_rate_prediction_records_depletion_warning(capacity):
    prof = protocols.constant_current(2.0, 900, capacity)
    with pytest.warns(UserWarning, match="electrolyte depletion"):
        res = battery.predict(prof, 268.0, 0.9, correction="zero")
    assert "electrolyte depletion" in res.attrs["warnings"]
    assert res["electrolyte_depleted"].values.any()
    assert not res["electrolyte_depleted"].values[0]          # full electrolyte at rest
