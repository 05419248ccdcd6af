"""Physics engine: stock PyBaMM SPMe and DFN, one stock parameter set, one simulate().

Model, parameters and solver stay apart as in PyBaMM: :func:`build_model` gives the
stock model, :func:`parameter_values` the stock set with only temperature and current
changed, :func:`simulate` runs one protocol and returns an ``xarray.Dataset``.

Two deliberate, documented choices (neither touches the parameter set):

* the voltage cut-off *events* are not used to stop the solve: a BMS (and the hybrid)
  must be able to run SPMe past SPMe's own cut-off while the cell (DFN) is still above
  it. The cut-off voltages are kept in the parameters and applied to the data instead
  (``valid`` mask). Stoichiometry/concentration events still stop the solve.
* both models are solved with the edges of the profile's constant-current holds as
  solver stop points (:func:`breakpoints`). Solved with only the end points, IDAKLU's adaptive steps
  could step over a whole short pulse: the states never saw it (revision 1 of the
  dataset had DFN "references" that ignored entire pulses, up to 157 mV wrong).
* SPMe runs on the same mesh as DFN (PyBaMM's default; ``SPME_VAR_PTS = None``).
  A coarse SPMe mesh was tried in revision 1; on the same mesh SPMe is ~1.3x slower
  but its own error against DFN halves at 298 K and the correction no longer has to
  absorb a discretisation difference.
"""
from __future__ import annotations

import time as _time
import warnings

import numpy as np
import xarray as xr

PARAMETER_SET = "OKane2022"
MODEL_OPTIONS: dict = {"thermal": "lumped"}
#: mesh of the fast SPMe (points per domain; None = PyBaMM's default, as DFN)
SPME_VAR_PTS = None
#: revision of the solve set-up; cached pairs from another revision are stale
SOLVER_REVISION = 2
MODEL_KINDS = ("spme", "dfn")

#: PyBaMM variables stored from every solve: name in the Dataset -> (PyBaMM name, units)
STATE_VARIABLES = {
    "voltage": ("Voltage [V]", "V"),
    "current": ("Current [A]", "A"),
    "temperature_cell": ("Volume-averaged cell temperature [K]", "K"),
    "sto_n_avg": ("Average negative particle stoichiometry", "1"),
    "sto_p_avg": ("Average positive particle stoichiometry", "1"),
    "sto_n_surf": ("X-averaged negative particle surface stoichiometry", "1"),
    "sto_p_surf": ("X-averaged positive particle surface stoichiometry", "1"),
    "c_e_n": ("X-averaged negative electrolyte concentration [mol.m-3]", "mol/m^3"),
    "c_e_p": ("X-averaged positive electrolyte concentration [mol.m-3]", "mol/m^3"),
    "c_e_s": ("X-averaged separator electrolyte concentration [mol.m-3]", "mol/m^3"),
    "eta_r_n": ("X-averaged battery negative reaction overpotential [V]", "V"),
    "eta_r_p": ("X-averaged battery positive reaction overpotential [V]", "V"),
    "eta_c_e": ("X-averaged battery concentration overpotential [V]", "V"),
    "delta_phi_e": ("X-averaged battery electrolyte ohmic losses [V]", "V"),
    "eta_particle": ("Battery particle concentration overpotential [V]", "V"),
    "ocv": ("Battery open-circuit voltage [V]", "V"),
}
#: electrolyte concentration profile reductions stored as well: name -> (index, units)
#: of "Electrolyte concentration [mol.m-3]" over x (0: negative current collector side,
#: -1: positive current collector side, "min": its minimum over the cell)
ELECTROLYTE_EDGES = {"c_e_min": "min", "c_e_x0": 0, "c_e_xL": -1}


def _pybamm():
    import pybamm

    pybamm.set_logging_level("ERROR")
    return pybamm


def parameter_values(temperature: float, time_s=None, current_A=None):
    """Stock ``OKane2022`` values with ambient = initial temperature (K) and, if
    given, the current (A, discharge positive) as a linear interpolant of time (s)."""
    pybamm = _pybamm()
    values = pybamm.ParameterValues(PARAMETER_SET)
    values.update({"Ambient temperature [K]": float(temperature),
                   "Initial temperature [K]": float(temperature)})
    if time_s is not None:
        values.update({"Current function [A]": pybamm.Interpolant(
            np.asarray(time_s, float), np.asarray(current_A, float), pybamm.t,
            interpolator="linear")})
    return values


def nominal_capacity_Ah() -> float:
    return float(_pybamm().ParameterValues(PARAMETER_SET)["Nominal cell capacity [A.h]"])


