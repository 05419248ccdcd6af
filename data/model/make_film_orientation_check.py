"""Does the film's first water layer turn over with the field? A model's double layer (issue 5).

    OMP_NUM_THREADS=1 python data/model/make_film_orientation_check.py OUT.json [MODEL] [--steps 4000] [--workers 2]
        [--fields -0.5 -0.3 0 0.3 0.5] [--first-layer-below Z]

``interface(n_water=16, ions="NaCl", layers=3, seed=0)`` (notebook 05's interface) run by
MODEL (default: the shipped committee) with :func:`mlpec_lab.analysis.field_scan` at Fz =
−0.5, −0.3, 0, +0.3, +0.5 V/Å (or ``--fields``): Langevin 300 K, 0.5 fs steps, frames
every 10 fs, the vacuum wall, the first 20 % discarded, 4 blocks for the standard errors.
Reports per field the first layer's ⟨cos θ⟩ of the water dipole with the normal (O below
the first minimum of ρ_O at Fz = 0, or ``--first-layer-below`` Å when 0 is not among
``--fields``; positive: H-up) and the first density peaks of O, Na and Cl (Å above the
surface), each with its block standard error. Trajectories are cached in out/field_scans.
"""
import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from mlpec_lab.analysis import (analyse_scan, block_results, block_sem, density_profiles,
                                field_scan, layering, water_orientation)
from mlpec_lab.paths import SHIPPED_MODEL
from mlpec_lab.sampling.md import DEFAULT_WALL_Z
from mlpec_lab.systems import interface

FIELDS = (-0.5, -0.3, 0.0, 0.3, 0.5)

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("model", nargs="?", default=str(SHIPPED_MODEL))
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--fields", type=float, nargs="+", default=list(FIELDS), help="V/Å")
    p.add_argument("--first-layer-below", type=float, default=None,
                   help="Å above the surface; default: the first minimum of ρ_O at Fz = 0")
    args = p.parse_args()
    if args.first_layer_below is None and 0.0 not in args.fields:
        p.error("without Fz = 0 among --fields, give --first-layer-below (Å)")
    atoms = interface(n_water=16, ions="NaCl", layers=3, seed=0)
    scan = field_scan(atoms, args.fields, args.model, steps=args.steps, every=20, timestep=0.5,
                      temperature=300, cache_dir="out/field_scans", wall_z=DEFAULT_WALL_Z,
                      max_workers=args.workers)
    blocks = analyse_scan(scan, block_results, function=density_profiles, n_blocks=4,
                          species=["O", "Na", "Cl"], bin_width=0.25)
    layers = block_sem(layering(blocks, smooth=3))
    z1 = (args.first_layer_below if args.first_layer_below is not None
          else float(layers.first_minimum.sel(field=0.0, species="O")))
    first = block_sem(analyse_scan(scan, block_results, function=water_orientation, n_blocks=4,
                                   z_range=(0.0, z1), bin_width=z1, n_cos=10))
    report = {"model": os.path.relpath(args.model), "fields_V_per_A": args.fields,
              "steps_per_field": args.steps, "frames_used": int(scan.sizes["frame"]),
              "first_layer_O_below_A": z1,
              "first_layer_cos_dipole": first.mean_cos_dipole[:, 0].values.round(3).tolist(),
              "first_layer_cos_dipole_sem": first.mean_cos_dipole_sem[:, 0].values.round(3).tolist(),
              "units": {"peaks": "Å above the surface", "cos": "1"},
              "command": shlex.join(["python", *sys.argv])}
    for s in ("O", "Na", "Cl"):
        report[f"first_peak_{s}"] = layers.first_peak.sel(species=s).values.round(2).tolist()
        report[f"first_peak_{s}_sem"] = layers.first_peak_sem.sel(species=s).values.round(2).tolist()
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
