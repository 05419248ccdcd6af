import json

import numpy as np
import xarray as xr

from mlpec_lab.battery import dataset, physics


class Interrupt(Exception):
    pass


def fake_runner(calls, stop_at=None):
    def run(case):
        if stop_at is not None and case["name"] == stop_at:
            raise KeyboardInterrupt
        calls.append(case["name"])
        t = np.arange(5.0)
        return xr.Dataset({"spme_voltage": ("time", 3.7 + 0 * t), "dfn_voltage": ("time", 3.7 + t)},
                          coords={"time": t}, attrs={"case": json.dumps(case),
                                                     "solver_revision": physics.SOLVER_REVISION})
    return run


def cases(n):
    return [dataset.case(f"c{k}", "cc_discharge", 1.0, 298.0, 0.9) for k in range(n)]


def test_cache_resumes_after_interruption(tmp_path):
    calls = []
    try:
        dataset.build_dataset(cases(4), tmp_path, runner=fake_runner(calls, stop_at="c2"),
                              progress=False)
    except KeyboardInterrupt:
        pass
    assert calls == ["c0", "c1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c0.nc", "c1.nc"]
    calls.clear()
    report = dataset.build_dataset(cases(4), tmp_path, runner=fake_runner(calls), progress=False)
    assert calls == ["c2", "c3"]
    assert report["skipped"] == ["c0", "c1"] and report["done"] == ["c2", "c3"]
    loaded = dataset.load_cases(cases(4), tmp_path)
    assert set(loaded) == {"c0", "c1", "c2", "c3"}
    np.testing.assert_array_equal(loaded["c3"]["dfn_voltage"].values, 3.7 + np.arange(5.0))


def test_failed_case_is_recorded_not_stored(tmp_path):
    def broken(case):
        raise RuntimeError("solver diverged")
    report = dataset.build_dataset(cases(1), tmp_path, runner=broken, progress=False)
    assert report["failed"] == ["c0"]
    assert "solver diverged" in (tmp_path / "c0.failed.json").read_text()
    assert not (tmp_path / "c0.nc").exists()


def test_real_pair_solve_is_aligned():
    c = dataset.case("tiny", "pulse_rest", 1.0, 298.0, 0.7, seed=1, duration_s=150)
    pair = dataset.run_case(c)
    assert pair.sizes["time"] > 10
    assert {"spme_voltage", "dfn_voltage", "spme_sto_n_surf"} <= set(pair.data_vars)
    diff = np.abs(pair["spme_voltage"] - pair["dfn_voltage"]).values
    assert diff.max() < 0.1                      # same cell, same protocol
