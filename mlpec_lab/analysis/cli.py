"""``mlpec-lab stark``: Stark fit of E(F) for one structure, with a model or the oracle."""
from __future__ import annotations

import json
import sys

import numpy as np


def _fields(values) -> list[float]:
    out = []
    for v in values:
        for part in str(v).split(","):
            if part.strip():
                out.append(float(part))
    return out


def _run_stark(args) -> int:
    from ase.io import read

    from mlpec_lab.analysis.stark import stark_response

    try:
        fields = _fields(args.fields)
    except ValueError as err:
        print(f"error: --fields must be numbers in V/Å ({err})", file=sys.stderr)
        return 2
    if len(set(fields)) < 3:
        print(f"error: a quadratic Stark fit needs at least 3 distinct fields, got {fields}",
              file=sys.stderr)
        return 2
    try:
        atoms = read(args.structure, index=args.frame)
    except FileNotFoundError:
        print(f"error: structure file {args.structure!r} does not exist", file=sys.stderr)
        return 2
    reference = "oracle" if args.compare_oracle and args.model != "oracle" else None
    try:
        result = stark_response(atoms, args.model, fields, reference=reference)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.output:
        result.to_netcdf(args.output, engine="h5netcdf")
    summary = {"structure": args.structure, "model": args.model, "fields": fields,
               "units": {"energy": "eV", "dipole": "e·Å", "polarizability": "e·Å²/V",
                         "field": "V/Å"}}
    for src in result.source.values:
        r = result.sel(source=src)
        entry = {"energy": [float(x) for x in r.energy.values]}
        for est in r.estimate.values:
            e = r.sel(estimate=est)
            entry[est] = {k: (None if not np.isfinite(float(e[k])) else float(e[k]))
                          for k in ("dipole", "dipole_stderr", "polarizability", "polarizability_stderr")}
        entry["hyperpolarizability"] = float(r.hyperpolarizability)
        entry["reduced_chi2"] = float(r.reduced_chi2)
        summary[str(src)] = entry
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        for src in result.source.values:
            fit = summary[str(src)]["fit"]
            print(f"{src}: μ = {fit['dipole']:.5f} ± {fit['dipole_stderr']:.5f} e·Å, "
                  f"α = {fit['polarizability']:.5f} ± {fit['polarizability_stderr']:.5f} e·Å²/V")
    return 0


def register(sub) -> None:
    p = sub.add_parser("stark", help="dipole and polarizability from E(F) (Stark fit)",
                       description="Compute E(F) of STRUCTURE at each field with MODEL (a model "
                       "file, or 'oracle' for GFN1-xTB), fit E0 − μF − ½αF² (and a cubic check), "
                       "and compare with the calculator's own dipole/polarizability at F = 0.")
    p.add_argument("model", metavar="MODEL", help="model file, or 'oracle'")
    p.add_argument("structure", metavar="STRUCTURE", help="structure file ASE can read")
    p.add_argument("--fields", nargs="+", required=True,
                   help="Fz values in V/Å, at least 3: space separated (--fields -0.1 0 0.1) or comma separated after = (--fields=-0.1,0,0.1)")
    p.add_argument("--frame", default="-1", help="frame of STRUCTURE (ASE index, default -1)")
    p.add_argument("--compare-oracle", action="store_true",
                   help="also scan with the oracle and report its estimates")
    p.add_argument("--output", help="write the full result as netCDF")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_run_stark)
