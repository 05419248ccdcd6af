"""One JupyterLab server and one Chromium for the whole browser suite (starting them
costs ~10 s on a loaded 2-core machine).  Each test module opens its own notebook in
its own tab and kernel under the shared server root.  The session lives as long as this
package's tests (package scope): its watchdog budget is theirs, so it never fires, and
prints, during the rest of the suite."""
from pathlib import Path

import pytest

from .harness import LabSession, artifacts_dir, require_browser

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package")
def lab(request, tmp_path_factory):
    """A running LabSession.  Its root (``lab.root``) starts with ``data`` -> the repo's
    data/; modules add their notebooks under it.  The server gets MLPEC_QUICK=1, so the
    kernels run quick mode.  Screenshots + report.json: ``lab.outdir``."""
    require_browser()
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "root"
    root.mkdir()
    (root / "data").symlink_to(REPO / "data")
    out = artifacts_dir(tmp / "artifacts", "")
    # the overall budget: past it the watchdog stops server and browser (by PID)
    with LabSession(root, out, env={"MLPEC_QUICK": "1"}, timeout=300) as session:
        # Modules with a browser_prefetch(lab) get to open (and start running) their
        # notebook now, so that a long notebook computes while other modules' tests run.
        modules = dict.fromkeys(item.module for item in request.session.items
                                if hasattr(item.module, "browser_prefetch"))
        for mod in modules:
            mod.browser_prefetch(session)
        yield session
