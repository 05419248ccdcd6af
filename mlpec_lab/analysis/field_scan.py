"""Field-scan driver: MD of one structure at a list of fields, cached on disk.

Each field is one job for :func:`mlpec_lab.executor.map_unordered` (local processes or
Dask). A job's trajectory is stored as netCDF under ``cache_dir``, keyed by a hash of
the structure (numbers, positions, cell, pbc, tags), the model identity, the field and
the MD settings (steps, timestep, temperature, friction, seed, every): asking again
reads the file and runs nothing. The cache keeps the whole run; equilibration is
discarded when the result is assembled, by a stated rule: the first ``equilibration``
fraction of the steps (default 0.2), or with ``equilibration="auto"`` the start that
maximises the effective sample size of the potential-energy series
(:func:`mlpec_lab.analysis.blocking.detect_equilibration`), the latest over all fields
so that every field keeps the same frames. Every field uses the same MD seed (common random
numbers, which makes differences between fields less noisy).
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import xarray as xr
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from mlpec_lab.analysis.stark import calculator_factory
from mlpec_lab.executor import map_unordered


def model_identity(model, model_id: str | None = None) -> str:
    """A string that names the model in cache keys: the oracle's method, a model file's
    content hash, or ``model_id`` / ``model.model_id`` / the callable's qualified name."""
    if model_id is not None:
        return str(model_id)
    if isinstance(model, str) and model == "oracle":
        return "oracle:GFN1-xTB(tblite),REFERENCE_PROTOCOL"
    if isinstance(model, (str, os.PathLike)):
        if not os.path.isfile(model):
            raise FileNotFoundError(f"model file {os.fspath(model)!r} does not exist "
                                    "(give a model file, 'oracle', or a callable field → Calculator)")
        h = hashlib.sha256(Path(model).read_bytes()).hexdigest()
        return f"model-file:{h}"
    if callable(model):
        return getattr(model, "model_id", None) or f"{model.__module__}.{getattr(model, '__qualname__', repr(model))}"
    raise TypeError(f"cannot identify model {model!r}")


def structure_digest(atoms: Atoms) -> str:
    h = hashlib.sha256()
    for arr in (atoms.numbers.astype(np.int64), np.round(atoms.positions, 8),
                np.round(atoms.cell.array, 8), np.asarray(atoms.pbc, np.int8),
                atoms.get_tags().astype(np.int64)):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _run_field(job: dict) -> xr.Dataset:
    """One field: MD with the job's model; per saved frame positions, charges, atomic
    dipoles, energy, μz."""
    from mlpec_lab.sampling.md import MDStopped, run_md

    atoms = job["atoms"].copy()
    fz = float(job["field"])
    atoms.info["field"] = np.array([0.0, 0.0, fz])
    atoms.calc = calculator_factory(job["model"], on_uncertainty="quiet")(fz)
    steps, pos, q, p, e, mu, dev, flagged = [], [], [], [], [], [], [], []
    try:
        for step, frame in run_md(atoms, job["steps"], timestep=job["timestep"],
                                  temperature=job["temperature"], friction=job["friction"],
                                  seed=job["seed"], every=job["every"], wall_z=job["wall_z"]):
            res = atoms.calc.results  # the live calculator: model charges and dipole
            steps.append(step)
            pos.append(frame.positions)
            e.append(frame.get_potential_energy())
            q.append(np.asarray(res["charges"], float) if "charges" in res else np.full(len(atoms), np.nan))
            p.append(np.asarray(res.get("atomic_dipoles", np.zeros(len(atoms))), float))
            mu.append(float(np.ravel(res["dipole"])[2]) if "dipole" in res else np.nan)
            dev.append(float(res.get("max_force_deviation", np.nan)))
            flagged.append(getattr(atoms.calc, "last_warning", None) or "")
    except MDStopped as err:
        raise MDStopped(f"field Fz = {fz:+.3f} V/Å: {err}", err.last_good, err.step) from err
    ds = xr.Dataset(
        {"positions": (("frame", "atom", "xyz"), np.array(pos)),
         "charges": (("frame", "atom"), np.array(q)),
         "atomic_dipoles": (("frame", "atom"), np.array(p)),
         "energy": ("frame", np.array(e)), "dipole_z": ("frame", np.array(mu)),
         "max_force_deviation": ("frame", np.array(dev)),
         "committee_warning": ("frame", np.array(flagged, dtype=str)),
         "cell": (("cell_vector", "xyz"), atoms.cell.array)},
        coords={"step": ("frame", np.array(steps)), "numbers": ("atom", atoms.numbers),
                "tags": ("atom", atoms.get_tags()), "time": ("frame", np.array(steps) * job["timestep"])},
        attrs={"pbc": np.asarray(atoms.pbc, np.int8), "field_value": fz, "model_id": job["model_id"],
               "steps": job["steps"], "timestep": job["timestep"], "temperature": job["temperature"],
               "friction": -1.0 if job["friction"] is None else job["friction"], "seed": job["seed"],
               "every": job["every"]})
    units = {"positions": "Å", "charges": "e", "atomic_dipoles": "e·Å", "energy": "eV",
             "dipole_z": "e·Å", "cell": "Å",
             "max_force_deviation": "eV/Å"}
    for k, u in units.items():
        ds[k].attrs["units"] = u
    ds.time.attrs["units"] = "fs"
    return ds


