"""Benchmark: hybrid (SPMe + correction) vs SPMe vs DFN wall time on the shipped
30-minute drive cycle; prints the numbers and updates the "## Battery hybrid"
section of benchmarks/RESULTS.md (other sections are left alone).

    python benchmarks/bench_battery.py [--repeats 3] [--temperature 298] [--initial-soc 0.9]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

import sys

from mlpec_lab import battery
from mlpec_lab.battery import hybrid, physics

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "data" / "battery" / "drive_cycle_30min_seed2024.csv"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
sys.path.insert(0, str(ROOT / "benchmarks"))
from results_section import update_section  # noqa: E402
HEADING = "## Battery hybrid"


def measure(repeats: int, temperature: float, soc: float) -> dict:
    import torch

    torch.set_num_threads(1)
    prof = battery.read_profile_csv(PROFILE)
    warm = battery.standard_protocol("cc_discharge", 1.0, 5.0, duration_s=60)
    warnings.simplefilter("ignore")
    battery.predict(warm, temperature, soc)                      # imports, model load
    spme, hyb, corr = [], [], []
    for _ in range(repeats):
        res = battery.predict(prof, temperature, soc)
        spme.append(res.attrs["wall_time_spme_s"])
        hyb.append(res.attrs["wall_time_hybrid_s"])
    model, _ = hybrid.default_correction()
    sol = physics.simulate("spme", prof.time_s, prof.current_A, temperature, soc)
    for _ in range(repeats):
        t0 = time.perf_counter()
        hybrid.hybrid_voltage(sol, model, temperature, physics.nominal_capacity_Ah())
        corr.append(time.perf_counter() - t0)
    res = battery.predict(prof, temperature, soc, with_dfn=True)
    dfn = res.attrs["wall_time_dfn_s"]
    err = {k: 1e3 * battery.rmse(res[f"voltage_{k}"], res["voltage_dfn"]) for k in ("spme", "hybrid")}
    out = {"spme_s": statistics.median(spme), "hybrid_s": statistics.median(hyb),
           "correction_s": statistics.median(corr), "dfn_s": dfn, "repeats": repeats,
           "temperature_K": temperature, "initial_soc": soc,
           "spme_rmse_mV": err["spme"], "hybrid_rmse_mV": err["hybrid"]}
    out["dfn_over_hybrid"] = out["dfn_s"] / out["hybrid_s"]
    out["dfn_over_spme"] = out["dfn_s"] / out["spme_s"]
    out["hybrid_over_spme"] = out["hybrid_s"] / out["spme_s"]
    return out


def section(r: dict) -> str:
    meta = json.loads((ROOT / "data" / "battery" / "correction.json").read_text())
    rows = "\n".join(
        f"| {name} | {m['temperature_K']:g} | {m['spme_rmse_mV']:.2f} | {m['hybrid_rmse_mV']:.2f} "
        f"| {100 * m['error_removed_fraction']:.0f} % |"
        for name, m in meta["metrics_held_out"].items())
    return f"""{HEADING}

`python benchmarks/bench_battery.py` ({time.strftime('%Y-%m-%d')}, {platform.machine()},
shared 2-core machine, one thread, load average {os.getloadavg()[0]:.1f} at the end). Shipped 30-min drive cycle
(`data/battery/drive_cycle_30min_seed2024.csv`), {r['temperature_K']:g} K, initial SOC
{r['initial_soc']:g}; each wall time is one cold PyBaMM build + solve (SPMe median of
{r['repeats']}, DFN once); hybrid = SPMe + causal features + committee.

| model | wall time (s) | DFN / model | RMSE vs DFN (mV) |
|---|---|---|---|
| DFN ({meta['parameter_set']}, {meta['model_options']}) | {r['dfn_s']:.2f} | 1.0 | — |
| SPMe | {r['spme_s']:.3f} | {r['dfn_over_spme']:.1f} | {r['spme_rmse_mV']:.2f} |
| hybrid | {r['hybrid_s']:.3f} | **{r['dfn_over_hybrid']:.1f}** | {r['hybrid_rmse_mV']:.2f} |

The correction alone (features + committee) takes {1e3 * r['correction_s']:.1f} ms
(hybrid / SPMe = {r['hybrid_over_spme']:.3f}).

Held-out protocols (never trained on; from `data/battery/correction.json`; DFN and SPMe
solved with solver revision {meta.get('solver_revision', 1)} — see data/battery/README.md):

| case | T (K) | SPMe RMSE (mV) | hybrid RMSE (mV) | error removed |
|---|---|---|---|---|
{rows}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--temperature", type=float, default=298.0)
    ap.add_argument("--initial-soc", type=float, default=0.9)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    r = measure(args.repeats, args.temperature, args.initial_soc)
    for k, v in r.items():
        print(f"{k:>18}: {v:.4g}" if isinstance(v, float) else f"{k:>18}: {v}")
    if not args.no_write:
        update_section(HEADING, section(r), RESULTS)
        print(f"updated {RESULTS.relative_to(ROOT)} ({HEADING})")


if __name__ == "__main__":
    main()
