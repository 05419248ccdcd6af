"""The active-learning panel driven without a browser: explore, re-pick, label."""
import numpy as np
import pytest

from mlpec_lab.datasets import read_dataset
from mlpec_lab.panels.active_learning import ActiveLearningPanel
from mlpec_lab.reference.xtb import XTBReference
from mlpec_lab.systems import interface


@pytest.fixture
def panel(tmp_path, gentle_committee):
    atoms = interface(n_water=1, layers=2, seed=1, field=0.1)
    return ActiveLearningPanel(atoms, gentle_committee, out=tmp_path / "round",
                               steps=20, every=2, n_picks=2, min_separation=2)


def test_explore_traces_the_deviation_and_picks_inside_the_window(panel):
    panel.window.value = (0.0, 1e3)
    picks = panel.explore()
    sigma_all = np.array([a.info["max_force_deviation"] for a in panel.frames])
    assert len(panel.frames) == 11 and np.all(sigma_all > 0)
    assert len(picks) == 2 and all(a.info["md_step"] > 0 for a in picks)
    assert panel.trace.value and not panel.label_button.disabled
    # moving the window re-picks from the same frames, without new MD
    top = np.sort(sigma_all[1:])[-1]
    panel.window.value = (top * 2, top * 3)
    assert panel.picks == [] and panel.label_button.disabled and len(panel.frames) == 11
    panel.window.value = (0.0, top * 1.01)
    assert panel.picks[0].info["max_force_deviation"] in sigma_all
    panel.window.value = (1.0, 1.0)  # a range slider dragged shut, as in the browser
    assert panel.picks == [] and "low < high" in panel.status.value
    panel.field_slider.value = -0.2
    assert "Fz = -0.20" in panel.status.value


def test_picks_are_labelled_by_the_oracle_once(panel):
    panel.window.value = (0.0, 1e3)
    panel.n_picks.value = 1
    panel.explore()
    pick = panel.picks[0]
    counts = panel.label()
    assert counts["labelled"] == 1 and counts["failed"] == 0
    labelled = read_dataset(panel.out / "labelled.extxyz").frames
    assert len(labelled) == 1
    direct = read_dataset(panel.out / "configs.extxyz").frames[0]  # the pick as written
    assert np.allclose(direct.positions, pick.positions, atol=1e-6)
    direct.calc = XTBReference()
    assert labelled[0].get_potential_energy() == pytest.approx(direct.get_potential_energy(), abs=1e-6)
    again = panel.label()  # the same picks: nothing new to label, nothing appended twice
    assert again["labelled"] == 0 and len(read_dataset(panel.out / "configs.extxyz").frames) == 1


def test_label_without_picks_says_what_to_do(panel):
    with pytest.raises(ValueError, match="explore first"):
        panel.label()
