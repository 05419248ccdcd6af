"""Exploration for active learning: committee MD frames and the trust-window selection."""
import numpy as np
import pytest
from ase import Atoms

from mlpec_lab.sampling.exploration import explore, explore_and_pick, select_uncertain
from mlpec_lab.systems import interface

from .conftest import small_spec
from .test_model import random_model


def _frames(sigmas):
    out = []
    for s in sigmas:
        a = Atoms("H")
        a.info["max_force_deviation"] = s
        out.append(a)
    return out


def test_selection_keeps_the_window_ranks_by_uncertainty_and_spaces_picks():
    sigma = [0.05, 0.4, 0.45, 2.5, 0.3, 0.1, 0.35, 0.5]
    picked = select_uncertain(_frames(sigma), n=3, low=0.2, high=1.0)
    assert [a.info["max_force_deviation"] for a in picked] == [0.4, 0.45, 0.5]  # list order kept
    spaced = select_uncertain(_frames(sigma), n=3, low=0.2, high=1.0, min_separation=2)
    assert [a.info["max_force_deviation"] for a in spaced] == [0.45, 0.3, 0.5]
    assert select_uncertain(_frames(sigma), n=5, low=3.0, high=4.0) == []
    with pytest.raises(ValueError, match="low < high"):
        select_uncertain(_frames(sigma), n=1, low=1.0, high=0.5)


def test_explore_records_the_committee_deviation_of_each_frame():
    spec = small_spec()
    members = [random_model(spec, seed=s) for s in range(2)]
    payload = {"spec": spec, "field_range": [-0.5, 0.5], "force_deviation_threshold": 0.3}
    atoms = interface(n_water=2, seed=3)
    frames = explore(atoms, (members, payload), steps=6, every=2, field=0.2, temperature=300)
    assert [a.info["md_step"] for a in frames] == [0, 2, 4, 6]
    assert all(a.info["max_force_deviation"] > 0 and a.info["field"][2] == 0.2 for a in frames)
    assert not np.allclose(frames[0].positions, frames[-1].positions)
    assert frames[0].calc is None  # frames carry no calculator results: nothing is a label


def test_explore_and_pick_is_explore_then_select_per_run_with_tags():
    spec = small_spec()
    model = ([random_model(spec, seed=s) for s in range(2)],
             {"spec": spec, "field_range": [-0.5, 0.5], "force_deviation_threshold": 0.3})
    starts = [(interface(n_water=2, field=0.2, seed=3), 300.0), (interface(n_water=2, seed=4), 400.0)]
    picks = explore_and_pick(starts, model, 8, 2, 0.0, np.inf, every=2, min_separation=2,
                             tag="t", explored_with="abc")
    expected = []
    for k, (atoms, temperature) in enumerate(starts):  # the two steps by hand, seed k per run
        frames = explore(atoms, model, 8, temperature=temperature, every=2, seed=k)
        expected += select_uncertain(frames[1:], 2, 0.0, np.inf, min_separation=2)
    assert len(picks) == len(expected) == 4
    for got, want in zip(picks, expected):
        np.testing.assert_array_equal(got.positions, want.positions)
        assert got.info["md_step"] == want.info["md_step"] > 0  # step 0 is never picked
    assert [a.info["trajectory"] for a in picks] == ["t0", "t0", "t1", "t1"]
    assert {a.info["explored_with"] for a in picks} == {"abc"}


def test_energy_drift_recovers_a_known_slope():
    from mlpec_lab.sampling.md import energy_drift
    t = np.arange(0.0, 2001.0, 10.0)  # fs
    rng = np.random.default_rng(0)
    e = 50 * (-3.0 + 2e-4 * t / 1000.0) + rng.normal(scale=50 * 1e-5, size=t.size)  # 50 atoms
    out = energy_drift(t, e, 50)
    assert out["drift_eV_per_atom_per_ps"] == pytest.approx(2e-4, abs=3e-6)
    assert out["fluctuation_eV_per_atom"] == pytest.approx(1e-5, rel=0.2)
    assert out["duration_ps"] == 2.0
