"""The interface-structure and field-response panels driven without a browser."""
import numpy as np
import pytest

from mlpec_lab.analysis import field_scan
from mlpec_lab.kernels.symmetry_spec import default_spec
from mlpec_lab.panels.field_response import FieldResponsePanel
from mlpec_lab.panels.interface_structure import InterfaceStructurePanel
from mlpec_lab.potential.calculator import MLPotential
from mlpec_lab.sampling.session import MDSession
from mlpec_lab.systems import interface
from tests.potential.test_model import random_model


def _committee():
    spec = default_spec(species=("H", "O", "Na", "Cl", "Pt"), rc_radial=4.5, rc_angular=3.5)
    members = [random_model(spec, seed=s, hidden=8) for s in range(2)]
    for m in members:  # gentle forces: a wiring test, not physics
        for p in m.parameters():
            p.data.mul_(0.1)
    return members, {"spec": spec, "field_range": [-0.5, 0.5], "force_deviation_threshold": 1e6}


class StandIn:
    """field → MLPotential of a small random committee (a cheap stand-in for the model)."""
    model_id = "random-committee-for-panel-tests"

    def __init__(self):
        self.committee = _committee()

    def __call__(self, fz=None):  # None: the field from atoms.info (as MD sessions want)
        return MLPotential(self.committee, field=None if fz is None else float(fz),
                           on_uncertainty="quiet")


@pytest.fixture(scope="module")
def stand_in():
    return StandIn()


@pytest.fixture(scope="module")
def scan(stand_in):
    atoms = interface(n_water=4, ions="NaCl", layers=3, seed=3)
    return field_scan(atoms, [-0.3, 0.0, 0.3], stand_in, steps=8, every=2, temperature=300,
                      equilibration=0.0)


def test_scan_panel_field_and_pair_selectors_redraw(scan):
    panel = InterfaceStructurePanel(scan)
    assert panel.field_selector.description == "Fz (V/Å)"
    assert panel.fields() == pytest.approx([-0.3, 0.0, 0.3])
    assert panel.field_selector.value == pytest.approx(0.0)
    assert {"Na-O", "Cl-H", "O-O"} <= set(panel.pairs) and "Pt-Pt" not in panel.pairs
    first = panel.image.value
    assert first[:4] == b"\x89PNG"
    panel.field_selector.value = 0.3  # as a person choosing from the dropdown
    assert panel.image.value != first
    assert panel.result["profiles"].attrs["n_frames"] == panel.result["n_frames"] == 5
    assert set(panel.result["profiles"].species.values) == {"H", "O", "Na", "Cl"}
    at_03 = panel.image.value
    panel.pair_selector.value = "Na-O"
    assert panel.image.value != at_03
    assert "Na-O" in panel.result["rdf"].pair.values


def test_session_panel_updates_with_new_frames(stand_in):
    atoms = interface(n_water=3, layers=3, seed=4, field=0.1)
    atoms.calc = stand_in()
    session = MDSession(atoms, temperature=300, seed=0)
    session.step(2)
    panel = InterfaceStructurePanel(session, pairs=["O-O", "O-H"])
    assert panel.fields() == pytest.approx([0.1])
    before = panel.image.value
    n_before = panel.result["n_frames"]
    session.step(3); session.step(3)
    panel.update()  # recompute from the current frames
    assert panel.result["n_frames"] == n_before + 2
    assert panel.image.value != before
    session.set_field(-0.2)
    session.step(2)
    panel.update()  # the new field appears in the selector and is shown
    assert panel.fields() == pytest.approx([-0.2, 0.1])
    assert panel.field_selector.value == pytest.approx(-0.2)
    at_new = panel.image.value
    panel.set_field(0.1)
    assert panel.image.value != at_new


def test_structure_panel_bad_input(scan):
    with pytest.raises(TypeError, match="field-scan Dataset"):
        InterfaceStructurePanel([1, 2, 3])
    with pytest.raises(ValueError, match="'field' dimension"):
        InterfaceStructurePanel(scan.isel(field=0))
    panel = InterfaceStructurePanel(scan, pairs=["O-O"])
    with pytest.raises(ValueError, match="not among the fields"):
        panel.set_field(0.7)
    with pytest.raises(ValueError, match="not offered"):
        panel.set_pair("Cu-O")
    with pytest.raises(ValueError, match="not present"):
        InterfaceStructurePanel(scan, species=["Cu"])


def test_field_response_panel(stand_in):
    atoms = interface(n_water=1, layers=3, seed=1)
    panel = FieldResponsePanel(atoms, MLPotential(stand_in.committee), field_range=(-0.2, 0.2),
                               n_fields=5)
    res = panel.result
    assert res.field.values == pytest.approx(np.linspace(-0.2, 0.2, 5))
    assert list(res.source.values) == ["model"]
    assert "μ =" in panel.status.value and "α =" in panel.status.value and "±" in panel.status.value
    # the fit's μ is the ML model's own dipole at F = 0 (dE/dF = −μ, one energy)
    fit, analytic = (float(res.dipole.sel(source="model", estimate=e)) for e in ("fit_cubic", "analytic"))
    assert fit == pytest.approx(analytic, rel=1e-4, abs=1e-6)
    before = panel.image.value
    panel.range_slider.value = (-0.4, 0.4)
    assert "next scan: 5 fields from -0.40 to +0.40 V/Å" in panel.status.value
    panel.compute_button.click()  # as a person pressing Compute
    assert panel.result.field.values == pytest.approx(np.linspace(-0.4, 0.4, 5))
    assert panel.image.value != before
    with pytest.raises(ValueError, match="hi > lo"):
        panel.set_range(0.2, 0.2)
    panel.points.value = 3
    panel.range_slider.value = (0.1, 0.1)
    with pytest.raises(ValueError, match="fewer than 3 distinct fields"):
        panel.compute()
    panel.compute_button.click()  # the button shows the error instead of raising
    assert "fewer than 3 distinct fields" in panel.status.value
