"""Block averaging against the analytic standard error of an AR(1) series."""
import numpy as np
import pytest
from scipy.signal import lfilter

from mlpec_lab.analysis import block_average, blocking_curve


def ar1(phi, n, seed):
    e = np.random.default_rng(seed).normal(size=n)
    return lfilter([1.0], [1.0, -phi], e)  # x_t = φ x_{t−1} + ε_t, Var ε = 1


def analytic_sem(phi, n):
    # Var(mean) → σ_x² g / N with σ_x² = 1/(1−φ²) and g = (1+φ)/(1−φ)
    return np.sqrt(1.0 / (1 - phi ** 2) * (1 + phi) / (1 - phi) / n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ar1_standard_error_within_its_uncertainty(seed):
    phi, n = 0.9, 2 ** 17
    x = ar1(phi, n, seed)
    true = analytic_sem(phi, n)
    auto = block_average(x)
    fixed = block_average(x, n_blocks=32)
    assert abs(float(auto.sem) - true) < 3 * float(auto.sem_error)
    assert abs(float(fixed.sem) - true) < 3 * float(fixed.sem_error)
    # g = (1+φ)/(1−φ) = 19 samples per independent one
    assert abs(float(auto.statistical_inefficiency) - 19.0) < 6 * 19.0 * float(auto.sem_error / auto.sem)
    # the naive SE (correlations ignored) is far off: the test can fail
    assert x.std(ddof=1) / np.sqrt(n) < 0.3 * true


def test_uncorrelated_series_needs_no_blocking():
    x = np.random.default_rng(5).normal(size=4096)
    res = block_average(x)
    assert abs(float(res.sem) - 1 / 64) < 3 * float(res.sem_error)
    curve = blocking_curve(x)
    assert curve.sizes["block"] == 11 and int(curve.block_size[0]) == 1


def test_short_series_still_give_an_error_bar():
    res = block_average(np.random.default_rng(0).normal(size=10))
    assert np.isfinite(float(res.sem)) and float(res.sem) > 0


def test_bad_series_are_refused():
    with pytest.raises(ValueError, match="at least 8 samples"):
        block_average([1.0, 2.0])
    with pytest.raises(ValueError, match="1-D"):
        block_average(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        block_average([1.0] * 9 + [np.nan])
    with pytest.raises(ValueError, match="n_blocks"):
        block_average(np.arange(100.0), n_blocks=1)


def test_equilibration_detection_finds_the_transient():
    from mlpec_lab.analysis import detect_equilibration, statistical_inefficiency

    phi, n = 0.8, 4000
    x = ar1(phi, n, 7)
    assert abs(statistical_inefficiency(x) - (1 + phi) / (1 - phi)) < 3.0
    transient = x + 40.0 * np.exp(-np.arange(n) / 100.0)  # decays to < 1 SD by t ≈ 600
    t0 = int(detect_equilibration(transient).t0)
    assert 300 <= t0 <= 1200
    assert int(detect_equilibration(x).t0) < 300
