"""The harness can fail: a small notebook, written at test time, with a widget whose JS
module does not exist, a canvas that is never drawn, a slider whose callback raises, a
slider that works, and a cell that raises (the cell after it never runs).  One kernel,
one run (the server and browser are shared, conftest.py), so this stays fast."""
import nbformat
import pytest

from . import harness


pytestmark = pytest.mark.browser

CELLS = [
    # 0: a DOMWidget whose view module is not registered in the browser
    """import ipywidgets as w, traitlets
class Broken(w.DOMWidget):
    _view_module = traitlets.Unicode("no-such-module").tag(sync=True)
    _view_module_version = traitlets.Unicode("1.0.0").tag(sync=True)
    _view_name = traitlets.Unicode("NoSuchView").tag(sync=True)
Broken()""",
    # 1: a canvas nothing ever draws on
    """from IPython.display import HTML
HTML('<canvas width="300" height="120"></canvas>')""",
    # 2: a slider that redraws a big label, and one whose callback raises
    """good = w.IntSlider(description="Good", min=0, max=100, value=0)
bad = w.IntSlider(description="Bad", min=0, max=100, value=0)
shown = w.HTML(value="<div style='font-size:48px'>value 0</div>")
good.observe(lambda ch: setattr(shown, "value", f"<div style='font-size:48px'>value {ch['new']}</div>"), "value")
def explode(ch):
    raise ValueError("callback exploded")
bad.observe(explode, "value")
w.VBox([good, bad, shown])""",
    # 3: raises; 4 must then never run
    "1 / 0",
    "print('never')",
]


@pytest.fixture(scope="module")
def broken(lab):
    """The broken notebook, run once in the shared browser session (conftest.py)."""
    (lab.root / "negatives").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "negatives" / "broken.ipynb")
    page = lab.open_notebook("negatives/broken.ipynb")
    try:
        cells = page.run_all(timeout=60)
        problems = page.wait_for_widgets(timeout=15)
        yield lab, page, cells, problems
    finally:
        page.close()


def test_cell_error_and_unexecuted_cell_are_reported(broken):
    _, nb, cells, _ = broken
    errs = nb.cell_errors()
    assert "cell 3 raised ZeroDivisionError: division by zero" in errs, errs
    assert "cell 4 was not executed" in errs, errs
    assert all(c["execution_count"] for c in cells[:3]), cells
    assert any(e.startswith("ZeroDivisionError") for e in nb.kernel_errors())


def test_missing_widget_module_is_reported(broken):
    _, _, _, problems = broken
    assert any("widget failed to render" in p and "in cell 0" in p for p in problems), problems
    assert any("no-such-module" in p for p in problems), problems


def test_blank_canvas_has_no_ink(broken):
    _, nb, _, _ = broken
    canvases = nb.check_canvases(min_ink=0.01, timeout=1)
    blank = [c for c in canvases if c["cell"] == 1]
    assert blank and blank[0]["ink"] < 0.01, canvases


def test_working_slider_changes_its_output(broken):
    _, nb, _, _ = broken
    res = nb.move_slider("Good", min_changed=100, timeout=10)
    assert res["value_after"] != res["value_before"], res
    assert res["changed_pixels"] >= 100, res
    assert not res["kernel_errors"], res


def test_raising_slider_callback_is_reported(broken):
    _, nb, _, _ = broken
    res = nb.move_slider("Bad", min_changed=100, timeout=2)
    assert res["value_after"] != res["value_before"], res
    assert "ValueError: callback exploded" in res["kernel_errors"], res
    assert res["changed_pixels"] < 100, res


def test_unknown_slider_label_is_an_error(broken):
    _, nb, _, _ = broken
    with pytest.raises(LookupError, match="Fz"):
        nb.move_slider("Fz (V/Å)")


def test_missing_chromium_fails_with_the_install_hint(monkeypatch):
    monkeypatch.delenv("MLPEC_SKIP_BROWSER", raising=False)
    monkeypatch.setattr(harness, "find_chromium", lambda: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        harness.require_browser()


def test_skip_browser_env_skips(monkeypatch):
    monkeypatch.setenv("MLPEC_SKIP_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="MLPEC_SKIP_BROWSER=1"):
        harness.require_browser()
