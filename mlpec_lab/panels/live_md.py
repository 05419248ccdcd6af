"""Live double layer: ML-driven MD with a 3D view, a field slider and running traces.

The MD runs in a background thread (``start``/``stop``), so the notebook stays
responsive; the field slider changes the running simulation. Every control has a
method (``set_field``, ``step``, ``start``, ``stop``, ``set_colour``) so tests drive
the panel without a browser.
"""
from __future__ import annotations

import io
import threading
import time

import ipywidgets as widgets
import numpy as np

from mlpec_lab.panels.view3d import field_arrow, import_nglview, interface_view
from mlpec_lab.sampling.md import MDStopped
from mlpec_lab.sampling.session import MDSession

COLOUR_MODES = ("element", "charge", "uncertainty")
PALETTE = ("#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#d7191c")  # low → high


def _colour_scheme(values, lo, hi):
    """nglview selection scheme: atoms binned into PALETTE between lo and hi."""
    bins = np.clip(((np.asarray(values) - lo) / max(hi - lo, 1e-12) * len(PALETTE)).astype(int),
                   0, len(PALETTE) - 1)
    return [[PALETTE[b], "@" + ",".join(map(str, np.flatnonzero(bins == b)))]
            for b in range(len(PALETTE)) if np.any(bins == b)]


class LiveMDPanel:
    """MD of ``atoms`` with ``calculator`` (the ML potential), shown live.

    stride: MD steps between view updates; field range from the calculator's trained
    range when it has one, else ±0.5 V/Å.
    """

    def __init__(self, atoms, calculator, temperature=330.0, timestep=0.5, stride=5, seed=0,
                 max_frames_per_second=10.0):
        if hasattr(calculator, "last_warning"):
            calculator.parameters["on_uncertainty"] = "quiet"  # shown in the status line
        atoms.calc = calculator
        self.session = MDSession(atoms, temperature=temperature, timestep=timestep, seed=seed)
        self.stride = stride
        self.min_interval = 1.0 / max_frames_per_second
        self._thread = None
        self._running = threading.Event()
        self.listeners = []  # callables run after each redraw, e.g. a structure panel's update
        lo, hi = getattr(calculator, "field_range", (-0.5, 0.5))
        self.view = interface_view(atoms)
        self.view.layout = widgets.Layout(width="480px", height="420px")
        self._arrow_id = self.view._ngl_component_ids[-1] if abs(self.session.field) > 1e-12 else None
        self.field_slider = widgets.FloatSlider(
            value=self.session.field, min=lo, max=hi, step=0.05, description="Fz (V/Å)",
            continuous_update=False, readout_format="+.2f")
        self.run_button = widgets.ToggleButton(description="Run", icon="play", value=False)
        self.step_button = widgets.Button(description=f"Step ×{stride}", icon="step-forward")
        self.colour = widgets.Dropdown(options=COLOUR_MODES, value="element", description="Colour")
        self.status = widgets.HTML()
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="460px"))
        self.field_slider.observe(lambda c: self.set_field(c["new"]), names="value")
        self.run_button.observe(lambda c: self.start() if c["new"] else self.stop(), names="value")
        self.step_button.on_click(lambda _: self.step())
        self.colour.observe(lambda c: self.set_colour(c["new"]), names="value")
        controls = widgets.HBox([self.run_button, self.step_button, self.field_slider, self.colour])
        self.widget = widgets.VBox([controls, widgets.HBox([self.view, self.plot]), self.status])
        self._refresh()

    # --- controls -------------------------------------------------------------------
    def set_field(self, fz: float) -> None:
        """Set Fz (V/Å) of the running simulation; the arrow and the traces follow."""
        if abs(self.field_slider.value - fz) > 1e-12:
            self.field_slider.value = fz  # comes back here through the observer
            return
        self.session.set_field(fz)
        if self._arrow_id is not None:
            self.view.remove_component(self._arrow_id)
            self._arrow_id = None
        if abs(fz) > 1e-12:
            start, end, colour = field_arrow(self.session.atoms, fz)
            self.view.shape.add_arrow(start.tolist(), end.tolist(), colour, 0.5, f"Fz = {fz:+.2f} V/Å")
            self._arrow_id = self.view._ngl_component_ids[-1]
        with self.session.lock:
            self.session._record()  # a record at the new field, same step
        self._refresh()

    def step(self, n: int | None = None) -> dict:
        """Advance ``n`` (default ``stride``) steps and update the view."""
        try:
            record = self.session.step(n or self.stride)
        except MDStopped as stop:
            self.stop()
            self.status.value = f"<b style='color:#b00'>MD stopped: {stop}</b>"
            raise
        self._refresh()
        return record

    def set_colour(self, mode: str) -> None:
        if mode not in COLOUR_MODES:
            raise ValueError(f"colour mode must be one of {COLOUR_MODES}, got {mode!r}")
        if self.colour.value != mode:
            self.colour.value = mode
            return
        self._apply_colour()

    def start(self) -> None:
        """Run MD in a background thread until ``stop``."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._running.set()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if self.run_button.value:
            self.run_button.value = False

    def _loop(self):
        while self._running.is_set():
            t0 = time.perf_counter()
            try:
                self.step()
            except MDStopped:
                break
            time.sleep(max(0.0, self.min_interval - (time.perf_counter() - t0)))

    # --- drawing ----------------------------------------------------------------------
    def _apply_colour(self):
        frame = self.session.frames[-1]
        mode = self.colour.value
        self.view.clear_representations(component=0)
        if mode == "element":
            self.view.add_ball_and_stick(component=0)
            return
        nglview = import_nglview()
        values = frame.arrays["charges_model" if mode == "charge" else "force_deviation"]
        lo, hi = (-1.0, 1.0) if mode == "charge" else (0.0, max(0.3, float(values.max())))
        name = f"mlpec_{mode}_{self.session.step_count}"
        nglview.color.ColormakerRegistry.add_selection_scheme(name, _colour_scheme(values, lo, hi))
        self.view.add_ball_and_stick(color=name, component=0)

    def _refresh(self):
        frame = self.session.frames[-1]
        self.view.set_coordinates({0: frame.positions})
        if self.colour.value != "element":
            self._apply_colour()
        rec = self.session.history[-1]
        self.status.value = (
            f"step {rec['step']} · t = {rec['time']:.1f} fs · T = {rec['temperature']:.0f} K · "
            f"E = {rec['energy']:.3f} eV · Fz = {rec['field']:+.2f} V/Å · "
            f"max force deviation = {rec['max_force_deviation']:.3f} eV/Å")
        warning = getattr(self.session.atoms.calc, "last_warning", None)
        if warning:
            self.status.value += f"<br><span style='color:#b35900'>⚠ {warning}</span>"
        self.plot.value = self._traces_png()
        for listener in self.listeners:
            listener()

    def _traces_png(self) -> bytes:
        from mlpec_lab.figures import md_traces

        buf = io.BytesIO()
        md_traces(self.session.history).savefig(buf, format="png", dpi=80)
        return buf.getvalue()
