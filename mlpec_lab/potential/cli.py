"""``mlpec-lab train | evaluate | md | explore``: the ML potential from the command line."""
from __future__ import annotations

import json
import sys
import warnings


def _train(args) -> int:
    from mlpec_lab.kernels.symmetry_spec import default_spec
    from mlpec_lab.potential.committee import train_committee
    from mlpec_lab.potential.training import TrainingConfig

    cfg = TrainingConfig(hidden=args.hidden, epochs=args.epochs, patience=args.patience,
                         lr=args.lr, weight_decay=args.weight_decay,
                         weight_energy=args.weights[0], weight_forces=args.weights[1],
                         weight_dipole=args.weights[2], force_balance=args.force_balance,
                         dtype=args.dtype, seed=args.seed, bootstrap=not args.no_bootstrap,
                         max_force=args.max_force if args.max_force > 0 else None)
    spec = default_spec(rc_radial=args.rc_radial, rc_angular=args.rc_angular,
                        n_radial=args.n_radial, height=args.height_features,
                        cell_dipole=args.cell_dipole)
    summary = train_committee(args.data, args.out, n_members=args.members, cfg=cfg, spec=spec,
                              executor=args.executor, workers=args.workers)
    print(json.dumps({"model": args.out, **summary}, indent=1))
    return 0


def _evaluate(args) -> int:
    from mlpec_lab.potential.committee import read_labelled_frames
    from mlpec_lab.potential.evaluation import evaluate
    from mlpec_lab.potential.modelfile import load_committee

    members, payload = load_committee(args.model)
    max_force = args.max_force if args.max_force > 0 else None
    try:
        frames, left_out = read_labelled_frames(args.data, max_force)
    except ValueError as exc:
        print(f"{exc}" + (f" within --max-force {max_force} eV/Å" if max_force else ""),
              file=sys.stderr)
        return 2
    metrics = evaluate(members, frames, payload["spec"], payload["core_radii"])
    metrics["model"], metrics["data"] = args.model, args.data
    metrics["max_force_eV_per_A"], metrics["left_out_max_force"] = max_force, left_out
    text = json.dumps(metrics, indent=1)
    if args.json and args.json != "-":
        with open(args.json, "w") as fh:
            fh.write(text + "\n")
    print(text)
    return 0


def _md(args) -> int:
    import numpy as np
    from ase.io import read

    from mlpec_lab.datasets import append_frames
    from mlpec_lab.potential.calculator import MLPotential
    from mlpec_lab.analysis.structure import closest_pair
    from mlpec_lab.sampling.md import MDStopped, energy_drift, run_md

    atoms = read(args.structure)
    if args.field is not None:
        atoms.info["field"] = np.array([0.0, 0.0, args.field])
    # quiet per step (a warning per step would bury the output); one summary at the end
    atoms.calc = MLPotential(args.model, on_uncertainty="raise" if args.strict else "quiet")
    flagged = 0
    times, energies, temperatures, deviations, closest = [], [], [], [], []
    symbols = atoms.get_chemical_symbols()
    try:
        for step, frame in run_md(atoms, args.steps, timestep=args.timestep,
                                  temperature=args.temperature,
                                  friction=None if args.nve else args.friction,
                                  seed=args.seed, every=args.every, wall_z=args.wall):
            times.append(step * args.timestep)
            energies.append(frame.get_potential_energy() + atoms.get_kinetic_energy())
            temperatures.append(atoms.get_temperature())
            deviations.append(float(atoms.calc.results["max_force_deviation"]))
            flagged += bool(atoms.calc.last_warning)
            closest.append(closest_pair(frame, symbols))
            frame.info["field"] = atoms.info.get("field", np.zeros(3))
            frame.info["md_step"] = step
            if args.out:
                append_frames(args.out, [frame])
    except MDStopped as stop:
        if args.out and stop.last_good is not None:
            append_frames(args.out + ".last_good.extxyz", [stop.last_good])
        print(f"MD stopped: {stop}", file=sys.stderr)
        stopped = {"stopped": str(stop), "stopped_at_step": stop.step}
    else:
        stopped = {}
    report = {"steps": args.steps, "frames": len(energies), "n_atoms": len(atoms),
              "ensemble": "NVE" if args.nve else "Langevin", "wall_z_A": args.wall, **stopped,
              **(energy_drift(times, energies, len(atoms)) if len(times) >= 3 else {}),
              "temperature_mean_K": float(np.mean(temperatures)) if temperatures else None,
              "max_force_deviation_max_eV_per_A": float(np.max(deviations)) if deviations else None,
              "frames_flagged_by_committee": flagged,
              "closest_pair": min(closest, key=lambda c: np.inf if c[1] is None else c[1])
              if closest else None}
    if flagged:
        print(f"warning: the committee flagged {flagged} of {len(energies)} frames as outside its "
              f"training data (max force deviation up to {np.max(deviations):.2f} eV/Å)",
              file=sys.stderr)
    print(json.dumps(report))
    return 3 if stopped else 0


