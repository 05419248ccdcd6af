"""``mlpec-lab label``: label configurations with the GFN1-xTB oracle."""
from __future__ import annotations

import json
import sys


def _run_label(args) -> int:
    from mlpec_lab.reference.labelling import failures_path, label

    try:
        counts = label(args.input, args.output, field=args.field, executor=args.executor,
                       workers=args.workers, retry_failed=args.retry_failed,
                       progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted: labels so far are in {args.output}; rerun the same command "
              "to resume", file=sys.stderr)
        return 130
    counts["failures_file"] = str(failures_path(args.output))
    print(json.dumps(counts))
    return 0


def register(sub) -> None:
    p = sub.add_parser("label", help="label configurations (extxyz) with the GFN1-xTB oracle",
                       description="Label each configuration of IN with GFN1-xTB (tblite) and "
                       "append it to OUT as it finishes. Rerun to resume; failed SCFs go to "
                       "OUT.failed.jsonl, never into OUT.")
    p.add_argument("input", metavar="IN", help="extxyz file of configurations")
    p.add_argument("output", metavar="OUT", help="extxyz file of labelled configurations (appended)")
    p.add_argument("--field", type=float, default=None,
                   help="Fz in V/Å for every frame (default: each frame's info['field'], else 0)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--executor", default=None,
                   help="'local' (default), 'dask' (local cluster) or 'dask://HOST:PORT'")
    p.add_argument("--retry-failed", action="store_true", help="retry configurations that failed before")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run_label)
