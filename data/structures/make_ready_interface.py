"""The tour's ready interface: 3×3 Pt(111) (3 layers), 16 H2O and Na⁺/Cl⁻, equilibrated at 330 K.

    OMP_NUM_THREADS=1 python data/structures/make_ready_interface.py [MODEL]

``interface(n_water=16, ions="NaCl", layers=3, field=0.0, seed=2)`` as built is far from
equilibrium (its first MD steps heat it to ~540 K); this runs 2 ps of Langevin MD at 330 K
with the shipped committee (0.5 fs steps, friction 0.02/fs, the vacuum wall at 24 Å,
``mlpec-lab md``) at Fz = 0 and keeps the last frame as ``ready_interface.extxyz``
(velocities included; the electrode stays fixed). Rerun it when the shipped committee
changes: the provenance records the committee's hash and a test compares it.
"""
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from ase.io import read, write

from mlpec_lab.cli import main
from mlpec_lab.paths import SHIPPED_MODEL
from mlpec_lab.systems import interface

if __name__ == "__main__":
    model = sys.argv[1] if len(sys.argv) > 1 else str(SHIPPED_MODEL)
    with tempfile.TemporaryDirectory() as work:
        start, run = Path(work) / "start.extxyz", Path(work) / "md.extxyz"
        write(start, interface(n_water=16, ions="NaCl", layers=3, field=0.0, seed=2))
        assert main(["md", model, str(start), "--steps", "4000", "--every", "4000", "--out", str(run),
                     "--temperature", "330", "--timestep", "0.5", "--seed", "0", "--wall"]) == 0
        ready = read(run, index=-1)
    ready.info.update(provenance=json.dumps({
        "built": "interface(n_water=16, ions='NaCl', layers=3, field=0.0, seed=2)",
        "md": "Langevin 330 K, 2 ps, 0.5 fs, friction 0.02/fs, wall 24 A, Fz = 0",
        "model": Path(model).name,
        "model_sha256": hashlib.sha256(Path(model).read_bytes()).hexdigest()[:16],
        "command": "python data/structures/make_ready_interface.py"}))
    write(Path(__file__).resolve().parent / "ready_interface.extxyz", ready)
