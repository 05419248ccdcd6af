"""``mlpec-lab battery ...``: info, predict, drive-cycle, build-dataset, train."""
from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

DEFAULT_CACHE = "out/battery/cache"


def register(subparsers) -> None:
    p = subparsers.add_parser("battery", help="SPMe + ML correction hybrid battery model")
    sub = p.add_subparsers(dest="battery_command", metavar="ACTION")
    sub.required = True

    q = sub.add_parser("info", help="parameter set, options, capacity, trained range")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.add_argument("--model-dir", default=None, help="trained correction (default data/battery)")
    q.set_defaults(func=_info)

    q = sub.add_parser("predict", help="SPMe and hybrid voltage for a current profile")
    q.add_argument("profile", help="CSV with header time_s,current_A (A, discharge positive)")
    q.add_argument("--temperature", type=float, required=True, help="ambient = initial, K")
    q.add_argument("--initial-soc", type=float, required=True, help="0..1")
    q.add_argument("--json", dest="json_out", required=True, help="output JSON file")
    q.add_argument("--with-dfn", action="store_true", help="also run the DFN reference")
    q.add_argument("--allow-extrapolation", action="store_true",
                   help="run outside the trained range (a warning is recorded in the output)")
    q.add_argument("--model-dir", default=None)
    q.set_defaults(func=_predict)

    q = sub.add_parser("drive-cycle", help="write a seeded synthetic drive cycle as CSV")
    q.add_argument("out", help="output CSV")
    q.add_argument("--seed", type=int, default=2024)
    q.add_argument("--duration", type=float, default=1800.0, help="s")
    q.add_argument("--peak-c-rate", type=float, default=2.0)
    q.set_defaults(func=_drive_cycle)

    q = sub.add_parser("build-dataset", help="solve SPMe and DFN over the design (resumable)")
    q.add_argument("--cache", default=DEFAULT_CACHE)
    q.add_argument("--quick", action="store_true", help="a small design (tests, demos)")
    q.add_argument("--executor", default=None, help="local (default), dask, dask://host:port")
    q.add_argument("--workers", type=int, default=1)
    q.set_defaults(func=_build)

    q = sub.add_parser("train", help="train the correction on the cached dataset")
    q.add_argument("--cache", default=DEFAULT_CACHE)
    q.add_argument("--out", default=None, help="output directory (default data/battery)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--epochs", type=int, default=100)
    q.add_argument("--max-per-case", type=int, default=1000,
                   help="evenly spaced training samples per case")
    q.add_argument("--quick", action="store_true")
    q.set_defaults(func=_train)


def _model_dir(args):
    from .hybrid import DEFAULT_MODEL_DIR

    return Path(args.model_dir) if getattr(args, "model_dir", None) else DEFAULT_MODEL_DIR


def _info(args) -> int:
    from . import physics
    from .hybrid import TRAINED_RANGE

    info = {"parameter_set": physics.PARAMETER_SET, "dfn_options": physics.MODEL_OPTIONS,
            "spme_options": physics.MODEL_OPTIONS, "spme_var_pts": physics.SPME_VAR_PTS,
            "nominal_capacity_Ah": physics.nominal_capacity_Ah(),
            "voltage_limits_V": list(physics.voltage_limits()),
            "trained_range": TRAINED_RANGE, "model_dir": str(_model_dir(args))}
    meta_path = _model_dir(args) / "correction.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        info["trained_range"] = meta.get("trained_range", TRAINED_RANGE)
        info["metrics_held_out"] = meta.get("metrics_held_out")
        info["rebuild_command"] = meta.get("command")
    else:
        info["model_dir"] += " (no trained correction found)"
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        for k, v in info.items():
            print(f"{k}: {v}")
    return 0


def _clean(values):
    return [None if not math.isfinite(v) else round(float(v), 6) for v in values]