def voltage_limits() -> tuple[float, float]:
    """(lower, upper) cut-off voltages of the parameter set, V."""
    values = _pybamm().ParameterValues(PARAMETER_SET)
    return float(values["Lower voltage cut-off [V]"]), float(values["Upper voltage cut-off [V]"])


def build_model(kind: str, voltage_events: bool = False):
    """Stock PyBaMM model ("spme" or "dfn") with ``MODEL_OPTIONS``; the voltage cut-off
    events are removed unless ``voltage_events``."""
    pybamm = _pybamm()
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model {kind!r}: use one of {MODEL_KINDS}")
    cls = pybamm.lithium_ion.SPMe if kind == "spme" else pybamm.lithium_ion.DFN
    model = cls(options=dict(MODEL_OPTIONS))
    if not voltage_events:
        model.events = [e for e in model.events if "voltage" not in e.name.lower()]
    return model


def breakpoints(time_s, current_A) -> np.ndarray:
    """Solver stop points: both ends and every sample where a constant-current hold
    begins or ends (the edges of each step, pulse and rest). Stopping there means no
    step of the profile can be stepped over by a long adaptive step through a rest.
    A profile without holds (a drive cycle on the move) keeps only its ends: its
    current varies every sample, which the error control already follows."""
    t = np.asarray(time_s, float)
    held = np.diff(np.asarray(current_A, float)) == 0          # interval k: [k, k+1]
    edge = np.flatnonzero(held[1:] != held[:-1]) + 1            # sample between two intervals
    return t[np.unique(np.concatenate([[0], edge, [t.size - 1]]))]


def _solve(kind, time_s, current_A, temperature, initial_soc, voltage_events):
    pybamm = _pybamm()
    sim = pybamm.Simulation(
        build_model(kind, voltage_events),
        parameter_values=parameter_values(temperature, time_s, current_A),
        solver=pybamm.IDAKLUSolver(),
        var_pts=SPME_VAR_PTS if kind == "spme" else None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sim.solve(t_eval=breakpoints(time_s, current_A), t_interp=time_s,
                         initial_soc=float(initial_soc))


def simulate(kind: str, time_s, current_A, temperature: float, initial_soc: float) -> xr.Dataset:
    """Solve one protocol with the stock model ``kind``.

    time_s: (n,) s, increasing; current_A: (n,) A, discharge positive; temperature: K
    (ambient and initial); initial_soc: 0..1. Returns a Dataset on ``time`` (s) holding
    ``STATE_VARIABLES``; a solve stopped early by a physical event is shorter than
    ``time_s`` and records why in ``attrs["termination"]``; ``attrs["wall_time_s"]``
    is the wall time of build + solve.
    """
    pybamm = _pybamm()
    time_s = np.asarray(time_s, float)
    current_A = np.asarray(current_A, float)
    start = _time.perf_counter()
    try:
        sol = _solve(kind, time_s, current_A, temperature, initial_soc, False)
        events = "physical only"
    except pybamm.SolverError:
        # driven far past a cut-off the solver can fail before a physical event stops
        # it; then solve the stock model with its cut-off events (stops at the cut-off)
        sol = _solve(kind, time_s, current_A, temperature, initial_soc, True)
        events = "stock voltage cut-offs (retry after solver failure)"
    t = np.asarray(sol.t)
    data = {name: ("time", np.asarray(sol[pyb].entries, float), {"units": units,
                                                                  "long_name": pyb})
            for name, (pyb, units) in STATE_VARIABLES.items()}
    c_e = np.asarray(sol["Electrolyte concentration [mol.m-3]"].entries, float)  # (x, t)
    for name, index in ELECTROLYTE_EDGES.items():
        data[name] = ("time", c_e.min(axis=0) if index == "min" else c_e[index],
                      {"units": "mol/m^3", "long_name": f"electrolyte concentration {index}"})
    wall = _time.perf_counter() - start
    return xr.Dataset(
        data, coords={"time": ("time", t, {"units": "s"})},
        attrs={"model": kind, "parameter_set": PARAMETER_SET,
               "temperature_ambient_K": float(temperature),
               "initial_soc": float(initial_soc), "wall_time_s": wall,
               "termination": str(sol.termination), "events": events,
               "solver_revision": SOLVER_REVISION},
    )


def valid_mask(voltage) -> np.ndarray:
    """True where a BMS would use the sample: before the first crossing of the lower
    cut-off (end of discharge: the cell is stopped) and not above the upper cut-off
    (a BMS clips charge/regeneration there; the excursion is left out, not the rest)."""
    lo, hi = voltage_limits()
    v = np.asarray(voltage)
    return np.cumprod(v >= lo).astype(bool) & (v <= hi)
