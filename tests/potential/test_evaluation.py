"""Evaluation metrics: per-trajectory errors (an offset shared by a trajectory is told apart
from the rest) and the calibration of a committee against one member."""
import numpy as np
import pytest
import xarray as xr

from mlpec_lab.potential.evaluation import by_trajectory, metrics


def hand_made_predictions():
    """Four structures (2 + 3 + 2 + 1 atoms) of trajectories a, a, b and an unnamed one."""
    rng = np.random.default_rng(0)
    n_atoms = np.array([2, 3, 2, 1])
    energy = rng.normal(size=4)
    energy_pred = energy + np.array([0.2, 0.5, -0.1, 9.0])  # eV
    forces = rng.normal(size=(8, 3))
    forces_pred = forces + rng.normal(scale=0.1, size=(8, 3))
    known = np.array([1, 1, 1, 0, 1, 1, 1, 1], bool)  # one force that is not a label
    return xr.Dataset(
        {"energy": ("structure", energy), "energy_pred": ("structure", energy_pred),
         "energy_std": ("structure", np.full(4, 0.1)), "n_atoms": ("structure", n_atoms),
         "dipole_z": ("structure", np.zeros(4)), "dipole_z_pred": ("structure", np.full(4, 0.1)),
         "field": ("structure", np.zeros(4)), "trajectory": ("structure", ["a", "a", "b", ""]),
         "symbol": ("atom", np.array(["H"] * 8)),
         "structure_index": ("atom", np.repeat(np.arange(4), n_atoms)),
         "forces": (("atom", "xyz"), forces), "forces_pred": (("atom", "xyz"), forces_pred),
         "force_known": ("atom", known), "force_deviation": ("atom", np.full(8, 0.1))})


def test_by_trajectory_splits_the_energy_error_into_offset_and_shape():
    pred = hand_made_predictions()
    result = by_trajectory(pred)
    assert set(result) == {"a", "b"}  # the unnamed structure is left out
    a = result["a"]
    per_atom = [0.2 / 2, 0.5 / 3]
    assert a["n_structures"] == 2
    assert a["energy_offset_eV_per_atom"] == pytest.approx(np.mean(per_atom), rel=1e-12)
    assert a["energy_rmse_without_offset_eV_per_atom"] == pytest.approx(abs(per_atom[1] - per_atom[0]) / 2, rel=1e-12)
    d = (pred.forces_pred - pred.forces).values
    rows = [0, 1, 2, 4]  # trajectory a's atoms with labelled forces (atom 3 is not a label)
    assert a["force_rmse_eV_per_A"] == pytest.approx(np.sqrt(np.mean(d[rows] ** 2)), rel=1e-12)
    assert result["b"]["energy_offset_eV_per_atom"] == pytest.approx(-0.05, rel=1e-12)
    assert result["b"]["energy_rmse_without_offset_eV_per_atom"] == pytest.approx(0.0, abs=1e-15)
    assert metrics(pred)["by_trajectory"] == result


def test_calibration_is_undefined_for_a_single_member():
    pred = hand_made_predictions()
    d = np.linalg.norm((pred.forces_pred - pred.forces).values[pred.force_known.values], axis=1)
    assert metrics(pred)["force_error_over_deviation_median"] == pytest.approx(np.median(d / 0.1), rel=1e-12)
    one = pred.assign(force_deviation=pred.force_deviation * 0.0, energy_std=pred.energy_std * 0.0)
    m = metrics(one)
    assert np.isnan(m["force_error_over_deviation_median"])  # not |error| / 1e-12
    assert np.isnan(m["spearman_max_force_deviation_vs_error"])
