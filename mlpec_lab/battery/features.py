"""Causal features for the residual model, built from what a BMS has online at time t:
the measured current and its exponentially filtered history, SPMe's voltage and
states, cell and ambient temperature. Nothing here looks at a later sample."""
from __future__ import annotations

import numpy as np

#: time constants (s) of the exponentially filtered current histories
HISTORY_TAUS_S = (10.0, 60.0, 300.0, 1200.0)

FEATURE_NAMES = (
    ["c_rate"] + [f"c_rate_ema_{int(tau)}s" for tau in HISTORY_TAUS_S]
    + ["voltage_spme", "sto_n_avg", "sto_p_avg", "sto_n_surf", "sto_p_surf",
       "c_e_n", "c_e_p", "log_c_e_n", "log_c_e_p", "inv_temperature_cell",
       "inv_temperature_ambient"]
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
    SPMe's electrolyte overpotential goes as log c_e, which collapses when SPMe's
    electrolyte depletes at high rate and low temperature), 1000/K."""
    t = spme["time"].values
    c = spme["current"].values / capacity_Ah
    cols = [c] + [filtered_history(t, c, tau) for tau in HISTORY_TAUS_S]
    cols += [spme["voltage"].values, spme["sto_n_avg"].values, spme["sto_p_avg"].values,
             spme["sto_n_surf"].values, spme["sto_p_surf"].values,
             spme["c_e_n"].values / 1000.0, spme["c_e_p"].values / 1000.0,
             np.log(np.clip(spme["c_e_n"].values, 1.0, None) / 1000.0),
             np.log(np.clip(spme["c_e_p"].values, 1.0, None) / 1000.0),
             1000.0 / spme["temperature_cell"].values,
             np.full(t.size, 1000.0 / temperature_ambient)]
    return np.stack(cols, axis=1).astype(np.float32)
