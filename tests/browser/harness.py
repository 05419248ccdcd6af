"""A small browser-test harness: JupyterLab on 127.0.0.1 driven by Debian's Chromium.

Used by the tests in this directory (issue 6: what a person sees in the notebooks).

    rel = prepare_root(repo / "notebooks/00_tour.ipynb", root, links={"data": repo / "data"})
    with LabSession(root, outdir, env={"MLPEC_QUICK": "1"}, timeout=300) as lab:
        nb = lab.open_notebook(rel)           # new tab; waits for an idle kernel
        cells = nb.run_all()                  # every code cell, with errors / counts
        problems = nb.wait_for_widgets()      # [] when every widget rendered
        canvases = nb.check_canvases()        # [{id, type, ink, screenshot}, ...]
        move = nb.move_slider("Fz (V/Å)")     # {value_before, value_after, changed_pixels}
        nb.kernel_errors()                    # exceptions raised in widget callbacks too

How it works (the recipe in BROWSER_TESTING.md, reduced to what the tests need):

* the server is ``python -m jupyterlab`` with a random free port and token,
  ``--allow-root``, ``expose_app_in_browser`` (``window.jupyterapp``), and private
  config / runtime / IPython / workspace / user-settings directories (windowing off,
  no news or update checks, no autosave);
* the browser is Debian's Chromium through Playwright's ``executable_path`` (never
  ``playwright install``), headless, SwiftShader WebGL, no background networking,
  a fresh profile; every request that is not to 127.0.0.1 is aborted;
* notebooks are run with ``notebook:run-all-cells``; errors are read from the notebook
  model and from the kernel's iopub channel (exceptions in widget callbacks go there,
  not to a cell);
* canvases (WebGL included) are screenshotted from the page -- ``toDataURL`` is blank
  for WebGL without ``preserveDrawingBuffer`` -- and polled, because NGL draws
  asynchronously;
* everything started here is stopped by PID (psutil) on the way out, even on failure
  or SIGTERM, and a watchdog kills server and browser when the session overruns its time budget,
  which makes any pending Playwright call fail instead of hanging the test run.

Screenshots and ``report.json`` go to ``outdir`` so a failure can be inspected.
"""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
INSTALL_HINT = "apt-get install -y chromium"

