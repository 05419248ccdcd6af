"""Battery hybrid panel: sliders for C-rate, temperature and initial SOC, a protocol
choice; draws SPMe, hybrid (with committee error band) and DFN voltage and the
residuals. All science is in :mod:`mlpec_lab.battery`; this only wires and draws."""
from __future__ import annotations

import json
import warnings

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

from mlpec_lab import battery


class BatteryPanel:
    """``.widget`` to display; ``.set(...)``, ``.run()`` and ``.result`` (the
    ``xarray.Dataset`` from :func:`mlpec_lab.battery.predict`) for scripts and tests."""

    def __init__(self, c_rate=1.0, temperature=298.0, initial_soc=0.9,
                 protocol="drive_cycle", duration_min=30.0, with_dfn=True,
                 allow_extrapolation=False, correction=None):
        self.correction = correction
        self.result = None
        self.error = None
        self.c_rate = W.FloatSlider(value=c_rate, min=0.2, max=3.0, step=0.1,
                                    description="C-rate (1/h)")
        self.temperature = W.FloatSlider(value=temperature, min=258.0, max=328.0, step=1.0,
                                         description="T (K)")
        self.initial_soc = W.FloatSlider(value=initial_soc, min=0.1, max=1.0, step=0.05,
                                         description="initial SOC")
        self.protocol = W.Dropdown(options=list(battery.PROTOCOL_KINDS), value=protocol,
                                   description="protocol")
        self.duration = W.FloatSlider(value=duration_min, min=2.0, max=60.0, step=1.0,
                                      description="length (min)")
        self.with_dfn = W.Checkbox(value=with_dfn, description="run DFN reference (slow)")
        self.allow = W.Checkbox(value=allow_extrapolation, description="allow extrapolation")
        self.button = W.Button(description="Run", button_style="primary")
        self.status = W.HTML()
        self.button.on_click(lambda _: self.run())
        with plt.ioff():
            self.figure, self.axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
        canvas = getattr(self.figure, "canvas", None)
        self.output = W.Output()
        if isinstance(canvas, W.DOMWidget):
            view = canvas
        else:
            view = self.output
        controls = W.VBox([self.protocol, self.c_rate, self.temperature, self.initial_soc,
                           self.duration, W.HBox([self.with_dfn, self.allow]),
                           W.HBox([self.button, self.status])])
        self.widget = W.VBox([controls, view])

    def set(self, **values) -> "BatteryPanel":
        """Set controls by name: c_rate, temperature, initial_soc, protocol,
        duration_min, with_dfn, allow_extrapolation."""
        names = {"c_rate": self.c_rate, "temperature": self.temperature,
                 "initial_soc": self.initial_soc, "protocol": self.protocol,
                 "duration_min": self.duration, "with_dfn": self.with_dfn,
                 "allow_extrapolation": self.allow}
        for key, value in values.items():
            if key not in names:
                raise KeyError(f"unknown control {key!r}: use one of {sorted(names)}")
            names[key].value = value
        return self

    def profile(self) -> battery.Profile:
        cap = battery.nominal_capacity_Ah()
        duration = None if self.protocol.value.startswith("cc_") else 60 * self.duration.value
        return battery.standard_protocol(self.protocol.value, self.c_rate.value, cap,
                                         self.initial_soc.value, duration_s=duration)

    def run(self):
        """Run the library call for the current settings and redraw."""
        self.status.value = "running..."
        self.error = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.result = battery.predict(
                    self.profile(), self.temperature.value, self.initial_soc.value,
                    correction=self.correction, with_dfn=self.with_dfn.value,
                    allow_extrapolation=self.allow.value)
        except battery.OutOfRangeError as err:
            self.error = str(err)
            self.status.value = f"<span style='color:#b00'>{err}</span>"
            return None
        walls = {k[len("wall_time_"):-2]: v for k, v in self.result.attrs.items()
                 if k.startswith("wall_time_")}
        self.status.value = " | ".join(f"{k} {v:.2f} s" for k, v in walls.items())
        for note in json.loads(self.result.attrs.get("warnings", "[]")):
            self.status.value += f"<br><span style='color:#b60'>warning: {note}</span>"
        self.draw()
        return self.result

    def draw(self):
        res = self.result
        ax_v, ax_r = self.axes
        ax_v.clear()
        ax_r.clear()
        t = res["time"].values / 60.0
        hyb, std = res["voltage_hybrid"].values, res["voltage_hybrid_std"].values
        ax_v.plot(t, res["voltage_spme"], label="SPMe", color="C0", lw=1)
        ax_v.fill_between(t, hyb - 2 * std, hyb + 2 * std, color="C1", alpha=0.3, lw=0)
        ax_v.plot(t, hyb, label="hybrid (±2σ committee)", color="C1", lw=1)
        if "voltage_dfn" in res:
            ax_v.plot(t, res["voltage_dfn"], label="DFN", color="k", lw=1, ls="--")
            dfn = res["voltage_dfn"].values
            ax_r.plot(t, 1e3 * (res["voltage_spme"].values - dfn), label="SPMe − DFN", color="C0")
            ax_r.plot(t, 1e3 * (hyb - dfn), label="hybrid − DFN", color="C1")
        ax_r.plot(t, 1e3 * (hyb - res["voltage_spme"].values), label="correction",
                  color="C2", ls=":")
        ax_v.set_ylabel("voltage (V)")
        ax_r.set_ylabel("difference (mV)")
        ax_r.set_xlabel("time (min)")
        ax_v.set_title(f"{res.attrs['protocol']}, {res.attrs['temperature_K']:g} K, "
                       f"SOC₀ {res.attrs['initial_soc']:g}")
        ax_v.legend(loc="best", fontsize=8)
        ax_r.legend(loc="best", fontsize=8)
        self.figure.tight_layout()
        self.figure.canvas.draw_idle()
        if not isinstance(self.figure.canvas, W.DOMWidget):
            self.output.clear_output(wait=True)
            with self.output:
                from IPython.display import display

                display(self.figure)
