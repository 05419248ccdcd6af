import os
from pathlib import Path

import pytest

from mlpec_lab.battery import hybrid

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "08_battery.ipynb"


@pytest.mark.skipif(not (hybrid.DEFAULT_MODEL_DIR / "correction.pt").exists(),
                    reason="no shipped correction")
def test_notebook_runs_headless_in_quick_mode(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MLPEC_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "RMSE vs DFN" in text