# Debian's Chromium, headless, in a container without display or GPU.  WebGL runs on
# SwiftShader (shipped in Debian's package); --enable-unsafe-swiftshader keeps that
# working on Chromium >= 137, which dropped the automatic fallback.  The rest keeps the
# browser off the network (each attempt may cost a DNS timeout here).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Private JupyterLab user settings.
LAB_SETTINGS = {
    # JupyterLab 4 virtualises long notebooks: off-screen cells are not painted.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"windowingMode": "none", "scrollPastEnd": False},
    # No news / update checks (no internet, no toast over the notebook).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    # Never write the executed notebook back.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

# Browser-console errors of the widget manager: a widget whose JS model/view cannot be
# loaded (missing module, JS/Python version mismatch such as nglview 4.0.1's).
WIDGET_CONSOLE_ERROR = re.compile(
    r"is not registered|No version of module \S+ is registered|Failed to load (model|view) class"
    r"|Could not create (a )?(model|view)|Class \S+ not found in module")
WEBGL_CONSOLE_ERROR = re.compile(
    r"WebGL context could not be created|Error creating WebGL context|WebGL is not supported"
    r"|Your browser does not support WebGL", re.I)


class HarnessError(RuntimeError):
    """The environment is broken (no Chromium, server did not start, time budget spent)."""


def find_chromium() -> str | None:
    """Debian's Chromium binary (the real one first: /usr/bin/chromium is a wrapper)."""
    for cand in (os.environ.get("MLPEC_CHROMIUM"), *CHROMIUM_CANDIDATES):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rgb(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def ink_fraction(png: bytes, tol: int = 24) -> float:
    """Fraction of pixels differing (max channel diff > tol) from the dominant colour."""
    flat = _rgb(png).reshape(-1, 3)
    keys = (flat[:, 0] >> 4) << 8 | (flat[:, 1] >> 4) << 4 | (flat[:, 2] >> 4)
    bg = flat[keys == np.bincount(keys).argmax()].mean(axis=0)
    return float((np.abs(flat - bg).max(axis=1) > tol).mean())


def changed_pixels(png_a: bytes, png_b: bytes, tol: int = 16) -> int:
    """Pixels that differ between two screenshots of one region (a resize counts all)."""
    a, b = _rgb(png_a), _rgb(png_b)
    if a.shape != b.shape:
        return max(a.shape[0] * a.shape[1], b.shape[0] * b.shape[1])
    return int((np.abs(a - b).max(axis=2) > tol).sum())


def prepare_root(notebook: Path, root: Path, links: dict[str, Path] | None = None) -> str:
    """Put a notebook into a private server root: ``<root>/<nbdir>/<nb>`` is a copy (the
    original is never written), its siblings are symlinked next to it, and ``links``
    (name -> path) are symlinked at the root (e.g. ``{"data": repo / "data"}``, so that
    ``../data/...`` from the notebook resolves).  Returns the notebook's path relative
    to root (what LabSession.open_notebook takes)."""
    notebook = Path(notebook).resolve()
    root = Path(root)
    nbdir = root / notebook.parent.name
    nbdir.mkdir(parents=True)
    shutil.copy2(notebook, nbdir / notebook.name)
    for sib in notebook.parent.iterdir():
        if sib.name != notebook.name and not sib.name.startswith(".ipynb_checkpoints"):
            (nbdir / sib.name).symlink_to(sib.resolve())
    for name, target in (links or {}).items():
        if Path(target).exists() and not (root / name).exists():
            (root / name).symlink_to(Path(target).resolve())
    return f"{nbdir.name}/{notebook.name}"


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _cmdline_has(proc, text: str) -> bool:
    try:
        return any(text in a for a in proc.cmdline())
    except Exception:
        return False


def _stop_pids(procs, timeout: float = 5.0) -> list[str]:
    """Terminate (then kill) the given psutil.Process objects that are still running;
    returns 'pid (name)' for each one that was."""
    import psutil

    alive, names = [], []
    for p in {p.pid: p for p in procs}.values():
        try:
            if p.is_running():  # psutil checks the creation time: no PID-reuse accidents
                names.append(f"{p.pid} ({p.name()})")
                p.terminate()
                alive.append(p)
        except psutil.Error:
            pass
    _, still = psutil.wait_procs(alive, timeout=timeout)
    for p in still:
        try:
            p.kill()
        except psutil.Error:
            pass
    return names


# ---------------------------------------------------------------------------
# JavaScript run in the page
# ---------------------------------------------------------------------------

# Remembers when any output area last changed ("DOM quiet" = widgets done rendering).
JS_INIT = r"""
(() => {
  const st = window.__bt = {lastMutation: 0};
  new MutationObserver((muts) => {
    for (const m of muts) {
      const t = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (t && t.closest && t.closest('.jp-OutputArea')) { st.lastMutation = performance.now(); return; }
    }
  }).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""

JS_KERNEL_STATUS = r"""
() => { const a = window.jupyterapp; const w = a && a.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return k ? k.status : (w ? 'no-kernel' : 'no-widget'); }
"""

# Every iopub 'error' of the kernel, for the whole session: exceptions raised in widget
# callbacks never reach a cell in JupyterLab (they go to the log console).
JS_LISTEN_ERRORS = r"""
() => { window.__bt_errors = [];
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  k.iopubMessage.connect((_, msg) => {
    if (msg.header.msg_type === 'error')
      window.__bt_errors.push(msg.content.ename + ': ' + msg.content.evalue);
  });
  return true; }
"""

# Run > Run All Cells, without waiting: the result lands in window.__bt_run ('true' when
# every cell ran, 'false' when one raised and the rest were skipped).
JS_START_RUN_ALL = r"""
() => { window.__bt_run = undefined;
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
      (r) => { window.__bt_run = String(r); }, (e) => { window.__bt_run = 'rejected: ' + e; });
  return true; }
"""

JS_RUN_THROUGH = r"""
(index) => { window.__bt_run = undefined;
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index + 1;
  window.jupyterapp.commands.execute('notebook:run-all-above').then(
      (r) => { window.__bt_run = String(r); }, (e) => { window.__bt_run = 'rejected: ' + e; });
  return true; }
"""

JS_CELLS = r"""
() => { const nb = window.jupyterapp.shell.currentWidget.content; const out = [];
  nb.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const outs = cell.model.outputs.toJSON();
    cell.node.setAttribute('data-bt-cell', String(i));
    out.push({index: i, execution_count: cell.model.executionCount,
      empty: cell.model.sharedModel.getSource().trim() === '',
      errors: outs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      n_outputs: outs.length,
      widget_views: outs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length});
  });
  return out; }
