"""An MD session that can be stepped, re-fielded and watched while it runs.

The live 3D panel drives one of these from a background thread; everything here is
plain Python, so tests and scripts use it the same way.
"""
from __future__ import annotations

import threading

import numpy as np
from ase import units
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

from mlpec_lab.sampling.md import MDStopped, _check


class MDSession:
    """Langevin MD of ``atoms`` with its calculator; the field can change between steps.

    temperature K, timestep fs, friction 1/fs. ``history`` holds one record per step
    block: step, time (fs), temperature (K), potential energy (eV), Fz (V/Å) and the
    committee's max force deviation (eV/Å) when the calculator provides it.
    """

    def __init__(self, atoms, temperature=330.0, timestep=0.5, friction=0.02, seed=0,
                 max_force=50.0, keep_frames=50):
        self.atoms = atoms
        self.temperature = temperature
        self.timestep = timestep
        self.max_force = max_force
        self.keep_frames = keep_frames
        rng = np.random.default_rng(seed)
        MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
        Stationary(atoms)
        self.dyn = Langevin(atoms, timestep * units.fs, temperature_K=temperature,
                            friction=friction / units.fs, rng=rng, fixcm=False)
        self.lock = threading.Lock()
        self.step_count = 0
        self.history: list[dict] = []
        self.frames: list = []
        self.stopped_reason: str | None = None
        self._record()

    @property
    def field(self) -> float:
        return float(np.asarray(self.atoms.info.get("field", [0, 0, 0]), float).reshape(-1)[-1])

    def set_field(self, fz: float) -> None:
        """Change Fz (V/Å) for the following steps."""
        with self.lock:
            self.atoms.info["field"] = np.array([0.0, 0.0, float(fz)])
            if hasattr(self.atoms.calc, "parameters") and "field" in self.atoms.calc.parameters:
                self.atoms.calc.parameters["field"] = None  # read it from atoms.info
            self.atoms.calc.reset()

    def _record(self):
        calc = self.atoms.calc
        epot = self.atoms.get_potential_energy()
        problem = _check(self.atoms, self.max_force, self.step_count)
        record = {"step": self.step_count, "time": self.step_count * self.timestep,
                  "temperature": self.atoms.get_temperature(), "energy": epot,
                  "field": self.field,
                  "max_force_deviation": calc.results.get("max_force_deviation", np.nan)}
        self.history.append(record)
        frame = self.atoms.copy()
        frame.arrays["charges_model"] = np.asarray(calc.results.get("charges", np.zeros(len(frame))))
        frame.arrays["force_deviation"] = np.asarray(
            calc.results.get("force_deviations", np.zeros(len(frame))))
        self.frames = (self.frames + [frame])[-self.keep_frames:]
        if problem:
            self.stopped_reason = problem
            raise MDStopped(problem, last_good=frame, step=self.step_count)
        return record

    def step(self, n: int = 1) -> dict:
        """Advance ``n`` MD steps; returns the new history record."""
        if self.stopped_reason:
            raise MDStopped(self.stopped_reason)
        with self.lock:
            self.dyn.run(n)
            self.step_count += n
            return self._record()
