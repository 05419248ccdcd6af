"""Benchmark: ML potential (fused Numba committee) vs the GFN1-xTB oracle, and MD
throughput of one member at ~1000 atoms vs ASE's EMT, in one run.

    python benchmarks/bench_potential.py [--model data/model/committee.pt] [--quick] [--oracle-limit 900]

Speed does not depend on the weights, so without a model file a committee of random
networks with the default descriptor is timed. The 6×6 oracle single point runs in a
child process stopped after ``--oracle-limit`` seconds: if it has not finished by then
the table gives the limit as a lower bound of the oracle's time and of the speed-up.
Updates "## ML potential" in RESULTS.md.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402
from ase.md.verlet import VelocityVerlet  # noqa: E402
from ase import units  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from results_section import update_section  # noqa: E402

from mlpec_lab.kernels.symmetry_spec import default_spec  # noqa: E402
from mlpec_lab.potential.calculator import MLPotential  # noqa: E402
from mlpec_lab.potential.model import FieldAwareBP  # noqa: E402
from mlpec_lab.reference import XTBReference  # noqa: E402
from mlpec_lab.systems import interface  # noqa: E402

HEADING = "## ML potential"


def committee(model_path, members):
    if model_path:
        return MLPotential(model_path, threshold=1e9)
    torch.manual_seed(0)
    spec = default_spec()
    nets = [FieldAwareBP.from_spec(spec, 32).double() for _ in range(members)]
    return MLPotential((nets, {"spec": spec, "field_range": [-0.5, 0.5],
                               "force_deviation_threshold": 1e9}))


def time_single_points(atoms, calc, repeats):
    times = []
    for k in range(repeats):
        a = atoms.copy()
        a.positions[a.get_tags() == 0] += 1e-3 * k
        a.calc = calc
        t0 = time.perf_counter()
        a.get_potential_energy()
        a.get_forces()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _oracle_child(atoms, queue):
    queue.put(time_single_points(atoms, XTBReference(), 1))


def time_oracle_limited(atoms, limit):
    """Oracle energy+forces time (s) in a child process; (limit, False) if it ran over."""
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_oracle_child, args=(atoms, queue))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.terminate()
        child.join()
        return float(limit), False
    if child.exitcode != 0:
        raise RuntimeError(f"the oracle call failed in its child process (exit code {child.exitcode})")
    return queue.get(timeout=10), True


def md_throughput(atoms, calc, steps):
    atoms = atoms.copy()
    atoms.calc = calc
    dyn = VelocityVerlet(atoms, 0.5 * units.fs)
    dyn.run(2)  # warm-up, compilation
    t0 = time.perf_counter()
    dyn.run(steps)
    return len(atoms) * steps / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--quick", action="store_true", help="skip the 6x6 oracle call, short MD, "
                    "do not touch RESULTS.md")
    ap.add_argument("--skip-6x6-oracle", action="store_true",
                    help="skip only the 6x6 oracle call (tens of minutes on one core); RESULTS.md "
                         "then says it was not measured")
    ap.add_argument("--oracle-limit", type=float, default=900.0,
                    help="seconds the 6x6 oracle call may run before it is stopped and its "
                         "time reported as a lower bound (default 900)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    demo = interface(n_water=16, ions="NaCl", layers=3, field=0.3, seed=0)
    big = interface(n_water=64, ions={"Na": 2, "Cl": 2}, layers=3, size=(6, 6), field=0.3, seed=0)
    ml = committee(args.model, 4)
    time_single_points(demo, ml, 2)  # compile
    for name, atoms in [("3x3 demo cell", demo), ("6x6 cell", big)]:
        t_ml = time_single_points(atoms, ml, 5)
        finished = True
        if atoms is demo:
            t_or = time_single_points(atoms, XTBReference(), 3)
        elif args.quick or args.skip_6x6_oracle:
            t_or = float("nan")
        else:
            t_or, finished = time_oracle_limited(atoms, args.oracle_limit)
        rows.append((name, len(atoms), t_or, t_ml, t_or / t_ml, finished))
        print(rows[-1], flush=True)
    md_atoms = interface(n_water=230, layers=3, size=(10, 10), seed=0)
    md_atoms.set_constraint()
    one = committee(None if args.model is None else args.model, 1)
    if args.model:
        one.members, one.weights = one.members[:1], {k: v[:1] for k, v in one.weights.items()}
    ml_rate = md_throughput(md_atoms, one, 10 if args.quick else 40)
    emt_rate = md_throughput(md_atoms, EMT(), 10 if args.quick else 40)
    text = [f"{HEADING}", "", "`python benchmarks/bench_potential.py`"
            + (f" --model {args.model}" if args.model else " (random weights: speed does not depend on them)")
            + f", one thread, medians; {time.strftime('%Y-%m-%d')}.", "",
            f"### Energy + forces, committee of {len(ml.members)} (fused Numba kernel) vs GFN1-xTB oracle", "",
            "| system | atoms | oracle s | ML s | speed-up (target) |", "|---|---|---|---|---|"]
    for (name, n, t_or, t_ml, ratio, finished), target in zip(rows, (300, 3000)):
        if not finished:
            text.append(f"| {name} | {n} | > {t_or:.0f} (stopped at the limit) | {t_ml * 1e3:.1f} ms "
                        f"| > {ratio:.0f}× (≥ {target}×) |")
        elif np.isfinite(t_or):
            text.append(f"| {name} | {n} | {t_or:.2f} | {t_ml * 1e3:.1f} ms | {ratio:.0f}× (≥ {target}×) |")
        else:
            text.append(f"| {name} | {n} | not measured (--skip-6x6-oracle) | {t_ml * 1e3:.1f} ms | — (≥ {target}×) |")
    text += ["", f"### MD throughput of one member, {len(md_atoms)} atoms (Pt(111) 10×10×3 + 230 H2O), velocity Verlet", "",
             "| potential | atom-steps/s | ratio to EMT |", "|---|---|---|",
             f"| ML (1 member) | {ml_rate:.3g} (target ≥ 1e4) | {ml_rate / emt_rate:.2f} |",
             f"| ASE EMT | {emt_rate:.3g} | 1 |"]
    print("\n".join(text))
    if not args.quick:
        update_section(HEADING, "\n".join(text) + "\n")


if __name__ == "__main__":
    main()
