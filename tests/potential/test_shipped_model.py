"""The shipped committee: loads safely, and its recorded test metrics are what it gives now."""
import json

import pytest

from mlpec_lab.paths import DATA_DIR, SHIPPED_MODEL
from mlpec_lab.potential.committee import read_labelled_frames
from mlpec_lab.potential.evaluation import evaluate
from mlpec_lab.potential.modelfile import load_committee

METRICS = DATA_DIR / "model" / "test_metrics.json"


def test_shipped_model_loads_with_weights_only():
    members, payload = load_committee(SHIPPED_MODEL)
    assert len(members) >= 4
    assert set(payload["species"]) == {"H", "O", "Na", "Cl", "Pt"}
    assert payload["field_range"][0] <= -0.25 and payload["field_range"][1] >= 0.25


@pytest.mark.parametrize("model, metrics", [
    (SHIPPED_MODEL, METRICS),
    (SHIPPED_MODEL, DATA_DIR / "model" / "test_metrics_independent.json"),
    (DATA_DIR / "model" / "candidates" / "height_committee.pt",
     DATA_DIR / "model" / "candidates" / "height_committee_test_metrics.json"),
    (DATA_DIR / "model" / "candidates" / "cell_dipole_committee.pt",
     DATA_DIR / "model" / "candidates" / "cell_dipole_committee_test_metrics_independent.json"),
    (DATA_DIR / "model" / "candidates" / "noboot_committee.pt",
     DATA_DIR / "model" / "candidates" / "noboot_committee_test_metrics_independent.json"),
    (DATA_DIR / "model" / "candidates" / "noboot_more_data_committee.pt",
     DATA_DIR / "model" / "candidates" / "noboot_more_data_committee_test_metrics_independent.json"),
], ids=["shipped", "shipped-independent", "height-candidate", "cell-dipole-candidate",
        "noboot-candidate", "noboot-more-data-candidate"])
def test_recorded_test_metrics_reproduce(model, metrics):
    recorded = json.loads(metrics.read_text())
    members, payload = load_committee(model)
    frames, left_out = read_labelled_frames([DATA_DIR.parent / path for path in recorded["data"]],
                                            recorded.get("max_force_eV_per_A"))
    assert left_out == recorded.get("left_out_max_force", 0)
    now = evaluate(members, frames, payload["spec"], payload["core_radii"])
    assert now["n_structures"] == recorded["n_structures"]
    for key in ("energy_rmse_eV_per_atom", "force_rmse_eV_per_A", "dipole_z_rmse_eA"):
        assert now[key] == pytest.approx(recorded[key], rel=1e-6), key
