"""`mlpec-lab demo OUT` writes every notebook's figures headless, none of them blank."""
import matplotlib.image as mpimg
import numpy as np
import pytest

from mlpec_lab.cli import main
from mlpec_lab.demo import GROUPS, write_demo_figures


def test_demo_writes_every_group_of_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLPEC_QUICK", "1")
    assert main(["demo", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(printed) == len(names) >= 8
    for group_prefix in ("interface", "oracle_field_scan", "potential_", "double_layer_", "battery_"):
        assert any(n.startswith(group_prefix) for n in names), group_prefix
    for path in tmp_path.glob("*.png"):
        pixels = mpimg.imread(path)
        assert pixels.shape[0] > 100 and np.std(pixels) > 0.01, path.name  # not blank


def test_unknown_group_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown figure group.*tours"):
        write_demo_figures(tmp_path, quick=True, groups=["tours"])
    assert set(GROUPS) == {"tour", "potential", "double_layer", "battery"}
