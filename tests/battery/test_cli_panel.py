import json

import numpy as np
import pytest

from mlpec_lab.battery import cli, hybrid, protocols

HAVE_MODEL = (hybrid.DEFAULT_MODEL_DIR / "correction.pt").exists()


def test_info_json(capsys):
    assert cli.main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["parameter_set"] == "OKane2022"
    assert info["dfn_options"] == {"thermal": "lumped"}
    assert info["nominal_capacity_Ah"] == pytest.approx(5.0)
    assert info["trained_range"]["temperature_K"] == [268.0, 318.0]


def test_top_level_cli_lists_battery():
    from mlpec_lab import cli as top

    assert "mlpec_lab.battery.cli" in top.COMMAND_MODULES


def test_predict_refuses_out_of_range(tmp_path, capsys, capacity):
    csv = tmp_path / "p.csv"
    protocols.write_profile_csv(protocols.constant_current(1.0, 60, capacity), csv)
    code = cli.main(["predict", str(csv), "--temperature", "350", "--initial-soc", "0.5",
                     "--json", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2 and "350 K is outside the trained 268-318 K" in err
    assert not (tmp_path / "o.json").exists()


def test_predict_reports_bad_csv_line(tmp_path, capsys):
    csv = tmp_path / "bad.csv"
    csv.write_text("time_s,current_A\n0,1\n1,x\n")
    assert cli.main(["predict", str(csv), "--temperature", "298", "--initial-soc", "0.5",
                     "--json", str(tmp_path / "o.json")]) == 2
    assert "line 3" in capsys.readouterr().err


@pytest.mark.skipif(not HAVE_MODEL, reason="no shipped correction")
def test_predict_writes_json(tmp_path, capacity):
    csv = tmp_path / "p.csv"
    protocols.write_profile_csv(protocols.drive_cycle(1, capacity, 90, peak_c_rate=1.5), csv)
    out = tmp_path / "o.json"
    assert cli.main(["predict", str(csv), "--temperature", "300", "--initial-soc", "0.6",
                     "--json", str(out), "--with-dfn"]) == 0
    res = json.loads(out.read_text())
    for key in ("time_s", "voltage_spme_V", "voltage_hybrid_V", "voltage_dfn_V"):
        assert len(res[key]) == len(res["time_s"])
    assert set(res["wall_time_s"]) == {"spme", "hybrid", "dfn"}
    assert res["warnings"] == []


@pytest.mark.skipif(not HAVE_MODEL, reason="no shipped correction")
def test_predict_extrapolation_flag_records_warning(tmp_path, capacity):
    csv = tmp_path / "p.csv"
    protocols.write_profile_csv(protocols.constant_current(1.0, 60, capacity), csv)
    out = tmp_path / "o.json"
    assert cli.main(["predict", str(csv), "--temperature", "325", "--initial-soc", "0.6",
                     "--json", str(out), "--allow-extrapolation"]) == 0
    assert "325 K is outside" in json.loads(out.read_text())["warnings"][0]


def test_panel_drives_without_browser():
    from mlpec_lab.panels.battery import BatteryPanel

    panel = BatteryPanel(correction="zero" if not HAVE_MODEL else None)
    panel.set(protocol="pulse_rest", c_rate=1.5, temperature=300.0, initial_soc=0.7,
              duration_min=3, with_dfn=True)
    res = panel.run()
    assert res is panel.result and "voltage_dfn" in res
    assert np.all(np.isfinite(res["voltage_hybrid"].values))
    assert len(panel.axes[0].lines) >= 3                   # SPMe, hybrid, DFN
    panel.set(temperature=330.0, with_dfn=False)
    assert panel.run() is None and "outside the trained" in panel.error
    with pytest.raises(KeyError):
        panel.set(colour="red")
