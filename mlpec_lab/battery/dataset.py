"""Paired SPMe/DFN solutions over many protocols, built through the project executor,
cached on disk one netCDF per case (written to a temporary name, then renamed) so an
interrupted build resumes where it stopped."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from . import physics, protocols

TRAIN_TEMPERATURES_K = (268.0, 278.0, 288.0, 298.0, 308.0, 318.0)


def case(name, kind, c_rate, temperature, initial_soc, seed=0, duration_s=None, split="train"):
    """A protocol case: everything needed to regenerate its profile and both solves."""
    return {"name": name, "kind": kind, "c_rate": float(c_rate),
            "temperature": float(temperature), "initial_soc": float(initial_soc),
            "seed": int(seed), "duration_s": duration_s, "split": split}


def training_cases(seed: int = 0, quick: bool = False) -> list[dict]:
    """The training design: per trained temperature, CC discharges (C/5..2C) from full,
    CC charges from SOC 0.2, a partial discharge from mid SOC, pulse/rest trains and
    drive cycles at random initial SOC and intensity (seeded)."""
    rng = np.random.default_rng(seed)
    temps = TRAIN_TEMPERATURES_K[::5] if quick else TRAIN_TEMPERATURES_K
    out = []
    for T in temps:
        tag = f"{int(T)}K"
        for c in ((1.0,) if quick else (0.2, 0.5, 1.0, 2.0)):
            out.append(case(f"cc_dis_{c:.1f}C_{tag}", "cc_discharge", c, T, 1.0))
        for c in ((1.0,) if quick else (0.5, 1.5)):
            out.append(case(f"cc_chg_{c:.1f}C_{tag}", "cc_charge", c, T, 0.2))
        if quick:
            continue
        soc = rng.uniform(0.4, 0.7)
        out.append(case(f"cc_dis_part_{tag}", "cc_discharge", rng.uniform(0.3, 2.0), T, soc,
                        duration_s=float(rng.uniform(900, 2400))))
        for k in range(2):
            s = 100 * int(T) + k
            out.append(case(f"pulse_{tag}_{k}", "pulse_rest", rng.uniform(1.0, 2.0), T,
                            rng.uniform(0.3, 1.0), seed=s))
            out.append(case(f"drive_{tag}_{k}", "drive_cycle", rng.uniform(1.0, 2.0), T,
                            rng.uniform(0.4, 1.0), seed=s + 50))
        if T <= 288.0:  # cold, high-rate transients are where SPMe is furthest off
            extra = np.random.default_rng([seed, int(T)])
            out.append(case(f"pulse_{tag}_2C", "pulse_rest", 2.0, T, extra.uniform(0.4, 1.0),
                            seed=100 * int(T) + 2))
        if T <= 278.0:  # the cold high-rate pulse regime (SPMe's electrolyte depletes)
            cold = np.random.default_rng([seed, int(T), 3])
            for k in range(3, 7):
                out.append(case(f"pulse_{tag}_cold{k}", "pulse_rest", cold.uniform(1.0, 2.0),
                                T, cold.uniform(0.3, 1.0), seed=100 * int(T) + k))
    return out


#: the shipped 30-minute drive cycle (data/battery/) is this seed
SHIPPED_DRIVE_SEED = 2024


def held_out_cases() -> list[dict]:
    """Never used in training: new seeds, temperatures between the trained ones."""
    return [
        case("heldout_drive_283K", "drive_cycle", 2.0, 283.0, 0.9, seed=SHIPPED_DRIVE_SEED,
             split="test"),
        case("heldout_drive_303K", "drive_cycle", 1.5, 303.0, 0.6, seed=9002, split="test"),
        case("heldout_pulse_273K", "pulse_rest", 2.0, 273.0, 0.8, seed=9101, split="test"),
        case("heldout_pulse_313K", "pulse_rest", 1.5, 313.0, 0.5, seed=9102, split="test"),
        case("heldout_pulse_273K_lowsoc", "pulse_rest", 2.0, 273.0, 0.45, seed=9103,
             split="test"),
    ]


def case_profile(c: dict, capacity_Ah: float | None = None) -> protocols.Profile:
    cap = capacity_Ah or physics.nominal_capacity_Ah()
    return protocols.standard_protocol(c["kind"], c["c_rate"], cap, c["initial_soc"],
                                       seed=c["seed"], duration_s=c["duration_s"])


def run_case(c: dict) -> xr.Dataset:
    """Solve one case with SPMe and DFN on the same time grid; returns a Dataset on the
    common time span with ``spme_*`` and ``dfn_*`` variables."""
    prof = case_profile(c)
    sols = {kind: physics.simulate(kind, prof.time_s, prof.current_A, c["temperature"],
                                   c["initial_soc"]) for kind in physics.MODEL_KINDS}
    n = min(s.sizes["time"] for s in sols.values())
    data = {}
    for kind, s in sols.items():
        for var in s.data_vars:
            data[f"{kind}_{var}"] = s[var].isel(time=slice(0, n))
    attrs = {"case": json.dumps(c), "solver_revision": physics.SOLVER_REVISION}
    for kind, s in sols.items():
        attrs[f"{kind}_wall_time_s"] = s.attrs["wall_time_s"]
        attrs[f"{kind}_termination"] = s.attrs["termination"]
        attrs[f"{kind}_events"] = s.attrs["events"]
    return xr.Dataset(data, attrs=attrs)


def _run_safely(item):
    c, runner = item
    try:
        return runner(c)
    except Exception as err:  # a failed solve is recorded, never stored as data
        return {"error": f"{type(err).__name__}: {err}"}


def build_dataset(cases, cache_dir, executor=None, max_workers: int = 1, runner=run_case,
                  progress: bool = True) -> dict:
    """Solve every case not yet in ``cache_dir``; returns {"done", "failed", "skipped"}
    name lists. A failure is written as ``NAME.failed.json`` and not retried unless the
    file is deleted. Safe to interrupt: finished cases are already on disk."""
    from tqdm.auto import tqdm

    try:
        from ..executor import map_unordered
    except ImportError:  # pragma: no cover - the project executor is optional here
        def map_unordered(fn, items, executor=None, max_workers=None):
            for index, item in enumerate(items):
                yield index, fn(item)

    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    todo = [c for c in cases if not is_current(cache / f"{c['name']}.nc")
            and not (cache / f"{c['name']}.failed.json").exists()]
    report = {"done": [], "failed": [], "skipped": [c["name"] for c in cases if c not in todo]}
    items = [(c, runner) for c in todo]
    for index, result in tqdm(map_unordered(_run_safely, items, executor=executor,
                                            max_workers=max_workers),
                              total=len(items), desc="dataset", disable=not progress):
        name = todo[index]["name"]
        if isinstance(result, dict):
            (cache / f"{name}.failed.json").write_text(json.dumps({**todo[index], **result}))
            report["failed"].append(name)
            continue
        tmp = cache / f"{name}.nc.tmp"
        result.to_netcdf(tmp, engine="h5netcdf")
        tmp.replace(cache / f"{name}.nc")
        report["done"].append(name)
    return report


def is_current(path) -> bool:
    """True if ``path`` is a cached pair solved with this ``physics.SOLVER_REVISION``
    (older pairs are stale: rebuilt by :func:`build_dataset`, ignored by loading)."""
    path = Path(path)
    if not path.exists():
        return False
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return int(ds.attrs.get("solver_revision", 1)) == physics.SOLVER_REVISION
    except (OSError, ValueError):
        return False


def load_cases(cases, cache_dir) -> dict[str, xr.Dataset]:
    """Cached Datasets of the cases that exist with the current solver revision (failed,
    missing or stale ones are left out)."""
    out = {}
    for c in cases:
        path = Path(cache_dir) / f"{c['name']}.nc"
        if is_current(path):
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                out[c["name"]] = ds.load()
    return out


def run_case_reusing_dfn(c: dict, old_cache_dir) -> xr.Dataset:
    """Like :func:`run_case`, but SPMe is solved now and DFN's voltage/current/states
    are taken from a revision-1 cached pair of the same case. Only for profiles whose
    solver stop points did not change in a way that matters (drive cycles: revision 1
    used the end points only, revision 2 adds the few edges of vehicle stops); the
    pair records ``dfn_source`` so it is never mistaken for a fresh solve. Used when
    DFN time is not available; checked against a fresh solve (data/battery/README.md)."""
    prof = case_profile(c)
    spme = physics.simulate("spme", prof.time_s, prof.current_A, c["temperature"],
                            c["initial_soc"])
    with xr.open_dataset(Path(old_cache_dir) / f"{c['name']}.nc", engine="h5netcdf") as old:
        old = old.load()
    if json.loads(old.attrs["case"]) != c:
        raise ValueError(f"{c['name']}: the revision-1 pair is of a different case")
    n = min(spme.sizes["time"], old.sizes["time"])
    data = {f"spme_{var}": spme[var].isel(time=slice(0, n)) for var in spme.data_vars}
    for var in old.data_vars:
        if var.startswith("dfn_"):
            data[var] = old[var].isel(time=slice(0, n))
    attrs = {"case": json.dumps(c), "solver_revision": physics.SOLVER_REVISION,
             "spme_wall_time_s": spme.attrs["wall_time_s"],
             "spme_termination": spme.attrs["termination"], "spme_events": spme.attrs["events"],
             "dfn_source": "revision-1 pair reused (end-point-only stop points)"}
    for key in ("dfn_wall_time_s", "dfn_termination", "dfn_events"):
        attrs[key] = old.attrs.get(key, "not recorded in revision 1")
    ds = xr.Dataset(data, attrs=attrs)
    return ds.assign_coords(time=spme["time"].values[:n])