def _write(ds: xr.Dataset, path: Path) -> None:
    tmp = path.with_suffix(".tmp.nc")
    ds.to_netcdf(tmp, engine="h5netcdf")
    os.replace(tmp, path)


def field_scan(atoms: Atoms, fields, model, steps: int, *, timestep: float = 0.5,
               temperature: float = 300.0, friction: float | None = 0.02, seed: int = 0,
               every: int = 10, equilibration: float = 0.2, cache_dir=None,
               model_id: str | None = None, executor=None, max_workers: int | None = None,
               wall_z: float | None = None) -> xr.Dataset:
    """MD of ``atoms`` at each Fz in ``fields`` (V/Å) with ``model`` ("oracle", a model
    file, or a picklable callable field → Calculator).

    steps: MD steps per field (timestep fs, temperature K, Langevin friction 1/fs, frames
    every ``every`` steps); equilibration: fraction of the steps discarded at the start
    (0 ≤ f < 1), or "auto" (module docstring); cache_dir: where trajectories are kept (None: no cache); executor,
    max_workers: see :func:`mlpec_lab.executor.map_unordered`; wall_z: Å, the vacuum wall
    of :func:`mlpec_lab.sampling.md.run_md` (None: none).
    Returns a Dataset with dims (field, frame, atom, xyz): ``positions`` (Å), ``charges``
    (e; NaN if the calculator gives none), ``atomic_dipoles`` (e·Å, z), ``energy`` (eV),
    ``dipole_z`` (e·Å), ``cell``;
    attrs say the equilibration rule and which fields came from the cache.
    Turn a field's frames into Atoms with :func:`scan_frames`.
    """
    fields = np.asarray(fields, float).ravel()
    if fields.size == 0:
        raise ValueError("fields must be a non-empty list of Fz values in V/Å")
    if len(np.unique(fields)) != len(fields):
        raise ValueError(f"fields contain duplicates: {list(fields)}")
    if int(steps) < 1 or int(every) < 1:
        raise ValueError(f"steps and every must be positive, got steps={steps}, every={every}")
    if equilibration != "auto" and not (isinstance(equilibration, (int, float))
                                        and 0.0 <= equilibration < 1.0):
        raise ValueError(f"equilibration is the fraction of steps discarded (0 ≤ f < 1) or "
                         f"'auto', got {equilibration!r}")
    mid = model_identity(model, model_id)
    base = structure_digest(atoms)
    clean = atoms.copy()
    clean.calc = None
    jobs, paths, results, cached = [], [], {}, []
    for fz in fields:
        key = json.dumps({"structure": base, "model": mid, "field": round(float(fz), 10),
                          "steps": int(steps), "timestep": timestep, "temperature": temperature,
                          "friction": friction, "seed": seed, "every": int(every),
                          **({"wall_z": float(wall_z)} if wall_z is not None else {})}, sort_keys=True)
        path = None
        if cache_dir is not None:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            path = Path(cache_dir) / f"field_scan_{hashlib.sha256(key.encode()).hexdigest()[:24]}.nc"
            if path.exists():
                with xr.open_dataset(path, engine="h5netcdf") as ds:
                    ds = ds.load()
                if "max_force_deviation" not in ds:  # written before these were recorded
                    ds["max_force_deviation"] = ("frame", np.full(ds.sizes["frame"], np.nan))
                    ds["committee_warning"] = ("frame", np.full(ds.sizes["frame"], "", dtype=str))
                results[float(fz)] = ds
                cached.append(float(fz))
                continue
        jobs.append({"atoms": clean, "field": float(fz), "model": model, "model_id": mid,
                     "steps": int(steps), "timestep": timestep, "temperature": temperature,
                     "friction": friction, "seed": seed, "every": int(every), "wall_z": wall_z})
        paths.append(path)
    for i, ds in map_unordered(_run_field, jobs, executor=executor, max_workers=max_workers):
        if paths[i] is not None:
            _write(ds, paths[i])
        results[jobs[i]["field"]] = ds
    if equilibration == "auto":
        from mlpec_lab.analysis.blocking import detect_equilibration

        starts = []
        for fz in fields:
            e = results[float(fz)].energy.values
            t0 = int(detect_equilibration(e).t0) if len(e) >= 8 else 0
            starts.append(int(results[float(fz)].step.values[t0]))
        n_skip = max(starts)
        rule = ("detected (maximum effective sample size of the energy, Chodera 2016; "
                f"latest over fields): steps < {n_skip} discarded")
    else:
        n_skip = int(np.ceil(equilibration * int(steps)))
        rule = f"first {equilibration:g} of the steps discarded (steps < {n_skip})"
    parts = [results[float(fz)].sel(frame=results[float(fz)].step.values >= n_skip) for fz in fields]
    out = xr.concat([p.drop_vars("cell") for p in parts], dim=xr.DataArray(fields, dims="field", name="field"))
    out["cell"] = parts[0]["cell"]
    out.field.attrs["units"] = "V/Å"
    out.attrs.update(parts[0].attrs)
    out.attrs.pop("field_value", None)
    out.attrs.update(equilibration=rule, equilibration_steps=n_skip, cached_fields=np.array(cached),
                     wall_z="none" if wall_z is None else float(wall_z),
                     symbols=" ".join(Atoms(numbers=parts[0].numbers.values).get_chemical_symbols()))
    _warn_once(out)
    return out


