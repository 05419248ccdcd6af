"""`mlpec-lab label`: labels equal the oracle, failures are kept apart, Ctrl-C resumes."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from ase.build import molecule
from ase.io import write

from mlpec_lab.datasets import read_dataset, read_failures
from mlpec_lab.reference import XTBReference, xtb
from mlpec_lab.reference.labelling import failures_path, label
from mlpec_lab.systems import interface


def _water_clusters(n, n_water=6):
    """Small water clusters in vacuum (0.05–0.2 s per oracle call)."""
    out = []
    for k in range(n):
        slab = interface(n_water=n_water, seed=k)
        w = slab[slab.get_tags() == 0]
        w.pbc = False
        w.cell = None
        w.info = {"field": np.array([0, 0, 0.1 * (k % 5) - 0.2])}
        out.append(w)
    return out


def test_labels_equal_direct_oracle_calls(tmp_path):
    inp, out = tmp_path / "in.extxyz", tmp_path / "out.extxyz"
    frames = _water_clusters(3, n_water=2)
    write(inp, frames)
    counts = label(inp, out, progress=False)
    assert counts["labelled"] == 3 and counts["failed"] == 0
    got = {f.info["source_index"]: f for f in read_dataset(out).frames}
    for k, atoms in enumerate(frames):
        a = atoms.copy()
        a.calc = XTBReference()
        assert got[k].get_potential_energy() == pytest.approx(a.get_potential_energy(), abs=1e-8)
        assert np.allclose(got[k].get_forces(), a.get_forces(), atol=1e-7)
        assert np.allclose(got[k].calc.results["dipole"], a.calc.results["dipole"], atol=1e-7)
        assert np.allclose(got[k].info["field"], atoms.info["field"])
        assert "GFN1-xTB" in got[k].info["oracle"]


def test_a_structure_set_is_built_once_and_labelled_resumably(tmp_path):
    from mlpec_lab.sampling.training_set import label_structure_set

    builds = []

    def build():
        builds.append(1)
        return _water_clusters(2, n_water=2)

    first = label_structure_set(tmp_path / "set", build)
    again = label_structure_set(tmp_path / "set", build)
    assert builds == [1]  # the configurations were written once, then reused
    assert first["labelled"] == 2 and again["labelled"] == 0
    assert len(read_dataset(tmp_path / "set" / "labelled.extxyz").frames) == 2


def test_field_option_overrides_frame_field(tmp_path):
    inp, out = tmp_path / "in.extxyz", tmp_path / "out.extxyz"
    write(inp, _water_clusters(1, n_water=1))
    label(inp, out, field=0.35, progress=False)
    assert np.allclose(read_dataset(out).frames[0].info["field"], [0, 0, 0.35])


def test_failed_scf_is_recorded_not_stored(tmp_path, monkeypatch):
    inp, out = tmp_path / "in.extxyz", tmp_path / "out.extxyz"
    frames = _water_clusters(2, n_water=1)
    frames.append(molecule("H2O"))
    frames[-1][0].symbol = "Cu"  # outside the family: refused, recorded as failed
    write(inp, frames)
    monkeypatch.setattr(xtb, "SCF_LADDER", ((0, 0.4, 1),))  # nothing converges in 1 cycle
    counts = label(inp, out, progress=False)
    assert counts["labelled"] == 0 and counts["failed"] == 3
    assert not out.exists() or len(read_dataset(out)) == 0
    records = read_failures(failures_path(out))
    assert sorted(r["source_index"] for r in records) == [0, 1, 2]
    assert sum("SCFConvergenceError" in r["error"] for r in records) == 2
    assert any("Cu not in the system family" in r["error"] for r in records)
    # a rerun does not retry recorded failures; --retry-failed does
    monkeypatch.setattr(xtb, "SCF_LADDER", ((0, 0.4, 250),))
    assert label(inp, out, progress=False)["labelled"] == 0
    assert label(inp, out, retry_failed=True, progress=False)["labelled"] == 2


def test_interrupted_label_resumes_and_labels_each_configuration_once(tmp_path):
    inp, out = tmp_path / "in.extxyz", tmp_path / "out.extxyz"
    n = 24
    write(inp, _water_clusters(n, n_water=8))
    cmd = [sys.executable, "-m", "mlpec_lab.cli", "label", str(inp), str(out), "--quiet",
           "--workers", "2"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # Ctrl-C must reach the command even when the test run itself was started in the
    # background (`cmd &` ignores SIGINT, and children inherit an ignored signal)
    proc = subprocess.Popen(cmd, env=env, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if out.exists() and out.read_text().count("config_id=") >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _, err = proc.communicate(timeout=60)
    partial = len(read_dataset(out).frames)
    assert proc.returncode == 130, err
    assert 3 <= partial < n, "the run finished before it could be interrupted"
    assert "rerun" in err
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    counts = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert counts["already_done"] == partial and counts["labelled"] == n - partial
    frames = read_dataset(out).frames
    ids = [f.info["config_id"] for f in frames]
    assert len(frames) == n and len(set(ids)) == n
    assert sorted(f.info["source_index"] for f in frames) == list(range(n))
