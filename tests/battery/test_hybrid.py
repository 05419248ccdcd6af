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
    ds = xr.Dataset({name: ("time", rng.uniform(0.2, 0.8, n)) for name in physics.STATE_VARIABLES},
                    coords={"time": t})
    ds["temperature_cell"] = ("time", np.full(n, 298.0))
    a = features.feature_matrix(ds, 5.0, 298.0)
    later = ds.copy(deep=True)
    later["current"][200:] = 10.0
    later["voltage"][200:] = 3.0
    b = features.feature_matrix(later, 5.0, 298.0)
    np.testing.assert_array_equal(a[:200], b[:200])
    assert not np.array_equal(a[200:], b[200:])


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
