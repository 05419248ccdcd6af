"""From `make lab` to a running ML MD with the live 3D view and updating profiles (issue 6).

    python benchmarks/time_to_live_md.py [--out DIR] [--warm] [--no-results]

What a person does, timed from the moment `make lab` is started (set-up already done):
the server comes up, the tour opens in the browser (Debian's Chromium, headless, through
tests/browser/harness.py), they run its cells down to the live-structure panel (build
the interface, the 3D view, the live MD panel, the profiles; not the quantum-reference
sections), press **Run**, and the MD status advances while the profile plots redraw.
`make lab` gets a free port and the options a driven browser needs (a known token,
``window.jupyterapp``, private settings); nothing else differs from a person's start.
Not quick mode: the tour's full 16-water interface. Cold by default, as on the first start
after a clone: Numba compiles the kernels into an empty cache (``--warm`` keeps the
existing cache). Writes a section of RESULTS.md.
"""
import argparse
import datetime
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.browser.harness import LabSession, changed_pixels  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from results_section import update_section  # noqa: E402

TOUR = "notebooks/00_tour.ipynb"
HEADING = "## Time from `make lab` to a live double layer"
STEPS_AFTER_RUN = 20  # MD steps the status must advance after Run (4 view updates of 5)


def make_lab_argv(port, token, root, options):
    return ["make", "-s", "-C", str(root), "lab", f"PORT={port}", "LAB_ARGS=" + " ".join(options)]


def cell_index(notebook: Path, text: str) -> int:
    """Index (among all cells, as JupyterLab counts them) of the first code cell containing text."""
    cells = nbformat.read(notebook, 4).cells
    return next(i for i, c in enumerate(cells) if c.cell_type == "code" and text in c.source)


def status_step(page) -> int | None:
    """The step number shown by the live-MD panel's status line, or None."""
    texts = page.locator(".widget-html-content").all_inner_texts()
    steps = [int(m.group(1)) for t in texts if (m := re.match(r"step (\d+) ·", t.strip()))]
    return steps[0] if steps else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None, help="screenshots and report.json (default: a temp dir)")
    ap.add_argument("--warm", action="store_true", help="keep Numba's existing kernel cache")
    ap.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="time-to-live-md-"))
    structure_cell = cell_index(REPO / TOUR, "InterfaceStructurePanel")
    live_cell = cell_index(REPO / TOUR, "LiveMDPanel(")
    os.environ.pop("MLPEC_QUICK", None)
    if not args.warm:
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-cold-")
    marks = {}
    with LabSession(REPO, out, env={}, timeout=300, server_argv=make_lab_argv) as lab:
        marks["server and browser up"] = time.monotonic() - lab.t0
        nb = lab.open_notebook(TOUR, kernel_timeout=90)
        marks["tour open, kernel idle"] = time.monotonic() - lab.t0
        cells = nb.run_through(structure_cell, timeout=180)
        errors = [e for c in cells if c["index"] <= structure_cell for e in c["errors"]]
        problems = nb.wait_for_widgets(timeout=30)
        marks["cells run, widgets drawn"] = time.monotonic() - lab.t0
        page = nb.page
        profiles = page.locator(f'[data-bt-cell="{structure_cell}"] .jp-Cell-outputArea')
        before = profiles.screenshot()
        step0 = status_step(page)
        nb.click_button("Run")
        t_click = time.monotonic() - lab.t0
        deadline = time.monotonic() + 120
        step, changed = step0, 0
        while time.monotonic() < deadline:
            step = status_step(page)
            changed = changed_pixels(before, profiles.screenshot())
            if step is not None and step0 is not None and step >= step0 + STEPS_AFTER_RUN and changed > 100:
                break
            time.sleep(0.2)
        marks["MD running, profiles redrawn"] = time.monotonic() - lab.t0
        canvases = nb.check_canvases()
        live_ink = [c["ink"] for c in canvases if c["type"] == "nglview-webgl" and c.get("cell") == live_cell]
        nb.click_button("Run")  # stop
        nb.screenshot("live")
        kernel_errors = nb.kernel_errors()
        nb.close()
    ok = (not errors and not problems and not kernel_errors and step0 is not None
          and step >= step0 + STEPS_AFTER_RUN and changed > 100 and live_ink and min(live_ink) > 0.01)
    result = {"marks_s": {k: round(v, 1) for k, v in marks.items()}, "click_run_s": round(t_click, 1),
              "steps": [step0, step], "profile_pixels_changed": changed, "live_view_ink": live_ink,
              "cell_errors": errors, "widget_problems": problems, "kernel_errors": kernel_errors,
              "ok": bool(ok), "artifacts": str(out)}
    print(json.dumps(result, indent=1))
    if not args.no_results:
        rows = "\n".join(f"| {k} | {v:.1f} |" for k, v in marks.items())
        update_section(HEADING, f"""{HEADING}

`python benchmarks/time_to_live_md.py{' --warm' if args.warm else ''}` ({datetime.date.today()}, {platform.machine()},
{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end). Started with
`make lab` (set-up done; Numba's kernel cache {'warm' if args.warm else 'empty, as after a clone'}), the tour in headless Chromium, cells run down to the live
profiles (cell {structure_cell}), **Run** pressed at {t_click:.1f} s; done when the MD status
advanced {STEPS_AFTER_RUN} steps (step {step0} → {step}) and the profile plots were redrawn
({changed} pixels changed). 3D view ink {', '.join(f'{x:.3f}' for x in live_ink) or 'none'};
errors: {len(errors) + len(problems) + len(kernel_errors)}.

| moment | seconds since `make lab` |
|---|---|
{rows}
""")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
