"""Causal features for the residual model, built from what a BMS has online at time t:
the measured current and its exponentially filtered history, SPMe's voltage and
states (particle stoichiometries, electrolyte concentration at both current
collectors, its minimum and its electrode averages, SPMe's own overpotential terms),
cell and ambient temperature. Nothing here looks at a later sample.

Revision 2 (with ``physics.SOLVER_REVISION`` 2) adds the electrolyte profile and the
overpotential decomposition: where SPMe's electrolyte runs dry (cold, 2C) its voltage
error is carried almost entirely by its concentration overpotential and electrolyte
ohmic loss, so these enter as features directly rather than having to be inferred.
"""
from __future__ import annotations

import numpy as np

#: time constants (s) of the exponentially filtered current histories
HISTORY_TAUS_S = (3.0, 10.0, 30.0, 60.0, 300.0, 1200.0)

#: SPMe variables (``physics.STATE_VARIABLES`` / ``ELECTROLYTE_EDGES`` names) used as is
_STATE = ("voltage", "ocv", "sto_n_avg", "sto_p_avg", "sto_n_surf", "sto_p_surf",
          "eta_r_n", "eta_r_p", "eta_c_e", "delta_phi_e", "eta_particle")
#: electrolyte concentrations (mol/m^3), used in kmol/m^3 and as log(c / 1 kmol/m^3)
_ELECTROLYTE = ("c_e_n", "c_e_s", "c_e_p", "c_e_min", "c_e_x0", "c_e_xL")

FEATURE_NAMES = (
    ["c_rate"] + [f"c_rate_ema_{int(tau)}s" for tau in HISTORY_TAUS_S]
    + ["abs_c_rate_ema_60s", "abs_c_rate_ema_300s"]
    + [("voltage_spme" if s == "voltage" else s) for s in _STATE]
    + list(_ELECTROLYTE) + [f"log_{e}" for e in _ELECTROLYTE]
    + ["inv_temperature_cell", "inv_temperature_ambient", "c_rate_over_c_e_min"]
)


def filtered_history(time_s, signal, tau_s: float) -> np.ndarray:
    """Exponential filter y_k = a_k y_{k-1} + (1 - a_k) x_k, a_k = exp(-dt_k / tau);
    exact for a signal held over each step; the cell is at rest before t[0] (y = 0)."""
    t = np.asarray(time_s, float)
    x = np.asarray(signal, float)
    a = np.exp(-np.diff(t, prepend=t[0]) / tau_s)
    y = np.empty_like(x)
    acc = 0.0
    for k in range(x.size):
        acc = a[k] * acc + (1.0 - a[k]) * x[k]
        y[k] = acc
    return y


def feature_matrix(spme, capacity_Ah: float, temperature_ambient: float) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float32 features from an SPMe Dataset (see
    ``physics.simulate``); units: C-rate 1/h, V, stoichiometry, kmol/m^3 (and its log:
    SPMe's concentration overpotential goes as log c_e, which collapses when SPMe's
    electrolyte depletes at high rate and low temperature), 1000/K."""
    t = spme["time"].values
    c = spme["current"].values / capacity_Ah
    cols = [c] + [filtered_history(t, c, tau) for tau in HISTORY_TAUS_S]
    cols += [filtered_history(t, np.abs(c), tau) for tau in (60.0, 300.0)]
    cols += [spme[s].values for s in _STATE]
    # SPMe's electrolyte can go below zero when it runs dry (DFN's does not): the
    # linear value keeps that information, the log is taken of max(c, 1 mol/m^3)
    ce = [spme[e].values / 1000.0 for e in _ELECTROLYTE]
    cols += ce + [np.log(np.clip(x, 1e-3, None)) for x in ce]
    cols += [1000.0 / spme["temperature_cell"].values,
             np.full(t.size, 1000.0 / temperature_ambient),
             c / np.clip(ce[_ELECTROLYTE.index("c_e_min")], 0.02, None)]
    return np.stack(cols, axis=1).astype(np.float32)
