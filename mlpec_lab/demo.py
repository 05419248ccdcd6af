"""``mlpec-lab demo OUT``: write every notebook's figures headless (PNG), one group per
notebook: tour, potential, double_layer, battery."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

GROUPS = ("tour", "potential", "double_layer", "battery")


def _save(fig, path: Path, written: list) -> None:
    fig.savefig(path, dpi=120)
    written.append(path)


def _tour(out: Path, quick: bool) -> list[Path]:
    import matplotlib.pyplot as plt
    from ase.build import molecule

    from mlpec_lab.figures import field_scan_plot, interface_side_view
    from mlpec_lab.reference.field_scan import oracle_field_scan
    from mlpec_lab.systems import interface

    written = []
    atoms = interface(n_water=16, ions="NaCl", adsorbates=("OH",), field=0.3, seed=0)
    ax = interface_side_view(atoms)
    _save(ax.figure, out / "interface.png", written)
    plt.close(ax.figure)
    target = molecule("H2O") if quick else interface(n_water=4, seed=0)
    scan = oracle_field_scan(target, np.linspace(-0.5, 0.5, 5 if quick else 11))
    axes = field_scan_plot(scan)
    _save(axes[0].figure, out / "oracle_field_scan.png", written)
    plt.close(axes[0].figure)
    scan.to_netcdf(out / "oracle_field_scan.nc")
    return written


def _potential(out: Path, quick: bool) -> list[Path]:
    import xarray as xr

    from mlpec_lab.datasets import read_dataset
    from mlpec_lab.figures import (exploration_plot, learning_curves_plot, parity_plots,
                                   uncertainty_plot)
    from mlpec_lab.paths import DATA_DIR, SHIPPED_MODEL
    from mlpec_lab.potential.evaluation import predictions
    from mlpec_lab.potential.modelfile import load_committee
    from mlpec_lab.sampling.exploration import TRUST_WINDOW, explore, select_uncertain
    from mlpec_lab.systems import interface

    written = []
    members, payload = load_committee(SHIPPED_MODEL)
    test = read_dataset(DATA_DIR / "test" / "labelled.extxyz").frames
    pred = predictions(members, test[::4] if quick else test, payload["spec"], payload["core_radii"])
    _save(parity_plots(pred), out / "potential_parity.png", written)
    _save(uncertainty_plot(pred), out / "potential_uncertainty.png", written)
    with xr.open_dataset(str(SHIPPED_MODEL) + ".curves.nc") as curves:
        _save(learning_curves_plot(curves.load()), out / "potential_learning_curves.png", written)
    start = interface(n_water=12, ions="NaCl", field=-0.25, seed=11)  # as notebook 02
    frames = explore(start, (members, payload), 60 if quick else 1000, every=10)
    picks = select_uncertain(frames[1:], 6, *TRUST_WINDOW, min_separation=3)
    _save(exploration_plot(frames, picks, *TRUST_WINDOW), out / "potential_exploration.png", written)
    return written


def _double_layer(out: Path, quick: bool) -> list[Path]:
    import warnings

    from mlpec_lab.analysis import (analyse_scan, block_results, block_sem, density_profiles,
                                    field_scan, interface_electrostatics, water_orientation)
    from mlpec_lab.figures import (density_profiles_plot, orientation_profile_plot,
                                   potential_profile_plot)
    from mlpec_lab.paths import SHIPPED_MODEL
    from mlpec_lab.potential.calculator import ExtrapolationWarning
    from mlpec_lab.sampling.md import DEFAULT_WALL_Z
    from mlpec_lab.systems import interface

    written = []
    atoms = interface(n_water=8 if quick else 16, ions="NaCl", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)  # recorded per frame in the scan
        scan = field_scan(atoms, [-0.3, 0.0, 0.3], SHIPPED_MODEL, steps=60 if quick else 4000,
                          every=5 if quick else 20, temperature=300, cache_dir=out / "field_scans",
                          wall_z=DEFAULT_WALL_Z)
    profiles = block_sem(analyse_scan(scan, block_results, function=density_profiles, n_blocks=4,
                                      species=["O", "H", "Na", "Cl"], bin_width=0.25))
    _save(density_profiles_plot(profiles, z_max=14), out / "double_layer_density.png", written)
    orientation = block_sem(analyse_scan(scan, block_results, function=water_orientation,
                                         n_blocks=4, bin_width=0.5))
    _save(orientation_profile_plot(orientation, z_max=10), out / "double_layer_orientation.png", written)
    electro = analyse_scan(scan, interface_electrostatics)
    _save(potential_profile_plot(electro, z_max=16), out / "double_layer_potential.png", written)
    return written


def _battery(out: Path, quick: bool) -> list[Path]:
    from mlpec_lab import battery
    from mlpec_lab.battery import hybrid
    from mlpec_lab.figures import battery_voltage_plot

    written = []
    profile = battery.read_profile_csv(hybrid.DEFAULT_MODEL_DIR / "drive_cycle_30min_seed2024.csv")
    if quick:
        profile = battery.Profile(profile.time_s[:301], profile.current_A[:301], profile.name)
    result = battery.predict(profile, temperature=283.0, initial_soc=0.9, with_dfn=True)
    _save(battery_voltage_plot(result), out / "battery_drive_cycle.png", written)
    return written


def write_demo_figures(out_dir, quick: bool | None = None, groups=GROUPS) -> list[Path]:
    """Write the figures of ``groups`` (default all notebooks) as PNG into ``out_dir``;
    return their paths. quick: fewer steps and smaller systems (default: MLPEC_QUICK)."""
    import matplotlib

    matplotlib.use("Agg")
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown figure group(s) {', '.join(unknown)}: choose from {', '.join(GROUPS)}")
    quick = os.environ.get("MLPEC_QUICK") == "1" if quick is None else quick
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    makers = {"tour": _tour, "potential": _potential, "double_layer": _double_layer,
              "battery": _battery}
    written = []
    for name in groups:
        written += makers[name](out, quick)
    return written


def _run(args) -> int:
    for path in write_demo_figures(args.output, groups=args.only or GROUPS):
        print(path)
    return 0


def register(sub) -> None:
    p = sub.add_parser("demo", help="write every notebook's figures headless into a folder")
    p.add_argument("output", nargs="?", default="out/demo", help="folder (default out/demo)")
    p.add_argument("--only", nargs="+", choices=GROUPS, help="only these groups of figures")
    p.set_defaults(func=_run)
