"""Stark fits: recovery of known μ, α; honest error bars; comparison with derivatives; CLI."""
import json

import numpy as np
import pytest
from ase.build import molecule

from mlpec_lab.analysis import fit_stark, stark_response

from .standins import make_stark_standin

MU, ALPHA, E0 = 0.3, 2.0, -5.0


def energies(f, beta=0.0):
    return E0 - MU * f - 0.5 * ALPHA * f ** 2 - beta * f ** 3 / 6


def test_noise_free_recovery_and_cubic_term():
    f = np.linspace(-0.3, 0.3, 7)
    fit = fit_stark(energies(f), f)
    assert float(fit.dipole) == pytest.approx(MU, abs=1e-10)
    assert float(fit.polarizability) == pytest.approx(ALPHA, abs=1e-9)
    assert float(fit.hyperpolarizability) == pytest.approx(0.0, abs=1e-7)
    assert fit.polarizability.attrs["units"] == "e·Å²/V"
    cubic = fit_stark(energies(f, beta=5.0), f)
    assert float(cubic.hyperpolarizability) == pytest.approx(5.0, rel=1e-8)
    assert float(cubic.polarizability_cubic) == pytest.approx(ALPHA, rel=1e-8)
    # the quadratic fit absorbs the cubic term into μ: the cubic check exposes it
    assert abs(float(cubic.dipole) - MU) > 1e-3


@pytest.mark.parametrize("known_sigma, n_points", [(True, 9), (False, 41)])
def test_one_sigma_intervals_cover_the_truth_68_percent(known_sigma, n_points):
    rng = np.random.default_rng(42)
    f = np.linspace(-0.3, 0.3, n_points)
    noise = 2e-3
    hits = np.zeros(2)
    n_rep = 200
    for _ in range(n_rep):
        e = energies(f) + rng.normal(0, noise, f.size)
        fit = fit_stark(e, f, energy_sem=noise if known_sigma else None)
        hits += [abs(float(fit.dipole) - MU) < float(fit.dipole_stderr),
                 abs(float(fit.polarizability) - ALPHA) < float(fit.polarizability_stderr)]
    frac = hits / n_rep
    # binomial SD of the fraction: sqrt(0.68·0.32/200) = 0.033; allow 3 SD
    assert np.all(np.abs(frac - 0.683) < 0.1), frac


def test_stark_response_compares_fit_analytic_and_finite_field(tmp_path):
    atoms = molecule("H2O")
    res = stark_response(atoms, make_stark_standin, [-0.2, -0.1, 0.0, 0.1, 0.2],
                         reference=make_stark_standin)
    assert list(res.source.values) == ["model", "reference"]
    for est in ("fit", "fit_cubic", "analytic", "finite_field"):
        assert float(res.dipole.sel(source="model", estimate=est)) == pytest.approx(MU, abs=1e-8)
        assert float(res.polarizability.sel(source="model", estimate=est)) == pytest.approx(ALPHA, abs=1e-6)
    res.to_netcdf(tmp_path / "stark.nc", engine="h5netcdf")


def test_too_few_fields_are_refused():
    with pytest.raises(ValueError, match="at least 3 distinct fields"):
        fit_stark([1.0, 2.0], [0.0, 0.1])
    with pytest.raises(ValueError, match="at least 3 distinct fields"):
        fit_stark([1.0, 2.0, 3.0], [0.1, 0.1, 0.0])
    with pytest.raises(ValueError, match="at least 3 distinct fields"):
        stark_response(molecule("H2O"), make_stark_standin, [0.0, 0.1])


def test_cli_with_the_oracle_on_water(tmp_path, capsys):
    pytest.importorskip("tblite")
    from ase.io import write

    from mlpec_lab.cli import main

    path = tmp_path / "h2o.xyz"
    write(path, molecule("H2O"))
    rc = main(["stark", "oracle", str(path), "--fields=-0.1,-0.05,0,0.05,0.1", "--json",
               "--output", str(tmp_path / "out.nc")])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    fit, analytic = out["model"]["fit"], out["model"]["analytic"]
    # −dE/dF from the fit equals the oracle's own dipole (protocol check: 1e-3 e·Å at accuracy 1)
    assert fit["dipole"] == pytest.approx(analytic["dipole"], abs=2e-3)
    # GFN1-xTB water: α_zz ≈ 0.017 e·Å²/V (REFERENCE_PROTOCOL.md section 7)
    assert 0.005 < fit["polarizability"] < 0.05
    assert out["model"]["finite_field"]["polarizability"] == pytest.approx(fit["polarizability"], rel=0.2)
    assert (tmp_path / "out.nc").exists()


def test_cli_errors(tmp_path, capsys):
    from mlpec_lab.cli import main

    assert main(["stark", "oracle", str(tmp_path / "x.xyz"), "--fields", "0", "0.1"]) == 2
    assert "at least 3 distinct fields" in capsys.readouterr().err
    assert main(["stark", "oracle", str(tmp_path / "missing.xyz"), "--fields", "-0.1", "0", "0.1"]) == 2
    assert "does not exist" in capsys.readouterr().err
    from ase.io import write

    write(tmp_path / "h2o.xyz", molecule("H2O"))
    assert main(["stark", str(tmp_path / "nomodel.pt"), str(tmp_path / "h2o.xyz"),
                 "--fields", "-0.1", "0", "0.1"]) == 2
    assert "model file" in capsys.readouterr().err
