"""``mlpec-lab demo OUT``: write the tour's figures headless."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def write_demo_figures(out_dir, quick: bool | None = None) -> list[Path]:
    """Write the tour's figures (PNG) into ``out_dir``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ase.build import molecule

    from mlpec_lab.figures import field_scan_plot, interface_side_view
    from mlpec_lab.reference.field_scan import oracle_field_scan
    from mlpec_lab.systems import interface

    quick = os.environ.get("MLPEC_QUICK") == "1" if quick is None else quick
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    atoms = interface(n_water=16, ions="NaCl", adsorbates=("OH",), field=0.3, seed=0)
    ax = interface_side_view(atoms)
    written.append(out / "interface.png")
    ax.figure.savefig(written[-1], dpi=120)
    plt.close(ax.figure)
    target = molecule("H2O") if quick else interface(n_water=4, seed=0)
    scan = oracle_field_scan(target, np.linspace(-0.5, 0.5, 5 if quick else 11))
    axes = field_scan_plot(scan)
    written.append(out / "oracle_field_scan.png")
    axes[0].figure.savefig(written[-1], dpi=120)
    plt.close(axes[0].figure)
    scan.to_netcdf(out / "oracle_field_scan.nc")
    return written


def _run(args) -> int:
    for path in write_demo_figures(args.output):
        print(path)
    return 0


def register(sub) -> None:
    p = sub.add_parser("demo", help="write the tour's figures headless into a folder")
    p.add_argument("output", nargs="?", default="out/demo", help="folder (default out/demo)")
    p.set_defaults(func=_run)