"""

# Widget render status: red error boxes (ipywidgets 8: class jupyter-widgets-error-widget,
# "Click to show javascript error."), "Error displaying widget", and outputs still empty or
# "Loading widget..." (pending); plus whether the outputs have been quiet for quietMs.
JS_RENDER_STATUS = r"""
([root, quietMs]) => {
  const probs = [];
  document.querySelectorAll(root + ' .jupyter-widgets-error-widget').forEach((e) => {
    const cell = e.closest('[data-bt-cell]');
    probs.push('widget error box (' + (e.textContent || '').trim().slice(0, 200) + ')' +
               (cell ? ' in cell ' + cell.getAttribute('data-bt-cell') : ''));
  });
  let pending = 0;
  document.querySelectorAll(root + ' .jp-OutputArea-output').forEach((e) => {
    const t = (e.innerText || '');
    if (t.includes('Error displaying widget')) probs.push(t.trim().slice(0, 300));
    if ((e.childElementCount === 0 && t.trim() === '') || t.trim() === 'Loading widget...') pending += 1;
  });
  const st = window.__bt || {lastMutation: 0};
  return {probs, pending, quiet: performance.now() - st.lastMutation > quietMs};
}
"""

# Tag visible canvases (one per box: ipympl stacks two) and return their descriptions.
JS_TAG_CANVASES = r"""
(root) => {
  const vis = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
     return r.width >= 20 && r.height >= 10 && s.visibility !== 'hidden' && s.display !== 'none'
            && el.offsetParent !== null; };
  const out = [], seen = new Set();
  document.querySelectorAll(root + ' canvas').forEach((c) => {
    if (!vis(c)) return;
    const r = c.getBoundingClientRect();
    const key = [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)].join(':');
    if (seen.has(key)) return; seen.add(key);
    const id = 'c' + out.length; c.setAttribute('data-bt-canvas', id);
    let type = 'canvas';
    if ((c.getAttribute('data-engine') || '').startsWith('three.js')) type = 'nglview-webgl';
    else if (c.closest('.jupyter-matplotlib')) type = 'ipympl';
    const cell = c.closest('[data-bt-cell]');
    out.push({id, type, width: Math.round(r.width), height: Math.round(r.height),
              cell: cell ? Number(cell.getAttribute('data-bt-cell')) : null});
  });
  return out;
}
"""

# Visible ipywidgets sliders with their description labels (tagged for locators).
JS_TAG_SLIDERS = r"""
(root) => { const out = [];
  document.querySelectorAll(root + ' .widget-hslider, ' + root + ' .widget-vslider').forEach((s) => {
    if (!s.querySelector('.noUi-handle') || s.offsetParent === null) return;
    const id = 's' + out.length; s.setAttribute('data-bt-slider', id);
    const label = s.querySelector('.widget-label');
    out.push({id, label: label ? label.textContent.trim() : '',
              value: s.querySelector('.noUi-handle').getAttribute('aria-valuenow')});
  });
  return out; }
"""


# ---------------------------------------------------------------------------
# The session: server + browser
# ---------------------------------------------------------------------------

def lab_options(token: str, settings: Path, workspaces: Path) -> list[str]:
    """The JupyterLab options a browser session needs on top of a plain ``jupyter lab``:
    a known token, ``window.jupyterapp`` for the page scripts, private settings and
    workspaces, no extension manager or update checks."""
    return [f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.extension_manager=readonly",
            # no update check from the server either (news: fetchNews=false in LAB_SETTINGS)
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            f"--LabApp.workspaces_dir={workspaces}", f"--LabApp.user_settings_dir={settings}"]


def jupyterlab_argv(port: int, token: str, root: Path, options: list[str]) -> list[str]:
    """The default server: this Python's JupyterLab on 127.0.0.1:port serving ``root``."""
    return [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}", *options]


