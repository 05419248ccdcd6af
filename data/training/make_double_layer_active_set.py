"""Active learning on the double layer itself: 16 H2O + Na⁺/Cl⁻ on Pt(111) across the field range.

    OMP_NUM_THREADS=1 python data/training/make_double_layer_active_set.py MODEL OUT [--per-run 6] [--low 0.15] [--high 3.0]

e.g. MODEL = data/model/committee.pt (the shipped committee at commit b2d935f), OUT =
data/training/double_layer. Two gaps of the shipped committee on this system drive it:
Na⁺ drifts onto the metal in 2 ps at Fz = 0, where the members disagree by up to 5 eV/Å,
and the first water layer never turns H-up at positive fields although the oracle turns a
single water over (``data/model/orientation_check.json``). So half of the runs start
with the first layer turned to the orientation the field favours (:func:`orient_first_layer`).
Each run is 2 ps of committee Langevin MD at 330 K (frames every 10 fs); up to
``--per-run`` frames inside the trust window are picked, most uncertain first, and
labelled with GFN1-xTB (resumable). The held-out set's NaCl interface has 14 waters at
−0.15 V/Å; these runs have 16 and fields on the grid ``INDEPENDENT_FIELDS`` (seeds 8000+).
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from mlpec_lab.analysis.profiles import water_molecules
from mlpec_lab.datasets import append_frames
from mlpec_lab.potential.cli import add_trust_window_arguments
from mlpec_lab.reference.labelling import label
from mlpec_lab.sampling.exploration import explore_and_pick
from mlpec_lab.sampling.training_set import INDEPENDENT_FIELDS
from mlpec_lab.systems import interface

RUNS = [  # field (V/Å), first layer turned (+1 H-up, −1 H-down, 0 as built)
    (-0.5, -1), (-0.375, -1), (-0.25, -1), (0.25, +1), (0.375, +1), (0.5, +1),
    (0.5, 0), (-0.5, 0), (0.0, 0), (0.125, 0), (-0.125, 0), (0.0, +1),
]
FIRST_LAYER = 3.6  # Å: waters whose O is at most this far above the top Pt layer


def orient_first_layer(atoms, sign: int):
    """A copy of ``atoms`` whose first-layer waters have their dipole along ``sign``·z:
    a molecule pointing the other way has its hydrogens mirrored through the horizontal
    plane of its oxygen (bond lengths and angle kept)."""
    atoms = atoms.copy()
    z_top = atoms.positions[atoms.symbols == "Pt", 2].max()
    pos = atoms.positions
    for o, h1, h2 in water_molecules(atoms):
        if pos[o, 2] - z_top > FIRST_LAYER:
            continue
        if np.sign(pos[h1, 2] + pos[h2, 2] - 2 * pos[o, 2]) != sign:
            for h in (h1, h2):
                pos[h, 2] = 2 * pos[o, 2] - pos[h, 2]
    atoms.positions = pos
    return atoms


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--per-run", type=int, default=6)
    p.add_argument("--steps", type=int, default=4000, help="MD steps per run (0.5 fs)")
    add_trust_window_arguments(p)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    configs = out / "configs.extxyz"
    model_hash = hashlib.sha256(Path(args.model).read_bytes()).hexdigest()[:16]
    if not configs.exists():
        starts = []
        for k, (field, sign) in enumerate(RUNS):
            assert field in INDEPENDENT_FIELDS
            atoms = interface(n_water=16, ions="NaCl", layers=3, field=field, seed=8000 + k)
            starts.append((orient_first_layer(atoms, sign) if sign else atoms, 330.0))
        picks = explore_and_pick(starts, args.model, args.steps, args.per_run, args.low, args.high,
                                 min_separation=5, tag="double_layer", explored_with=model_hash)
        append_frames(configs.with_suffix(".tmp.extxyz"), picks)
        configs.with_suffix(".tmp.extxyz").replace(configs)
    print(json.dumps(label(configs, out / "labelled.extxyz")))
