"""`mlpec-lab train | evaluate | md` end to end on the synthetic reference."""
import json

import numpy as np
import pytest
import torch
from ase.io import write

from mlpec_lab.cli import main
from mlpec_lab.datasets import read_dataset
from mlpec_lab.systems import interface


def test_train_evaluate_md(synthetic_dataset, tmp_path, capsys):
    model = tmp_path / "m.pt"
    assert main(["train", str(synthetic_dataset), "--out", str(model), "--members", "2",
                 "--epochs", "3", "--hidden", "8"]) == 0
    capsys.readouterr()
    assert model.exists() and (tmp_path / "m.pt.curves.nc").exists()
    assert torch.load(model, weights_only=True)["training"]["config"]["bootstrap"] is True
    # the descriptor of the default spec knows Na and Cl; the committee was trained without them
    assert main(["evaluate", str(model), str(synthetic_dataset), "--json", str(tmp_path / "e.json")]) == 0
    metrics = json.loads((tmp_path / "e.json").read_text())
    assert metrics["n_structures"] == 24
    assert set(metrics["force_rmse_per_element_eV_per_A"]) == {"H", "O", "Pt"}
    assert metrics["left_out_max_force"] == 0 and metrics["max_force_eV_per_A"] is None
    # --max-force leaves out the frames training would leave out: here the upper half
    largest = np.array([np.abs(a.calc.results["forces"]).max()
                        for a in read_dataset(synthetic_dataset).frames])
    limit = float(np.median(largest))
    assert main(["evaluate", str(model), str(synthetic_dataset), "--max-force", str(limit),
                 "--json", str(tmp_path / "e2.json")]) == 0
    windowed = json.loads((tmp_path / "e2.json").read_text())
    assert windowed["left_out_max_force"] == int((largest > limit).sum()) > 0
    assert windowed["n_structures"] == int((largest <= limit).sum())
    structure = tmp_path / "start.extxyz"
    write(structure, interface(n_water=2, layers=3, seed=1))
    traj = tmp_path / "traj.extxyz"
    capsys.readouterr()
    code = main(["md", str(model), str(structure), "--field", "0.2", "--steps", "6", "--every", "2",
                 "--nve", "--out", str(traj)])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and report["frames"] == 4
    frames = read_dataset(traj).frames
    assert [f.info["md_step"] for f in frames] == [0, 2, 4, 6]
    assert np.allclose(frames[-1].info["field"], [0, 0, 0.2])
    assert np.isfinite(report["drift_eV_per_atom_per_ps"]) and report["ensemble"] == "NVE"
    assert report["duration_ps"] == pytest.approx(0.003)
    pair, distance = report["closest_pair"]
    assert pair == "H-O" and 0.8 < distance < 1.2  # the O–H bond of a water


def test_md_that_stops_still_reports(synthetic_dataset, tmp_path, capsys):
    model = tmp_path / "m.pt"
    assert main(["train", str(synthetic_dataset), "--out", str(model), "--members", "2",
                 "--epochs", "1", "--hidden", "8", "--no-bootstrap"]) == 0
    assert torch.load(model, weights_only=True)["training"]["config"]["bootstrap"] is False
    atoms = interface(n_water=2, layers=3, seed=1)
    atoms.positions[-1, 2] = 32.5  # outside the protocol's window from the start
    write(tmp_path / "out.extxyz", atoms)
    capsys.readouterr()
    code = main(["md", str(model), str(tmp_path / "out.extxyz"), "--steps", "4", "--every", "1"])
    captured = capsys.readouterr()
    report = json.loads(captured.out.strip().splitlines()[-1])
    assert code == 3 and "MD stopped" in captured.err
    assert "left the window" in report["stopped"] and report["stopped_at_step"] == 0
    assert report["frames"] == 0 and report["temperature_mean_K"] is None


def test_explore_picks_by_the_trust_window_and_md_takes_a_wall(synthetic_dataset, tmp_path, capsys):
    model = tmp_path / "m.pt"
    assert main(["train", str(synthetic_dataset), "--out", str(model), "--members", "2",
                 "--epochs", "1", "--hidden", "8"]) == 0
    structure = tmp_path / "start.extxyz"
    write(structure, interface(n_water=2, layers=3, seed=1, field=0.1))
    picks = tmp_path / "picks.extxyz"
    capsys.readouterr()
    common = [str(model), str(structure), "--steps", "12", "--every", "2", "--out", str(picks)]
    assert main(["explore", *common, "--low", "0", "--high", "1e9", "--picks", "2",
                 "--min-separation", "2"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    frames = read_dataset(picks).frames
    assert report["frames"] == 7 and report["picked"] == 2 == len(frames)
    steps = sorted(f.info["md_step"] for f in frames)
    assert 0 not in steps and steps[1] - steps[0] >= 4  # never the start; two records apart
    assert all(f.info["max_force_deviation"] > 0 for f in frames)
    # a window above every deviation picks nothing and writes nothing more
    assert main(["explore", *common, "--low", "1e8", "--high", "1e9"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["picked"] == 0 and report["in_window"] == 0 and len(read_dataset(picks).frames) == 2
    code = main(["md", str(model), str(structure), "--steps", "4", "--every", "2", "--wall"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and report["wall_z_A"] == 24.0