def _explore(args) -> int:
    import numpy as np
    from ase.io import read

    from mlpec_lab.datasets import append_frames
    from mlpec_lab.sampling.exploration import explore, select_uncertain

    atoms = read(args.structure)
    frames = explore(atoms, args.model, args.steps, field=args.field, temperature=args.temperature,
                     every=args.every, seed=args.seed)
    picks = select_uncertain(frames[1:], args.picks, args.low, args.high,
                             min_separation=args.min_separation)
    if picks:
        append_frames(args.out, picks)
    sigma = [a.info["max_force_deviation"] for a in frames] or [np.nan]
    print(json.dumps({"frames": len(frames), "steps_requested": args.steps,
                      "stopped_early": len(frames) <= args.steps // args.every,
                      "max_force_deviation_max_eV_per_A": float(np.max(sigma)),
                      "max_force_deviation_median_eV_per_A": float(np.median(sigma)),
                      "in_window": int(sum(args.low <= s < args.high for s in sigma[1:])),
                      "picked": len(picks), "out": args.out if picks else None}))
    return 0


def add_trust_window_arguments(parser) -> None:
    """--low/--high: the trust window on the max committee force deviation (eV/Å)."""
    from mlpec_lab.sampling.exploration import TRUST_WINDOW

    parser.add_argument("--low", type=float, default=TRUST_WINDOW[0], help="trust window, eV/Å")
    parser.add_argument("--high", type=float, default=TRUST_WINDOW[1], help="trust window, eV/Å")


def register(sub) -> None:
    from mlpec_lab.sampling.md import DEFAULT_WALL_Z

    p = sub.add_parser("train", help="train a committee on labelled extxyz datasets")
    p.add_argument("data", nargs="+", help="labelled extxyz files")
    p.add_argument("--out", required=True, help="model file to write")
    p.add_argument("--members", type=int, default=4)
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--patience", type=int, default=60)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--n-radial", type=int, default=16, help="radial symmetry functions per element")
    p.add_argument("--rc-radial", type=float, default=6.0, help="radial cutoff, Å")
    p.add_argument("--rc-angular", type=float, default=4.0, help="angular cutoff, Å")
    p.add_argument("--height-features", action="store_true",
                   help="give the networks each atom's height above the electrode "
                        "(kernels/electrode_height.py)")
    p.add_argument("--cell-dipole", action="store_true",
                   help="add the periodic cell's dipole energy −c (Σ q z)² that the oracle's "
                        "3D Ewald sum holds (mlpec_lab/potential/model.py)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.0,
                   help="AdamW weight decay of the network weights (0: plain Adam)")
    p.add_argument("--weights", type=float, nargs=3, default=(1.0, 1.0, 1.0),
                   metavar=("E", "F", "MU"), help="loss weights of energy, forces, μz")
    p.add_argument("--force-balance", type=float, default=0.0, metavar="P",
                   help="weight each element's force residuals by its share of the force labels "
                        "to the power -P (0: every atom alike; 0.5: rare ions count more)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-bootstrap", action="store_true",
                   help="train every member on the whole training split (members then differ by "
                        "their seeds only) instead of a bootstrap resample of it")
    p.add_argument("--max-force", type=float, default=15.0,
                   help="leave out frames with a force component above this, eV/Å (0: keep all)")
    p.add_argument("--workers", type=int, default=1, help="members trained in parallel")
    p.add_argument("--executor", default=None, help="'local', 'dask' or 'dask://HOST:PORT'")
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="errors of a model on labelled data (JSON)")
    p.add_argument("model")
    p.add_argument("data", nargs="+")
    p.add_argument("--json", nargs="?", const="-", default="-", help="also write JSON to this file")
    p.add_argument("--max-force", type=float, default=0.0,
                   help="leave out frames with a labelled force component above this, eV/Å, as "
                        "training does (0: keep all)")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("md", help="ML-driven molecular dynamics")
    p.add_argument("model")
    p.add_argument("structure", help="any ASE-readable structure")
    p.add_argument("--field", type=float, default=None, help="Fz, V/Å (default: the structure's)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--timestep", type=float, default=0.5, help="fs")
    p.add_argument("--temperature", type=float, default=300.0, help="K")
    p.add_argument("--friction", type=float, default=0.02, help="Langevin friction, 1/fs")
    p.add_argument("--nve", action="store_true", help="velocity Verlet (no thermostat)")
    p.add_argument("--every", type=int, default=10, help="write a frame every N steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="extxyz trajectory (appended)")
    p.add_argument("--wall", type=float, nargs="?", const=DEFAULT_WALL_Z, default=None,
                   help="harmonic wall (5 eV/Å²) above which no mobile atom goes, z in Å "
                        f"(bare --wall: {DEFAULT_WALL_Z:g} Å, the protocol's vacuum kept empty)")
    p.add_argument("--strict", action="store_true",
                   help="stop when the committee disagrees beyond the model's threshold")
    p.set_defaults(func=_md)

    p = sub.add_parser("explore", help="active learning: committee MD, pick the frames it disagrees on",
                       description="Langevin MD with the committee; the recorded frames whose max "
                       "committee force deviation lies in [LOW, HIGH) eV/Å are appended to OUT, "
                       "most uncertain first, for `mlpec-lab label OUT LABELLED`.")
    p.add_argument("model")
    p.add_argument("structure", help="any ASE-readable starting structure")
    p.add_argument("--out", required=True, help="extxyz file the picks are appended to")
    p.add_argument("--steps", type=int, default=2000, help="MD steps (0.5 fs)")
    p.add_argument("--every", type=int, default=20, help="record a frame every N steps")
    p.add_argument("--field", type=float, default=None, help="Fz, V/Å (default: the structure's)")
    p.add_argument("--temperature", type=float, default=330.0, help="K")
    add_trust_window_arguments(p)
    p.add_argument("--picks", type=int, default=6, help="frames to pick at most")
    p.add_argument("--min-separation", type=int, default=3, help="recorded frames between picks")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_explore)
