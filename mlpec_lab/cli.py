"""Command line: ``mlpec-lab <command> ...``.

Each capability keeps its own sub-commands in a module with ``register(subparsers)``;
this file only lists those modules, so the CLI stays thin.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: modules that provide ``register(subparsers)``; each adds its own commands
COMMAND_MODULES = [
    "mlpec_lab.battery.cli",
    "mlpec_lab.reference.cli",
    "mlpec_lab.demo",
    "mlpec_lab.potential.cli",
    "mlpec_lab.analysis.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlpec-lab",
        description="Machine-learning interatomic potentials at electrochemical interfaces.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
