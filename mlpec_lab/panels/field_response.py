"""Field response (Stark effect): E(F) and μz(F) of a structure, fitted μ and α ± stderr.

A field-range slider, a number of points, an "oracle too" switch and a Compute button;
``compute()`` calls :func:`mlpec_lab.analysis.stark_response` and draws
:func:`mlpec_lab.figures.stark_response_plot`. No science here.
"""
from __future__ import annotations

import html
import io

import ipywidgets as widgets
import numpy as np

from mlpec_lab.analysis import stark_response
from mlpec_lab.figures import stark_response_plot


def _committee_factory(calc):
    """field → a fresh MLPotential sharing ``calc``'s committee (quiet about uncertainty)."""
    from mlpec_lab.potential.calculator import MLPotential

    members_payload = (calc.members, calc.payload)
    return lambda fz: MLPotential(members_payload, field=float(fz), on_uncertainty="quiet")


class FieldResponsePanel:
    """Stark curve of ``atoms`` with ``model``: a model file path, an
    :class:`~mlpec_lab.potential.calculator.MLPotential`, "oracle", or a callable
    field → Calculator. field_range: (lo, hi) V/Å; n_fields: points in the scan (≥ 3);
    reference: compare with the oracle (GFN1-xTB) from the start.
    """

    def __init__(self, atoms, model, field_range=(-0.3, 0.3), n_fields=5, reference=False,
                 compute=True):
        if hasattr(model, "members") and hasattr(model, "payload"):
            self.model = _committee_factory(model)
            lo_max, hi_max = model.field_range
        else:
            self.model = model
            lo_max, hi_max = -0.5, 0.5
        self.atoms = atoms.copy()
        self.atoms.calc = None
        self.result = None
        self.range_slider = widgets.FloatRangeSlider(
            value=tuple(field_range), min=min(lo_max, field_range[0]), max=max(hi_max, field_range[1]),
            step=0.05, description="Fz (V/Å)", readout_format="+.2f", continuous_update=False)
        self.points = widgets.BoundedIntText(value=int(n_fields), min=3, max=21,
                                             description="points")
        self.reference = widgets.Checkbox(value=bool(reference), description="oracle too (GFN1-xTB)")
        self.compute_button = widgets.Button(description="Compute", icon="play")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="820px"))
        self.compute_button.on_click(lambda _: self._on_click())
        for control in (self.range_slider, self.points):  # say what the next scan will be
            control.observe(lambda _: self._announce(), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.range_slider, self.points, self.reference, self.compute_button]),
            self.image, self.status])
        if compute:
            self.compute()

    def _announce(self):
        lo, hi = self.range_slider.value
        self.status.value = (f"next scan: {int(self.points.value)} fields from {lo:+.2f} to "
                             f"{hi:+.2f} V/Å; press Compute")

    def fields(self) -> np.ndarray:
        """The Fz values (V/Å) of the next scan."""
        lo, hi = self.range_slider.value
        return np.linspace(lo, hi, int(self.points.value))

    def set_range(self, lo: float, hi: float) -> None:
        if not hi > lo:
            raise ValueError(f"the field range needs hi > lo, got ({lo}, {hi}) V/Å")
        self.range_slider.value = (lo, hi)

    def compute(self):
        """Scan, fit, draw; returns the :func:`stark_response` Dataset."""
        fields = self.fields()
        if len(np.unique(fields)) < 3:
            raise ValueError(f"the field range {self.range_slider.value} V/Å gives fewer than "
                             "3 distinct fields: widen it")
        self.status.value = "computing…"
        result = stark_response(self.atoms, self.model, fields,
                                reference="oracle" if self.reference.value else None)
        self.result = result
        buf = io.BytesIO()
        stark_response_plot(result).savefig(buf, format="png", dpi=80)
        self.image.value = buf.getvalue()
        rows = []
        for source in result.source.values:
            fit = result.sel(source=source, estimate="fit")
            rows.append(f"<b>{source}</b>: μ = {float(fit.dipole):+.4f} ± "
                        f"{float(fit.dipole_stderr):.2g} e·Å, α = {float(fit.polarizability):.4f} ± "
                        f"{float(fit.polarizability_stderr):.2g} e·Å²/V")
        self.status.value = (f"{result.attrs['formula']}, {len(fields)} fields in "
                             f"[{fields[0]:+.2f}, {fields[-1]:+.2f}] V/Å<br>" + "<br>".join(rows))
        return result

    def _on_click(self):
        try:
            self.compute()
        except Exception as err:  # shown to the person at the panel, not lost in a log
            self.status.value = f"<b style='color:#b00'>{html.escape(str(err))}</b>"
