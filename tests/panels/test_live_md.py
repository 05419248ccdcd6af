"""The live-MD panel driven without a browser."""
import time

import numpy as np
import pytest

from mlpec_lab.panels.live_md import LiveMDPanel
from mlpec_lab.systems import interface


@pytest.fixture
def panel(gentle_committee):
    atoms = interface(n_water=2, layers=3, seed=1, field=0.1)
    p = LiveMDPanel(atoms, gentle_committee, stride=2, temperature=300)
    yield p
    p.stop()


def test_step_advances_md_and_redraws(panel):
    before = panel.plot.value
    record = panel.step()
    assert record["step"] == 2 and panel.session.step_count == 2
    assert "step 2" in panel.status.value
    assert panel.plot.value != before


def test_field_slider_changes_the_running_simulation(panel):
    before = panel.plot.value
    panel.field_slider.value = -0.3  # as a person moving the slider
    assert panel.session.field == pytest.approx(-0.3)
    assert np.allclose(panel.session.atoms.info["field"], [0, 0, -0.3])
    assert panel.session.history[-1]["field"] == pytest.approx(-0.3)
    assert panel.plot.value != before
    panel.step()
    assert panel.session.history[-1]["field"] == pytest.approx(-0.3)
    panel.set_field(0.0)  # the arrow goes away at zero field
    assert panel._arrow_id is None


def test_background_run_and_stop(panel):
    panel.run_button.value = True
    deadline = time.time() + 60
    while panel.session.step_count < 6 and time.time() < deadline:
        time.sleep(0.05)
    panel.run_button.value = False
    assert panel.session.step_count >= 6
    assert not panel._thread.is_alive()
    n = panel.session.step_count
    time.sleep(0.3)
    assert panel.session.step_count == n


def test_colour_modes(panel):
    panel.set_colour("charge")
    panel.set_colour("uncertainty")
    panel.set_colour("element")
    with pytest.raises(ValueError, match="colour mode"):
        panel.set_colour("rainbow")
