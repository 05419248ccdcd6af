"""The 20 ps NVE check of issue 4: the 3×3 cell with 16 H2O and NaCl at Fz = +0.3 V/Å.

    OMP_NUM_THREADS=1 python data/model/make_nve_check.py [MODEL] [WORKDIR] [REPORT] [EQUILIBRATION_PS]

1. Langevin MD at 330 K (0.5 fs steps, friction 0.02/fs) for EQUILIBRATION_PS: default 5 ps,
   as the active-learning rounds ran it; the shipped check uses 20 ps, since the 16-water
   film with NaCl at +0.3 V/Å was still relaxing after 5 ps. It starts from
   ``interface(n_water=16, ions="NaCl", field=0.3, seed=0)``;
2. from its last frame, fresh Maxwell–Boltzmann velocities at 330 K and 20 ps of velocity
   Verlet (NVE, 0.5 fs, 40 000 steps), frames every 50 fs.
Both with the committee (``mlpec-lab md``) and the default vacuum wall (``--wall``: no mobile
atom above z = 24 Å, the protocol's empty vacuum; without it a water molecule evaporated at
16.9 ps and kept gaining energy from the field, and at that height the oracle itself
charges the molecule, see ``mlpec_lab.sampling.md``). The NVE report (drift as a fitted slope,
fluctuation, mean T, largest committee deviation, closest pair) goes to
REPORT (default data/model/nve_20ps.json); the trajectories stay in WORKDIR (default out/nve).
"""
import contextlib
import io
import json
import shlex
import sys
from pathlib import Path

from ase.io import write

from mlpec_lab.cli import main
from mlpec_lab.paths import SHIPPED_MODEL
from mlpec_lab.systems import interface

TIMESTEP_FS = 0.5

if __name__ == "__main__":
    model = sys.argv[1] if len(sys.argv) > 1 else str(SHIPPED_MODEL)
    work = Path(sys.argv[2] if len(sys.argv) > 2 else "out/nve")
    report_path = Path(sys.argv[3] if len(sys.argv) > 3 else "data/model/nve_20ps.json")
    equilibration_ps = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    work.mkdir(parents=True, exist_ok=True)
    write(work / "start.extxyz", interface(n_water=16, ions="NaCl", field=0.3, seed=0))
    for name in ("equilibration.extxyz", "nve.extxyz"):
        (work / name).unlink(missing_ok=True)
    common = ["--temperature", "330", "--timestep", str(TIMESTEP_FS), "--seed", "1", "--wall"]
    equilibration_steps = str(round(1000 * equilibration_ps / TIMESTEP_FS))
    assert main(["md", model, str(work / "start.extxyz"), "--steps", equilibration_steps, "--every", "1000",
                 "--out", str(work / "equilibration.extxyz"), *common]) == 0
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["md", model, str(work / "equilibration.extxyz"), "--nve", "--steps", "40000",
                     "--every", "100", "--out", str(work / "nve.extxyz"), *common])
    report = json.loads(buffer.getvalue().strip().splitlines()[-1])  # written even if MD stopped
    report.update(exit_code=code, model=model, system="interface(n_water=16, ions='NaCl', field=0.3, seed=0)",
                  equilibration=f"Langevin 330 K, {equilibration_ps:g} ps",
                  command=shlex.join(["python", *sys.argv]))
    report_path.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