def _predict(args) -> int:
    from .correction import load_correction
    from .hybrid import OutOfRangeError, predict
    from .protocols import read_profile_csv

    try:
        profile = read_profile_csv(args.profile)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    from . import physics
    from .hybrid import TRAINED_RANGE, range_problems

    meta_path = _model_dir(args) / "correction.json"
    trained = (json.loads(meta_path.read_text()).get("trained_range", TRAINED_RANGE)
               if meta_path.exists() else TRAINED_RANGE)
    problems = range_problems(profile, args.temperature, args.initial_soc,
                              physics.nominal_capacity_Ah(), trained)
    if problems and not args.allow_extrapolation:
        print("error: " + "; ".join(problems) + " (pass --allow-extrapolation to run anyway; "
              "a warning is then recorded in the output)", file=sys.stderr)
        return 2
    try:
        correction, _ = load_correction(_model_dir(args))
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = predict(profile, args.temperature, args.initial_soc, correction=correction,
                          with_dfn=args.with_dfn, allow_extrapolation=args.allow_extrapolation)
    except OutOfRangeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = {"time_s": _clean(res["time"].values),
           "current_A": _clean(res["current"].values),
           "voltage_spme_V": _clean(res["voltage_spme"].values),
           "voltage_hybrid_V": _clean(res["voltage_hybrid"].values),
           "voltage_hybrid_std_V": _clean(res["voltage_hybrid_std"].values),
           "wall_time_s": {"spme": res.attrs["wall_time_spme_s"],
                           "hybrid": res.attrs["wall_time_hybrid_s"]},
           "temperature_K": args.temperature, "initial_soc": args.initial_soc,
           "parameter_set": res.attrs["parameter_set"],
           "warnings": json.loads(res.attrs["warnings"])}
    if args.with_dfn:
        out["voltage_dfn_V"] = _clean(res["voltage_dfn"].values)
        out["wall_time_s"]["dfn"] = res.attrs["wall_time_dfn_s"]
    Path(args.json_out).write_text(json.dumps(out) + "\n")
    walls = ", ".join(f"{k} {v:.3f} s" for k, v in out["wall_time_s"].items())
    print(f"wrote {args.json_out} ({len(out['time_s'])} samples; wall time {walls})")
    for w in out["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _drive_cycle(args) -> int:
    from . import physics
    from .protocols import drive_cycle, write_profile_csv

    prof = drive_cycle(args.seed, physics.nominal_capacity_Ah(), args.duration,
                       peak_c_rate=args.peak_c_rate, regen_c_rate=min(1.0, args.peak_c_rate))
    write_profile_csv(prof, args.out, comment=(
        f"synthetic drive cycle from mlpec_lab.battery.protocols.drive_cycle(seed={args.seed}, "
        f"capacity_Ah={physics.nominal_capacity_Ah():g}, duration_s={args.duration:g}, "
        f"peak_c_rate={args.peak_c_rate:g})\n"
        f"regenerate: mlpec-lab battery drive-cycle {args.out} --seed {args.seed} "
        f"--duration {args.duration:g} --peak-c-rate {args.peak_c_rate:g}"))
    print(f"wrote {args.out}")
    return 0


def _build(args) -> int:
    from . import dataset

    train = dataset.training_cases(quick=args.quick)   # cheap cases first, drive cycles last
    cases = sorted(train, key=lambda c: c["kind"] == "drive_cycle") + dataset.held_out_cases()
    report = dataset.build_dataset(cases, args.cache, executor=args.executor,
                                   max_workers=args.workers)
    print(json.dumps({k: len(v) for k, v in report.items()}))
    for name in report["failed"]:
        print(f"failed: {name} (see {args.cache}/{name}.failed.json)", file=sys.stderr)
    return 0


def _train(args) -> int:
    from .train import train_and_save

    out = Path(args.out) if args.out else _model_dir(args)
    command = (f"mlpec-lab battery build-dataset --cache {args.cache}"
               f"{' --quick' if args.quick else ''} && mlpec-lab battery train --cache "
               f"{args.cache} --seed {args.seed} --epochs {args.epochs} "
               f"--max-per-case {args.max_per_case}{' --quick' if args.quick else ''}")
    meta = train_and_save(args.cache, out, seed=args.seed, epochs=args.epochs,
                          quick=args.quick, command=command, max_per_case=args.max_per_case)
    for name, m in meta["metrics_held_out"].items():
        print(f"{name}: SPMe {m['spme_rmse_mV']:.2f} mV, hybrid {m['hybrid_rmse_mV']:.2f} mV")
    print(f"wrote {out}/correction.pt and correction.json")
    return 0


def main(argv=None) -> int:
    """Run the battery commands alone: ``python -m mlpec_lab.battery.cli info --json``."""
    import argparse

    parser = argparse.ArgumentParser(prog="mlpec-lab")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["battery", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