class LabSession:
    """JupyterLab + Chromium for the duration of a ``with`` block.

    root     server root (see prepare_root); outdir: screenshots + report.json;
    env      extra environment for the server and its kernels (e.g. MLPEC_QUICK=1);
    timeout  overall budget (s): past it a watchdog stops server and browser by PID;
    server_argv  (port, token, root, options) -> the server's command line (default
             ``jupyterlab_argv``; ``benchmarks/time_to_live_md.py`` runs ``make lab``).
    """

    def __init__(self, root: Path, outdir: Path, env: dict | None = None, timeout: float = 240,
                 viewport=(1280, 1000), chromium_flags=(), server_argv=None):
        self.root, self.outdir = Path(root), Path(outdir)
        self.server_argv = server_argv or jupyterlab_argv
        self.env_extra = dict(env or {})
        self.timeout, self.viewport = timeout, viewport
        self.extra_flags = list(chromium_flags)
        self.report: dict = {"root": str(root), "chromium_flags": CHROMIUM_FLAGS + self.extra_flags,
                             "notebooks": []}
        self.t0 = time.monotonic()
        self._server: subprocess.Popen | None = None
        self._server_log = None
        self._pw = self._ctx = None
        self._browser_procs: list = []
        self._watchdog: threading.Timer | None = None
        self._front_page = None
        self._old_sigterm = None
        self.prefetched: dict = {}  # notebooks opened (and started) ahead of their tests
        self.timed_out = False
        self._kill_lock = threading.Lock()
        self.log_lines: list[str] = []

    # -- logging -----------------------------------------------------------------
    def log(self, msg: str):
        line = f"[{time.monotonic() - self.t0:6.1f}s] {msg}"
        self.log_lines.append(line)
        print(line, flush=True)

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self.t0)

    # -- lifecycle -----------------------------------------------------------------
    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        if exc_type is not None and self.timed_out and not isinstance(exc, HarnessError):
            raise HarnessError(f"browser session over its {self.timeout:.0f} s budget (server "
                               f"and browser were stopped); see {self.outdir}") from exc
        return False

    def _start(self):
        exe = find_chromium()
        if exe is None:
            raise HarnessError(f"Debian's Chromium is not installed: {INSTALL_HINT}")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as e:
            raise HarnessError("playwright is not installed: pip install -e '.[test]'") from e
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="mlpec-browser-"))
        self.report["chromium"] = exe
        if threading.current_thread() is threading.main_thread():
            # CI cancellation / `timeout` send SIGTERM: unwind (fixtures, close()) instead
            # of dying and leaving the server -- in its own session -- and kernels behind
            self._old_sigterm = signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
        self._watchdog = threading.Timer(self.timeout, self._on_timeout)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._start_server()  # returns at once; the browser starts while the server boots
        self._pw = sync_playwright().start()
        profile = self.work / "chrome-profile"
        try:
            self._ctx = self._pw.chromium.launch_persistent_context(
                str(profile), executable_path=exe, headless=True,
                args=CHROMIUM_FLAGS + self.extra_flags,
                viewport={"width": self.viewport[0], "height": self.viewport[1]},
                device_scale_factor=1)
        except Exception as e:
            raise HarnessError(f"cannot start Chromium {exe}: {e}") from e
        # the browser's own processes, by PID: the ones started with our fresh profile
        # (their children -- renderers, GPU process -- are collected again at the end)
        self._browser_procs = [p for p in self._descendants() if _cmdline_has(p, str(profile))]
        self.report["t_browser_ready"] = round(time.monotonic() - self.t0, 2)
        self.log(f"Chromium started ({len(self._browser_procs)} processes)")
        self._wait_server()

    def _descendants(self):
        import psutil

        try:
            return psutil.Process().children(recursive=True)
        except psutil.Error:
            return []

    def _start_server(self):
        port, self.token = free_port(), secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{port}"
        settings = self.work / "lab-settings"
        for rel, content in LAB_SETTINGS.items():
            p = settings / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(content))
        env = dict(os.environ)
        env.update(JUPYTER_CONFIG_DIR=str(self.work / "jupyter-config"),
                   JUPYTER_RUNTIME_DIR=str(self.work / "jupyter-runtime"),
                   IPYTHONDIR=str(self.work / "ipython"), PYTHONUNBUFFERED="1",
                   **self.env_extra)
        argv = self.server_argv(port, self.token, self.root,
                                lab_options(self.token, settings, self.work / "lab-workspaces"))
        self._server_log = open(self.outdir / "lab-server.log", "w")
        self._server = subprocess.Popen(argv, stdout=self._server_log, stderr=subprocess.STDOUT,
                                        env=env, cwd=self.root, start_new_session=True)
        self.log(f"JupyterLab pid {self._server.pid} on {self.base}")

    def _wait_server(self):
        deadline = time.monotonic() + min(60, self.remaining())
        while not _http_ok(f"{self.base}/api/status?token={self.token}"):
            if self._server.poll() is not None:
                raise HarnessError(f"JupyterLab exited with {self._server.returncode}:\n"
                                   f"{self.server_log_tail()}")
            if time.monotonic() > deadline:
                raise HarnessError(f"JupyterLab not ready after 60 s:\n{self.server_log_tail()}")
            time.sleep(0.1)
        self.report["t_server_ready"] = round(time.monotonic() - self.t0, 2)

    def server_log_tail(self, n: int = 3000) -> str:
        try:
            return (self.outdir / "lab-server.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _on_timeout(self):
        # watchdog thread: kill by PID; the main thread's Playwright calls then fail fast
        self.timed_out = True
        self.log(f"TIMEOUT: session over its {self.timeout:.0f} s budget; stopping server and browser")
        self._kill_everything(grace=2.0)

    def _kill_everything(self, grace: float = 5.0):
        with self._kill_lock:  # the watchdog thread and close() may both get here
            self._kill_everything_locked(grace)

    def _kill_everything_locked(self, grace: float):
        import psutil

        # the browser first (unblocks pending Playwright calls), renderers included
        procs = []
        for b in self._browser_procs:
            try:
                procs += b.children(recursive=True)
            except psutil.Error:
                pass
        left = _stop_pids(list(self._browser_procs) + procs, timeout=grace)
        # then the server: SIGTERM makes it shut its kernels down; kernels run in their
        # own sessions, so they are noted (by PID) first and stopped if left behind
        kids = []
        if self._server is not None:
            try:
                kids = psutil.Process(self._server.pid).children(recursive=True)
            except psutil.Error:
                pass
            if self._server.poll() is None:
                self._server.send_signal(signal.SIGTERM)
                try:
                    self._server.wait(grace * 3)
                except subprocess.TimeoutExpired:
                    self._server.kill()
                    self._server.wait(5)
        left += _stop_pids(kids, timeout=grace)
        if left:
            self.log(f"stopped leftover processes {left}")

    def close(self):
        """Stop browser, server and kernels (by PID), write report.json.  Idempotent."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None
        if self._ctx is not None:
            try:
                self._ctx.close()
            except Exception:
                pass
            self._ctx = None
        if self._pw is not None:
            try:
                self._pw.stop()
            except Exception:
                pass
            self._pw = None
        self._kill_everything()
        if self._server_log is not None:
            self._server_log.close()
            self._server_log = None
        self.report["t_total"] = round(time.monotonic() - self.t0, 2)
        self.report["timed_out"] = self.timed_out
        self.report["log"] = self.log_lines
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
            (self.outdir / "report.json").write_text(json.dumps(self.report, indent=2, default=str))
        except OSError:
            pass
        if getattr(self, "work", None) is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    # -- notebooks -------------------------------------------------------------------
    def open_notebook(self, rel: str, kernel_timeout: float = 60) -> "NotebookPage":
        """Open ``rel`` (relative to root) in a new tab; wait until its kernel is idle."""
        if self._ctx is None:
            raise HarnessError("session is not running")
        page = self._ctx.new_page()
        self._front_page = page
        nb = NotebookPage(self, page, rel)
        self.report["notebooks"].append(nb.report)
        nb._open(kernel_timeout)
        return nb


class NotebookPage:
    """One notebook open in JupyterLab.  Every check returns data and records it in
    ``report`` (which goes to report.json); the tests decide what is a failure."""

    ROOT = ".jp-NotebookPanel .jp-Notebook"

    def __init__(self, session: LabSession, page, rel: str):
        self.s, self.page, self.rel = session, page, rel
        self.prefix = re.sub(r"[^A-Za-z0-9]+", "_", Path(rel).stem).strip("_")
        self.report: dict = {"notebook": rel, "console_errors": [], "blocked_requests": []}
        self.cells: list[dict] = []

    # -- helpers -------------------------------------------------------------------
    def _ms(self, seconds: float) -> float:
        """A Playwright timeout (ms), never beyond the session budget."""
        if self.s.timed_out:
            raise HarnessError(f"browser session over its {self.s.timeout:.0f} s budget "
                               f"(server and browser were stopped); see {self.s.outdir}")
        return max(1000.0, min(seconds, self.s.remaining()) * 1000)

    def shot_path(self, name: str) -> Path:
        return self.s.outdir / f"{self.prefix}-{name}.png"

    def screenshot(self, name: str) -> Path:
        """Screenshot of the viewport (best effort) to ``<outdir>/<nb>-<name>.png``."""
        p = self.shot_path(name)
        try:
            self.page.screenshot(path=str(p))
        except Exception:
            pass
        return p

    def _front(self):
        """Make this tab the visible one (a hidden tab gets no animation frames, and
        NGL and the widget views draw in those)."""
        if self.s._front_page is not self.page:
            self.page.bring_to_front()
            self.s._front_page = self.page
        self.report["visibility"] = self.page.evaluate("() => document.visibilityState")

    def _wait_idle(self, timeout: float) -> bool:
        try:
            self.page.wait_for_function(f"({JS_KERNEL_STATUS})() === 'idle'",
                                        timeout=self._ms(timeout), polling=200)
            return True
        except Exception:
            return False

    def _open(self, kernel_timeout: float):
        page, s, rep = self.page, self.s, self.report
        base = s.base

        def route(r):
            url = r.request.url
            if url.startswith(base + "/") or url == base or url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                rep["blocked_requests"].append(url)
                r.abort()

        page.on("console", lambda m: m.type == "error" and rep["console_errors"].append(m.text[:500]))
        page.on("pageerror", lambda e: rep["console_errors"].append(f"pageerror: {e}"[:500]))
        page.route("**/*", route)
        page.add_init_script(JS_INIT)
        url = f"{base}/lab/tree/{urllib.parse.quote(self.rel)}?reset&token={s.token}"
        page.goto(url, wait_until="domcontentloaded", timeout=self._ms(60))
        if not self._wait_idle(kernel_timeout):
            st = page.evaluate(JS_KERNEL_STATUS)
            self.screenshot("kernel-not-idle")
            raise HarnessError(f"{self.rel}: kernel not idle after {kernel_timeout} s (status {st}; "
                               "'no-kernel' usually means the kernelspec is not installed)")
        rep["t_kernel_idle"] = round(time.monotonic() - s.t0, 2)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        page.evaluate(JS_LISTEN_ERRORS)
        s.log(f"{self.rel}: open, kernel idle")

    # -- running -------------------------------------------------------------------
    def start_run_all(self) -> "NotebookPage":
        """Start Run > Run All Cells and return at once (run_all() then waits for it), so
        that one notebook can compute while the tests work on another."""
        self.page.evaluate(JS_START_RUN_ALL)
        self._started = True
        return self

    def run_through(self, index: int, timeout: float = 180) -> list[dict]:
        """Run the cells 0..index (as Run > Run All Above on the next cell) and wait until the
        kernel is idle; returns the cells as run_all does."""
        self._front()
        self.page.evaluate(JS_RUN_THROUGH, index)
        self.page.wait_for_function("() => window.__bt_run !== undefined",
                                    timeout=self._ms(timeout), polling=250)
        self._wait_idle(timeout)
        self.cells = self.page.evaluate(JS_CELLS)
        self.s.log(f"{self.rel}: ran cells 0..{index}")
        return self.cells

    def click_button(self, label: str, timeout: float = 10) -> None:
        """Click the (first visible) widget button whose text is ``label``."""
        self._front()
        button = self.page.locator(f"{self.ROOT} button.jupyter-button", has_text=label).first
        button.scroll_into_view_if_needed(timeout=self._ms(timeout))
        button.click(timeout=self._ms(timeout))

    def run_all(self, timeout: float = 180) -> list[dict]:
        """Run > Run All Cells (unless start_run_all() did); wait until it has finished and
        the kernel is idle.  Returns one dict per code cell: index, execution_count (None:
        not run), empty, errors ['Ename: value'], n_outputs, widget_views."""
        self._front()
        if not getattr(self, "_started", False):
            self.start_run_all()
        self._started = False
        try:
            self.page.wait_for_function("() => window.__bt_run !== undefined",
                                        timeout=self._ms(timeout), polling=250)
            r = self.page.evaluate("() => window.__bt_run")
        except Exception:
            r = "timeout"
        self.report["run_all"] = r
        self._wait_idle(timeout)
        self.cells = self.page.evaluate(JS_CELLS)
        self.report["cells"] = self.cells
        self.report["t_executed"] = round(time.monotonic() - self.s.t0, 2)
        self.s.log(f"{self.rel}: run-all -> {r}; {len(self.cells)} code cells")
        return self.cells

    def cell_errors(self) -> list[str]:
        """'cell i raised E: v' for error outputs, 'cell i was not executed' for skipped."""
        out = [] if self.report.get("run_all") != "timeout" else ["run-all did not finish"]
        for c in self.cells:
            out += [f"cell {c['index']} raised {e}" for e in c["errors"]]
            if c["execution_count"] is None and not c["empty"]:
                out.append(f"cell {c['index']} was not executed")
        return out

    def kernel_errors(self) -> list[str]:
        """Every iopub 'error' since the notebook opened ('Ename: value'), cell errors and
        exceptions in widget callbacks alike."""
        errs = self.page.evaluate("() => window.__bt_errors || []")
        self.report["kernel_errors"] = errs
        return errs

    # -- widgets ---------------------------------------------------------------------
    def wait_for_widgets(self, timeout: float = 30, quiet_ms: int = 750) -> list[str]:
        """Wait until no output is pending and the outputs have been quiet for quiet_ms;
        return the widget problems (error boxes, 'Error displaying widget', widget-manager
        console errors, outputs never rendered).  [] means every widget rendered."""
        self._front()
        deadline = time.monotonic() + min(timeout, self.s.remaining())
        self.page.evaluate("() => { if (window.__bt) window.__bt.lastMutation = performance.now(); }")
        while True:
            st = self.page.evaluate(JS_RENDER_STATUS, [self.ROOT, quiet_ms])
            js = [e for e in self.report["console_errors"] if WIDGET_CONSOLE_ERROR.search(e)]
            if st["pending"] == 0 and st["quiet"]:
                break
            if st["probs"] or js:  # certain failure: a few more seconds, not the full wait
                deadline = min(deadline, time.monotonic() + 3)
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        probs = [f"widget failed to render: {p}" + (f" (x{n})" if n > 1 else "")
                 for p, n in Counter(st["probs"]).items()]
        probs += [f"widget JS error in browser console: {e.splitlines()[0][:300]}"
                  for e in dict.fromkeys(js)]
        if st["pending"]:
            probs.append(f"{st['pending']} output(s) never rendered (empty or 'Loading widget...')")
        self.report["widget_problems"] = probs
        self.report["t_rendered"] = round(time.monotonic() - self.s.t0, 2)
        return probs

    def webgl_errors(self) -> list[str]:
        return [e for e in self.report["console_errors"] if WEBGL_CONSOLE_ERROR.search(e)]

    # -- canvases --------------------------------------------------------------------
    def check_canvases(self, min_ink: float = 0.01, timeout: float = 30) -> list[dict]:
        """Screenshot every visible canvas, polling (NGL draws asynchronously) until its
        ink reaches min_ink or the shared timeout expires.  Returns [{id, type
        ('nglview-webgl' | 'ipympl' | 'canvas'), width, height, cell, ink, screenshot}]."""
        self._front()
        canvases = self.page.evaluate(JS_TAG_CANVASES, self.ROOT)
        deadline = time.monotonic() + min(timeout, self.s.remaining())
        for c in canvases:
            loc = self.page.locator(f'[data-bt-canvas="{c["id"]}"]')
            loc.scroll_into_view_if_needed(timeout=self._ms(10))
            while True:
                png = loc.screenshot(animations="disabled", timeout=self._ms(10))
                c["ink"] = round(ink_fraction(png), 4)
                if c["ink"] >= min_ink or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            path = self.shot_path(f"canvas-{c['id']}-{c['type']}")
            path.write_bytes(png)
            c["screenshot"] = path.name
            self.s.log(f"{self.rel}: canvas {c['id']} {c['type']} {c['width']}x{c['height']} "
                       f"ink {c['ink']:.3f}")
        self.report["canvases"] = canvases
        return canvases

    # -- sliders ---------------------------------------------------------------------
    def sliders(self) -> list[dict]:
        """Visible ipywidgets sliders: [{id, label, value}]."""
        return self.page.evaluate(JS_TAG_SLIDERS, self.ROOT)

    def move_slider(self, label: str, region: str | None = None, min_changed: int = 100,
                    timeout: float = 15) -> dict:
        """Drag the slider whose description is ``label`` (mouse; arrow keys as a fallback)
        and measure how many pixels of ``region`` changed, sliders and prompts masked.

        region: a CSS selector (first match in the notebook), by default the output area of
        the cell that holds the slider.  Polls until min_changed pixels changed or timeout.
        Returns {label, value_before, value_after, method, changed_pixels, kernel_errors,
        screenshot_before, screenshot_after}; raises LookupError when there is no such
        slider.
        """
        page = self.page
        self._front()
        found = [s for s in self.sliders() if s["label"] == label]
        if not found:
            raise LookupError(f"no slider labelled {label!r}; sliders: "
                              f"{[s['label'] for s in self.sliders()]}")
        slider = page.locator(f'[data-bt-slider="{found[0]["id"]}"]')
        slider.scroll_into_view_if_needed(timeout=self._ms(10))
        handle = slider.locator(".noUi-handle").first
        if region is None:
            area = slider.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), "
                                  "' '), ' jp-Cell-outputArea ')][1]")
        else:
            area = page.locator(f"{self.ROOT} {region}").first
        masks = [page.locator(f"{self.ROOT} .widget-hslider, {self.ROOT} .widget-vslider, "
                              f"{self.ROOT} .jp-OutputPrompt, {self.ROOT} .jp-InputPrompt")]
        n_err0 = len(self.kernel_errors())
        before_plain = area.screenshot(timeout=self._ms(10))
        before = area.screenshot(mask=masks, timeout=self._ms(10))
        v0 = handle.get_attribute("aria-valuenow")

        hb, tb = handle.bounding_box(), slider.locator(".noUi-base").bounding_box()
        x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        frac = (x0 - tb["x"]) / max(tb["width"], 1)
        x1 = tb["x"] + tb["width"] * (0.8 if frac < 0.5 else 0.2)
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x1, y0, steps=10)
        page.mouse.up()
        method = "drag"
        if not self._attr_changed(handle, v0, 3.0):
            handle.focus()
            for _ in range(5):
                page.keyboard.press("ArrowRight" if frac < 0.5 else "ArrowLeft")
            method = "keyboard"
            self._attr_changed(handle, v0, 3.0)
        v1 = handle.get_attribute("aria-valuenow")
        d = 0
        if v1 != v0:
            self._wait_idle(timeout)
            deadline = time.monotonic() + min(timeout, self.s.remaining())
            while True:
                after = area.screenshot(mask=masks, timeout=self._ms(10))
                d = changed_pixels(before, after)
                if d >= min_changed or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            time.sleep(0.3)  # let an in-flight redraw finish for the evidence picture
        self._wait_idle(5)
        tag = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_") or found[0]["id"]
        res = {"label": label, "value_before": v0, "value_after": v1, "method": method,
               "changed_pixels": d, "kernel_errors": self.kernel_errors()[n_err0:]}
        for name, png in (("before", before_plain), ("after", area.screenshot(timeout=self._ms(10)))):
            p = self.shot_path(f"slider-{tag}-{name}")
            p.write_bytes(png)
            res[f"screenshot_{name}"] = p.name
        self.report.setdefault("sliders", []).append(res)
        self.s.log(f"{self.rel}: slider {label!r} {v0} -> {v1} ({method}): {d} pixels changed")
        return res

    @staticmethod
    def _attr_changed(handle, old, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if handle.get_attribute("aria-valuenow") != old:
                return True
            time.sleep(0.1)
        return False

    def screenshot_outputs(self):
        """Evidence: the viewport, and each code cell's output area."""
        self.screenshot("page")
        for c in self.cells:
            if not c["n_outputs"]:
                continue
            loc = self.page.locator(f'[data-bt-cell="{c["index"]}"] .jp-Cell-outputArea')
            try:
                if loc.count():
                    loc.first.scroll_into_view_if_needed(timeout=self._ms(5))
                    loc.first.screenshot(path=str(self.shot_path(f"cell{c['index']:02d}-output")),
                                         timeout=self._ms(5))
            except Exception:
                pass

    def close(self):
        """Shut the notebook's kernel down and close the tab (no beforeunload prompt)."""
        try:
            self.page.evaluate("async () => { const w = window.jupyterapp.shell.currentWidget;"
                               " if (w && w.sessionContext) await w.sessionContext.shutdown(); }")
        except Exception:
            pass
        try:
            self.page.close()
        except Exception:
            pass


def artifacts_dir(default: Path, name: str = "") -> Path:
    """Where screenshots/report.json go: ``artifacts/browser[/<name>]`` at the repo root
    when MLPEC_ARTIFACTS is set (kept for CI upload; emptied first), else ``default``."""
    if os.environ.get("MLPEC_ARTIFACTS"):
        d = Path(__file__).resolve().parents[2] / "artifacts" / "browser" / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return d
    return Path(default)


def require_browser():
    """For tests: pytest.skip when MLPEC_SKIP_BROWSER=1, pytest.fail (not skip) when
    Chromium or Playwright is missing -- a browser test that silently skips proves nothing."""
    import pytest

    if os.environ.get("MLPEC_SKIP_BROWSER") == "1":
        pytest.skip("MLPEC_SKIP_BROWSER=1: browser tests disabled")
    if find_chromium() is None:
        pytest.fail(f"Debian's Chromium is not installed ({' or '.join(CHROMIUM_CANDIDATES)} "
                    f"missing): run `{INSTALL_HINT}` (or set MLPEC_SKIP_BROWSER=1 to skip)",
                    pytrace=False)
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]' "
                    "(never `playwright install`; the test uses Debian's Chromium)", pytrace=False)
