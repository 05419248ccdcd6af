"""The hybrid model: V_hybrid = V_SPMe + learned correction (``correction.py``),
with the trained range enforced where inputs enter."""
from __future__ import annotations

import functools
import json
import time
import warnings

import numpy as np
import xarray as xr

from mlpec_lab.paths import DATA_DIR

from . import physics
from .correction import ZeroCorrection, load_correction
from .features import feature_matrix
from .protocols import Profile

#: where the shipped correction lives (repository data/battery/)
DEFAULT_MODEL_DIR = DATA_DIR / "battery"

#: inputs the shipped correction was trained on (also stored in correction.json)
TRAINED_RANGE = {"temperature_K": [268.0, 318.0], "initial_soc": [0.2, 1.0],
                 "abs_c_rate_max": 2.0}


#: SPMe electrolyte concentration (mol/m^3, minimum over the cell) below which SPMe's
#: electrolyte is running dry: SPMe's voltage collapses there while DFN's does not, and
#: the correction is at its least reliable (see data/battery/README.md). Entering this
#: regime is recorded as a warning in every prediction.
DEPLETION_C_E_MOL_M3 = 250.0


def depletion_warning(spme: xr.Dataset, threshold: float = DEPLETION_C_E_MOL_M3) -> str | None:
    """A warning if SPMe's minimum electrolyte concentration falls below ``threshold``
    (mol/m^3); None otherwise."""
    c_min = spme["c_e_min"].values
    low = c_min < threshold
    if not low.any():
        return None
    t = spme["time"].values
    return (f"electrolyte depletion: SPMe's electrolyte concentration falls to "
            f"{c_min.min():.0f} mol/m^3 (below {threshold:g}) for {low.sum()} samples "
            f"from t = {t[low][0]:.0f} s; SPMe is far from DFN there and the correction is "
            f"least reliable (wider error, see voltage_hybrid_std and data/battery/README.md)")


class OutOfRangeError(ValueError):
    """An input outside the range the correction was trained on."""


@functools.lru_cache(maxsize=4)
def _cached_correction(directory: str):
    return load_correction(directory)


def default_correction(directory=None):
    """(committee, metadata) of the shipped correction, loaded once per process."""
    return _cached_correction(str(directory or DEFAULT_MODEL_DIR))


def range_problems(profile: Profile, temperature: float, initial_soc: float,
                   capacity_Ah: float, trained_range: dict = TRAINED_RANGE) -> list[str]:
    """Human-readable reasons the inputs are outside ``trained_range`` ([] if inside)."""
    out = []
    lo, hi = trained_range["temperature_K"]
    if not lo <= temperature <= hi:
        out.append(f"temperature {temperature:g} K is outside the trained {lo:g}-{hi:g} K")
    lo, hi = trained_range["initial_soc"]
    if not lo <= initial_soc <= hi:
        out.append(f"initial SOC {initial_soc:g} is outside the trained {lo:g}-{hi:g}")
    c_max = float(np.max(np.abs(profile.current_A))) / capacity_Ah
    limit = trained_range["abs_c_rate_max"]
    if c_max > limit * 1.001:
        out.append(f"current reaches {c_max:.2f}C ({c_max * capacity_Ah:.2f} A), beyond the "
                   f"trained {limit:g}C ({limit * capacity_Ah:g} A)")
    return out


def hybrid_voltage(spme: xr.Dataset, correction, temperature: float,
                   capacity_Ah: float) -> tuple[np.ndarray, np.ndarray]:
    """Hybrid voltage (V) and its committee spread (V) from an SPMe solution."""
    mean, spread = correction.predict(feature_matrix(spme, capacity_Ah, temperature))
    return spme["voltage"].values + mean, spread


def predict(profile: Profile, temperature: float, initial_soc: float, correction=None,
            with_dfn: bool = False, allow_extrapolation: bool = False) -> xr.Dataset:
    """Run SPMe and the hybrid (and DFN if asked) on ``profile`` at ``temperature`` (K)
    from ``initial_soc``. correction: a committee, ``"zero"``, or None for the shipped
    one. Returns a Dataset on ``time`` (s) with ``current``, ``voltage_spme``,
    ``voltage_hybrid``, ``voltage_hybrid_std`` (and ``voltage_dfn``), NaN past a
    model's early stop; wall times and warnings in attrs."""
    capacity = physics.nominal_capacity_Ah()
    trained = TRAINED_RANGE
    if correction is None:
        correction, meta = default_correction()
        trained = meta.get("trained_range", TRAINED_RANGE)
    elif correction == "zero":
        correction = ZeroCorrection()
    problems = range_problems(profile, temperature, initial_soc, capacity, trained)
    if problems and not allow_extrapolation:
        raise OutOfRangeError("; ".join(problems) + " (the hybrid is only validated inside "
                              "its trained range; pass allow_extrapolation=True, or "
                              "--allow-extrapolation on the command line, to run anyway)")
    for p in problems:
        warnings.warn(f"extrapolating: {p}", stacklevel=2)
    start = time.perf_counter()
    spme = physics.simulate("spme", profile.time_s, profile.current_A, temperature, initial_soc)
    v_hyb, v_std = hybrid_voltage(spme, correction, temperature, capacity)
    wall_hybrid = time.perf_counter() - start
    notes = [f"extrapolating: {p}" for p in problems]
    depleted = depletion_warning(spme)
    if depleted:
        notes.append(depleted)
        warnings.warn(depleted, stacklevel=2)
    n_t = profile.time_s.size

    def pad(x):
        out = np.full(n_t, np.nan)
        out[:len(x)] = x
        return out

    units = {"units": "V"}
    data = {
        "current": ("time", profile.current_A, {"units": "A", "sign": "discharge positive"}),
        "voltage_spme": ("time", pad(spme["voltage"].values), units),
        "voltage_hybrid": ("time", pad(v_hyb), units),
        "voltage_hybrid_std": ("time", pad(v_std), {"units": "V", "method":
                               "spread of the committee of residual models"}),
        "electrolyte_depleted": ("time", pad(spme["c_e_min"].values) < DEPLETION_C_E_MOL_M3,
                                 {"meaning": "SPMe minimum electrolyte concentration below "
                                  f"{DEPLETION_C_E_MOL_M3:g} mol/m^3"}),
    }
    attrs = {"parameter_set": physics.PARAMETER_SET, "temperature_K": float(temperature),
             "initial_soc": float(initial_soc), "protocol": profile.name,
             "wall_time_spme_s": spme.attrs["wall_time_s"], "wall_time_hybrid_s": wall_hybrid,
             "warnings": json.dumps(notes)}
    if with_dfn:
        dfn = physics.simulate("dfn", profile.time_s, profile.current_A, temperature,
                               initial_soc)
        data["voltage_dfn"] = ("time", pad(dfn["voltage"].values), units)
        attrs["wall_time_dfn_s"] = dfn.attrs["wall_time_s"]
    return xr.Dataset(data, coords={"time": ("time", profile.time_s, {"units": "s"})},
                      attrs=attrs)


def rmse(a, b, mask=None) -> float:
    """Root-mean-square difference over samples where both are finite (and mask)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if mask is not None:
        ok &= np.asarray(mask, bool)[:len(ok)]
    return float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))) if ok.any() else float("nan")
