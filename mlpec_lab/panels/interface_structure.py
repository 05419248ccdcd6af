"""Double-layer structure: ρ_α(z), water ⟨cos θ⟩(z) and a g(r) pair, per field.

The source is a field-scan Dataset (:func:`mlpec_lab.analysis.field_scan`) or a running
:class:`mlpec_lab.sampling.session.MDSession` (its recent ``frames``, grouped by the
field each was made at). The field selector and the pair selector redraw; ``update()``
re-reads the frames (a running MD session has new ones) and recomputes. Every number
comes from :mod:`mlpec_lab.analysis`; every line from :mod:`mlpec_lab.figures`.
"""
from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import xarray as xr

from mlpec_lab.analysis import (density_profiles, radial_distribution, scan_frames,
                                water_molecules, water_orientation)
from mlpec_lab.figures import interface_structure_figure


def _frame_field(atoms) -> float:
    return float(np.asarray(atoms.info.get("field", [0.0, 0.0, 0.0]), float).reshape(-1)[-1])


class InterfaceStructurePanel:
    """Structure of the double layer for a field scan or a live MD session.

    source: a field-scan Dataset or an object with ``frames`` (list of Atoms, e.g. an
    MDSession); species: elements of the density panel (default all but Pt); pairs: g(r)
    pairs offered, e.g. ["O-O", "Na-O"] (default every pair of non-Pt elements;
    a like pair only for an element with two or more atoms);
    bin_width: Å of the density profiles; orientation_bin: Å of the orientation profile;
    r_max: Å of g(r).
    """

    def __init__(self, source, species=None, pairs=None, bin_width=0.2, orientation_bin=0.5,
                 r_max=6.0):
        if isinstance(source, xr.Dataset):
            if "positions" not in source or "field" not in source.dims:
                raise ValueError("a field-scan Dataset needs 'positions' and a 'field' dimension "
                                 "(make it with mlpec_lab.analysis.field_scan)")
        elif not hasattr(source, "frames"):
            raise TypeError("source must be a field-scan Dataset (mlpec_lab.analysis.field_scan) "
                            f"or an MD session with .frames, got {type(source).__name__}")
        self.source = source
        self.bin_width, self.orientation_bin, self.r_max = bin_width, orientation_bin, r_max
        frames = self._all_frames()
        symbols = sorted(set(frames[0].get_chemical_symbols()))
        self.species = list(species) if species is not None else [s for s in symbols if s != "Pt"]
        light = [s for s in symbols if s != "Pt"]
        count = {s: frames[0].get_chemical_symbols().count(s) for s in light}
        # a like pair needs two atoms of the element (one Na has no Na–Na g(r))
        self.pairs = list(pairs) if pairs is not None else [
            f"{a}-{b}" for i, a in enumerate(light) for b in light[i:] if a != b or count[a] > 1]
        self.result: dict = {}
        self._cache: dict = {}
        self.field_selector = widgets.Dropdown(description="Fz (V/Å)")
        default_pair = "O-O" if "O-O" in self.pairs else self.pairs[0]
        self.pair_selector = widgets.Dropdown(options=self.pairs, value=default_pair,
                                              description="g(r) pair")
        self.refresh_button = widgets.Button(description="Update", icon="refresh")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="900px"))
        self._set_field_options(frames)
        self.field_selector.observe(lambda c: self._redraw(), names="value")
        self.pair_selector.observe(lambda c: self._redraw(), names="value")
        self.refresh_button.on_click(lambda _: self.update())
        self.widget = widgets.VBox([
            widgets.HBox([self.field_selector, self.pair_selector, self.refresh_button]),
            self.image, self.status])
        self._redraw()

    # --- frames ------------------------------------------------------------------------
    def _all_frames(self):
        if isinstance(self.source, xr.Dataset):
            return scan_frames(self.source, float(self.source.field.values[0]))
        lock = getattr(self.source, "lock", None)
        if lock is not None:
            with lock:
                frames = list(self.source.frames)
        else:
            frames = list(self.source.frames)
        if not frames:
            raise ValueError("the MD session has no frames yet: step it first")
        return frames

    def fields(self) -> list[float]:
        """The fields (V/Å) the selector offers."""
        return [v for _, v in self.field_selector.options]

    def _set_field_options(self, frames=None):
        """Offer the scan's fields, or the fields of the session's frames; a panel showing
        the session's newest field keeps following it."""
        current = self.field_selector.value
        if isinstance(self.source, xr.Dataset):
            values = [float(f) for f in self.source.field.values]
            choice = current if current in values else min(values, key=abs)
        else:
            values = sorted({round(_frame_field(a), 6) for a in frames})
            latest = round(_frame_field(frames[-1]), 6)
            following = current is None or current == getattr(self, "_latest", None)
            choice = latest if following or current not in values else current
            self._latest = latest
        self._quiet = True  # no redraw while the options change
        try:
            self.field_selector.options = [(f"{v:+.2f}", v) for v in values]
            self.field_selector.value = choice
        finally:
            self._quiet = False

    def frames_at(self, fz: float):
        """The frames (Atoms) at field ``fz`` V/Å."""
        if isinstance(self.source, xr.Dataset):
            return scan_frames(self.source, fz)
        frames = [a for a in self._all_frames() if abs(_frame_field(a) - fz) < 1e-6]
        if not frames:
            raise ValueError(f"no frames at Fz = {fz:+.3f} V/Å in the session")
        return frames

    # --- controls ----------------------------------------------------------------------
    def set_field(self, fz: float) -> None:
        """Show the field ``fz`` (V/Å); it must be one the selector offers."""
        match = [v for v in self.fields() if abs(v - fz) < 1e-6]
        if not match:
            raise ValueError(f"Fz = {fz} V/Å is not among the fields "
                             f"({', '.join(f'{v:+.2f}' for v in self.fields())})")
        self.field_selector.value = match[0]

    def set_pair(self, pair: str) -> None:
        if pair not in self.pairs:
            raise ValueError(f"pair {pair!r} is not offered (pairs: {', '.join(self.pairs)})")
        self.pair_selector.value = pair

    def update(self) -> None:
        """Re-read the frames (new ones from a running session) and recompute."""
        self._cache.clear()
        frames = None if isinstance(self.source, xr.Dataset) else self._all_frames()
        self._set_field_options(frames)
        self._redraw()

    # --- computing and drawing ---------------------------------------------------------
    def _compute(self, fz):
        if fz not in self._cache:
            frames = self.frames_at(fz)
            orientation = (water_orientation(frames, bin_width=self.orientation_bin)
                           if len(water_molecules(frames[0])) else None)
            self._cache[fz] = {
                "profiles": density_profiles(frames, species=self.species, bin_width=self.bin_width),
                "orientation": orientation,
                "rdf": radial_distribution(frames, pairs=self.pairs, r_max=self.r_max),
                "n_frames": len(frames)}
        return self._cache[fz]

    def _redraw(self):
        fz = self.field_selector.value
        if fz is None or getattr(self, "_quiet", False):
            return
        self.result = self._compute(fz)
        pair = self.pair_selector.value
        fig = interface_structure_figure(
            self.result["profiles"], self.result["orientation"], self.result["rdf"], pair,
            title=f"Fz = {fz:+.2f} V/Å · {self.result['n_frames']} frames")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        self.image.value = buf.getvalue()
        self.status.value = (f"Fz = {fz:+.2f} V/Å: {self.result['n_frames']} frames; "
                             f"density bins {self.bin_width} Å, g(r) to {self.r_max} Å")
