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


def _value_frames(values):
    from ase import Atoms
    frames = []
    for v in values:
        a = Atoms("H", positions=[(0.0, 0.0, 5.0)], cell=[5, 5, 10], pbc=True)
        a.info["x"] = float(v)
        frames.append(a)
    return frames


def _mean_x(frames):
    import xarray as xr
    return xr.Dataset({"x": float(np.mean([a.info["x"] for a in frames]))})


def test_block_sem_covers_the_true_mean_as_students_t_says():
    # iid N(0, 1) samples in 4 blocks: mean/sem follows Student's t with 3 degrees of
    # freedom, so |mean| < 3.182 sem in 95 % of trajectories
    from mlpec_lab.analysis import block_results, block_sem
    rng = np.random.default_rng(7)
    inside = []
    for _ in range(200):
        out = block_sem(block_results(_value_frames(rng.normal(size=40)), _mean_x, n_blocks=4))
        inside.append(abs(float(out.x)) < 3.182 * float(out.x_sem))
    assert 0.90 <= np.mean(inside) <= 0.99


def test_block_results_refuses_too_few_frames():
    from mlpec_lab.analysis import block_results
    with pytest.raises(ValueError, match="at least 2 frames per block"):
        block_results(_value_frames(range(7)), _mean_x, n_blocks=4)


def test_layering_with_error_bars_over_blocks_and_fields():
    # an ion that sits at a known height (2.5 Å at Fz = −0.3, 4.0 Å at +0.3 above the top
    # Pt layer, thermal spread 0.2 Å): blocked layering recovers both with error bars
    import xarray as xr
    from ase.build import fcc111

    from mlpec_lab.analysis import block_results, block_sem, density_profiles, layering
    rng = np.random.default_rng(3)
    by_field = []
    for fz, height in ((-0.3, 2.5), (0.3, 4.0)):
        frames = []
        for _ in range(80):
            slab = fcc111("Pt", size=(3, 3, 3), vacuum=10.0)
            slab.pbc = (True, True, False)
            top = slab.positions[:, 2].max()
            slab.append("Na")
            slab.positions[-1] = (1.0, 1.0, top + height + rng.normal(scale=0.2))
            frames.append(slab)
        by_field.append(block_results(frames, density_profiles, n_blocks=4, species=["Na"],
                                      bin_width=0.1, z_range=(0.0, 8.0)))
    blocks = xr.concat(by_field, dim=xr.DataArray([-0.3, 0.3], dims="field"))
    layers = block_sem(layering(blocks, smooth=3))
    assert layers.first_peak.dims == ("field", "species")
    for fz, height in ((-0.3, 2.5), (0.3, 4.0)):
        one = layers.sel(field=fz, species="Na")
        assert abs(float(one.first_peak) - height) < 0.15
        assert 0 < float(one.first_peak_sem) < 0.15