def _warn_once(scan: xr.Dataset) -> None:
    """One warning for the whole scan if the committee flagged any production frame (the
    MD itself runs quiet: a warning per step would bury the notebook)."""
    if "committee_warning" not in scan:
        return
    flagged = (scan.committee_warning != "").sum("frame")
    if int(flagged.sum()) == 0:
        return
    from mlpec_lab.potential.calculator import ExtrapolationWarning

    per_field = ", ".join(f"Fz = {float(f):+.2f}: {int(n)}/{scan.sizes['frame']}"
                          for f, n in zip(scan.field.values, flagged.values) if n)
    worst = float(scan.max_force_deviation.max())
    warnings.warn(f"the committee flagged production frames as outside its training data "
                  f"({per_field}; max force deviation up to {worst:.2f} eV/Å): treat these "
                  f"results as extrapolation (scan.committee_warning says why per frame)",
                  ExtrapolationWarning, stacklevel=3)


def scan_frames(scan: xr.Dataset, field: float) -> list[Atoms]:
    """The production frames at one field as ``ase.Atoms`` with energy, charges, atomic
    dipoles and dipole results attached (so the analyses find the model charges) and
    ``info["field"]``."""
    fz = scan.field.values[np.argmin(np.abs(scan.field.values - field))]
    if abs(fz - field) > 1e-9:
        raise ValueError(f"field {field} V/Å is not in the scan (fields: {list(scan.field.values)})")
    one = scan.sel(field=fz)
    numbers, tags = one.numbers.values, one.tags.values
    pbc = np.asarray(scan.attrs["pbc"], bool)
    frames = []
    for k in range(one.sizes["frame"]):
        a = Atoms(numbers=numbers, positions=one.positions.values[k], cell=one.cell.values, pbc=pbc,
                  tags=tags)
        a.info["field"] = np.array([0.0, 0.0, float(fz)])
        results = {"energy": float(one.energy.values[k])}
        q = one.charges.values[k]
        if np.all(np.isfinite(q)):
            results["charges"] = q
        if np.isfinite(one.dipole_z.values[k]):
            results["dipole"] = np.array([0.0, 0.0, float(one.dipole_z.values[k])])
        a.calc = SinglePointCalculator(a, **results)
        if "atomic_dipoles" in one and "charges" in results:  # older cached scans have none
            a.calc.results["atomic_dipoles"] = one.atomic_dipoles.values[k]
        frames.append(a)
    return frames


def analyse_scan(scan: xr.Dataset, analysis, **kwargs):
    """Apply an analysis ``analysis(frames, **kwargs)`` at each field of the scan and
    stack the results along a ``field`` dimension (V/Å)."""
    parts = [analysis(scan_frames(scan, fz), **kwargs) for fz in scan.field.values]
    out = xr.concat(parts, dim=xr.DataArray(scan.field.values, dims="field", name="field"),
                    coords="minimal", compat="override", combine_attrs="override")
    out.field.attrs["units"] = "V/Å"
    return out
