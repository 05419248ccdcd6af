"""One round of active learning from a notebook: explore, pick, label.

ML-driven MD with the committee (:func:`mlpec_lab.sampling.explore`) traces the committee's
max force deviation σ; the frames inside the trust window [low, high) are the picks
(:func:`mlpec_lab.sampling.select_uncertain`); the oracle labels them
(:func:`mlpec_lab.reference.labelling.label`) into a dataset that ``mlpec-lab train``
takes. Moving the window re-picks from the frames already explored. Exploring and
labelling run in a background thread from the buttons; ``explore``/``select``/``label``
are the same steps for scripts and tests. The learning curves of the model file (its
``.curves.nc``) are drawn when they exist. No science here.
"""
from __future__ import annotations

import io
import threading
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from mlpec_lab.figures import exploration_plot, learning_curves_plot
from mlpec_lab.sampling.exploration import TRUST_WINDOW, explore, select_uncertain


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


class ActiveLearningPanel:
    """Explore from ``atoms`` with ``model`` (model file path, or an MLPotential whose
    committee is reused), pick by the trust window, label with the oracle into ``out``.

    window: (low, high) eV/Å; n_picks: frames per round; steps: MD steps (0.5 fs);
    every: MD steps between recorded frames; min_separation: recorded frames between picks.
    """

    def __init__(self, atoms, model, out="out/active", window=TRUST_WINDOW, n_picks=6,
                 steps=400, every=10, temperature=330.0, min_separation=3):
        if hasattr(model, "members") and hasattr(model, "payload"):
            self.model, self.curves_path = (model.members, model.payload), None
            field_range = model.field_range
        else:
            from mlpec_lab.potential.modelfile import load_committee

            members, payload = load_committee(model)
            self.model = (members, payload)
            self.curves_path = Path(str(model) + ".curves.nc")
            field_range = payload["field_range"]
        self.atoms = atoms.copy()
        self.out = Path(out)
        self.every, self.min_separation = int(every), int(min_separation)
        self.frames: list = []
        self.picks: list = []
        self._labelled_picks: set = set()  # ids of picks already written to configs
        self._thread = None
        fz = float(np.ravel(atoms.info.get("field", 0.0))[-1])
        self.field_slider = widgets.FloatSlider(
            value=fz, min=field_range[0], max=field_range[1], step=0.05,
            description="Fz (V/Å)", readout_format="+.2f", continuous_update=False)
        self.temperature = widgets.BoundedFloatText(value=temperature, min=1.0, max=2000.0,
                                                    description="T (K)")
        self.steps = widgets.BoundedIntText(value=steps, min=every, max=1_000_000,
                                            description="MD steps")
        self.window = widgets.FloatRangeSlider(
            value=tuple(window), min=0.0, max=max(5.0, window[1]), step=0.05,
            description="window (eV/Å)", continuous_update=False)
        self.n_picks = widgets.BoundedIntText(value=n_picks, min=1, max=500, description="picks")
        self.explore_button = widgets.Button(description="Explore", icon="play")
        self.label_button = widgets.Button(description="Label picks (oracle)", icon="flask",
                                           disabled=True)
        self.status = widgets.HTML()
        self.trace = widgets.Image(format="png", layout=widgets.Layout(width="620px"))
        self.curves = widgets.Image(format="png", layout=widgets.Layout(width="820px"))
        self.explore_button.on_click(lambda _: self._in_thread(self.explore))
        self.label_button.on_click(lambda _: self._in_thread(self.label))
        self.window.observe(lambda _: self.select(), names="value")
        self.field_slider.observe(
            lambda change: setattr(self.status, "value", f"the next exploration runs at Fz = "
                                   f"{change['new']:+.2f} V/Å"), names="value")
        self.n_picks.observe(lambda _: self.select(), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.field_slider, self.temperature, self.steps]),
            widgets.HBox([self.window, self.n_picks, self.explore_button, self.label_button]),
            self.status, self.trace, self.curves])
        self._draw_curves()

    def _in_thread(self, task):
        if self._thread is not None and self._thread.is_alive():
            self.status.value = "busy: wait for the running step to finish"
            return
        self._thread = threading.Thread(target=self._guarded, args=(task,), daemon=True)
        self._thread.start()

    def _guarded(self, task):
        try:
            task()
        except Exception as exc:  # shown in the panel: a thread has no other way to report
            self.status.value = f"<b>error:</b> {type(exc).__name__}: {exc}"

    def explore(self) -> list:
        """Run the exploration MD; record its frames (each with its σ) and pick."""
        steps, fz = int(self.steps.value), float(self.field_slider.value)  # read once
        self.status.value = f"exploring: {steps} MD steps at Fz = {fz:+.2f} V/Å…"
        run = len({a.info.get("trajectory") for a in self.frames})
        frames = explore(self.atoms, self.model, steps, field=fz,
                         temperature=float(self.temperature.value), every=self.every, seed=run)
        for a in frames:
            a.info["trajectory"] = f"run {run} (Fz {fz:+.2f})"
        self.frames += frames
        picks = self.select()
        if len(frames) <= steps // self.every:
            self.status.value += f"; run {run} stopped early after {len(frames)} frames (blow-up guard)"
        return picks

    def select(self) -> list:
        """Pick from the explored frames with the current window; redraw."""
        low, high = self.window.value
        if not low < high:  # a range slider dragged shut: nothing to pick, say why
            self.picks = []
            self.label_button.disabled = True
            self.status.value = f"the trust window needs low < high, got {low:g}, {high:g} eV/Å"
            return self.picks
        # step 0 of each run is the starting structure, not an explored one
        candidates = [a for a in self.frames if a.info["md_step"] > 0]
        self.picks = select_uncertain(candidates, int(self.n_picks.value), low, high,
                                      min_separation=self.min_separation) if candidates else []
        self.label_button.disabled = not self.picks
        if self.frames:
            self.trace.value = _png(exploration_plot(self.frames, self.picks, low, high))
            sigma = np.array([a.info["max_force_deviation"] for a in self.frames])
            self.status.value = (f"{len(self.frames)} frames, max σ_F {sigma.max():.3f} eV/Å, "
                                 f"{int(((sigma >= low) & (sigma < high)).sum())} in the window, "
                                 f"{len(self.picks)} picked")
        return self.picks

    def label(self) -> dict:
        """Append the picks to ``out``/configs.extxyz and label them with the oracle into
        ``out``/labelled.extxyz (resumable; failures recorded, never stored as labels)."""
        from mlpec_lab.datasets import append_frames
        from mlpec_lab.reference.labelling import label

        if not self.picks:
            raise ValueError("nothing picked: explore first, or widen the trust window")
        self.out.mkdir(parents=True, exist_ok=True)
        configs = self.out / "configs.extxyz"
        new = [a for a in self.picks if id(a) not in self._labelled_picks]
        append_frames(configs, new)
        self._labelled_picks.update(id(a) for a in new)
        self.status.value = f"labelling {len(self.picks)} picks with GFN1-xTB…"
        counts = label(configs, self.out / "labelled.extxyz", progress=False)
        self.status.value = (f"labelled {counts['labelled']}, failed {counts['failed']} "
                             f"(already done {counts['already_done']}) → {self.out / 'labelled.extxyz'}; "
                             f"train with: mlpec-lab train … {self.out / 'labelled.extxyz'} --out MODEL")
        return counts

    def _draw_curves(self):
        if self.curves_path is not None and self.curves_path.exists():
            import xarray as xr

            with xr.open_dataset(self.curves_path) as curves:
                self.curves.value = _png(learning_curves_plot(curves.load()))
