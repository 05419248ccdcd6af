"""Block averaging: the mean of a correlated time series and its standard error.

Blocking (Flyvbjerg & Petersen 1989): average neighbouring pairs of samples again
and again; the naive standard error of the blocked series grows until blocks are
longer than the correlation time, then stays flat. Which level is on the plateau is
chosen by Jonsson's automatic test (Phys. Rev. E 98, 043304, 2018): the first level k
at which the remaining lag-1 autocorrelations are consistent with zero,
M_k = Σ_{j≥k} n_j (γ_j/σ²_j)² < χ²_{0.99}(d − k). The SE is then read two levels
higher (blocks 4× longer, at least 16 blocks): at the first accepted level the residual
lag-1 correlation still allowed by the test biases the SE low by up to a few times its own
error (seen on AR(1) series); two levels up that bias is below half the error.
Or ``n_blocks=`` fixes the number of equal blocks (the classic estimator).
The uncertainty of a standard error from n blocks is SE/√(2(n − 1)).
"""
from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import chi2


def _as_series(series):
    x = np.asarray(series.values if isinstance(series, xr.DataArray) else series, float)
    if x.ndim != 1:
        raise ValueError(f"block averaging needs a 1-D time series, got shape {x.shape}")
    if len(x) < 8:
        raise ValueError(f"block averaging needs at least 8 samples, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("the time series has non-finite values")
    return x


def blocking_curve(series) -> xr.Dataset:
    """Naive standard error of the mean at each blocking level (block sizes 1, 2, 4 …).

    The series is cut to its last 2^d samples. Returns dim ``block``: ``block_size``
    (samples), ``n_blocks``, ``sem`` and ``sem_error`` (same units as the series),
    ``lag1`` (lag-1 autocorrelation of the blocked series).
    """
    x = _as_series(series)
    d = int(np.floor(np.log2(len(x))))
    x = x[len(x) - 2 ** d:]
    sizes, nb, sem, lag1 = [], [], [], []
    for k in range(d - 1):  # keep at least 4 blocks
        n = len(x)
        mu = x.mean()
        var = x.var()  # 1/n, as in Jonsson's test
        gamma = ((x[:-1] - mu) * (x[1:] - mu)).sum() / n
        sizes.append(2 ** k); nb.append(n)
        sem.append(np.sqrt(x.var(ddof=1) / n))
        lag1.append(gamma / var if var > 0 else 0.0)
        x = 0.5 * (x[0::2] + x[1::2])
    nb = np.array(nb)
    ds = xr.Dataset({"block_size": ("block", np.array(sizes)), "n_blocks": ("block", nb),
                     "sem": ("block", np.array(sem)),
                     "sem_error": ("block", np.array(sem) / np.sqrt(2 * (nb - 1))),
                     "lag1": ("block", np.array(lag1))},
                    coords={"block": np.arange(len(sizes))})
    ds.block_size.attrs["units"] = "samples"
    return ds


def block_average(series, n_blocks: int | None = None, units: str | None = None) -> xr.Dataset:
    """Mean and standard error of a correlated 1-D series.

    n_blocks: None for the automatic blocking rule (module docstring), or a fixed
    number of equal blocks (leftover samples at the start are dropped). units: of the
    series (default: ``series.attrs["units"]`` when it is a DataArray).
    Returns a Dataset of scalars ``mean``, ``sem``, ``sem_error`` (uncertainty of
    ``sem``), ``block_size``, ``n_blocks``, ``statistical_inefficiency`` (g = block
    SE² / naive SE²; N/g independent samples) and the ``curve`` of
    :func:`blocking_curve` (dim ``block``).
    """
    x = _as_series(series)
    if units is None and isinstance(series, xr.DataArray):
        units = series.attrs.get("units")
    naive = x.std(ddof=1) / np.sqrt(len(x))
    curve = blocking_curve(x)
    if n_blocks is None:
        n = curve.n_blocks.values
        w = n * curve.lag1.values ** 2
        m = np.cumsum(w[::-1])[::-1]
        k_total = len(w)
        level = k_total - 1
        for k in range(k_total):
            if m[k] < chi2.ppf(0.99, k_total - k):
                level = k
                break
        chosen = level
        # two levels (4x longer blocks) above the first acceptable one, at least 16 blocks:
        # at the first level the test still lets through a bias of a few SE-errors
        enough = np.nonzero(n >= 16)[0]
        level = max(chosen, min(chosen + 2, int(enough.max()) if len(enough) else chosen))
        sem = float(curve.sem[level]); nb = int(n[level]); size = int(curve.block_size[level])
        mean = float(x[len(x) - nb * size:].mean())
        method = ("automatic blocking (Flyvbjerg–Petersen; Jonsson 2018 test passed at "
                  f"level {chosen}, SE taken 2 levels above: level {level})")
    else:
        nb = int(n_blocks)
        if nb < 2 or nb > len(x):
            raise ValueError(f"n_blocks must be between 2 and the series length {len(x)}, got {n_blocks}")
        size = len(x) // nb
        blocks = x[len(x) - nb * size:].reshape(nb, size).mean(axis=1)
        mean = float(blocks.mean())
        sem = float(blocks.std(ddof=1) / np.sqrt(nb))
        method = f"{nb} equal blocks of {size} samples"
    ds = xr.Dataset({"mean": mean, "sem": sem, "sem_error": sem / np.sqrt(2 * (nb - 1)),
                     "block_size": size, "n_blocks": nb,
                     "statistical_inefficiency": (sem / naive) ** 2 if naive > 0 else 1.0,
                     "curve_sem": curve.sem, "curve_sem_error": curve.sem_error,
                     "curve_block_size": curve.block_size},
                    attrs={"method": method, "n_samples": len(x)})
    for v in ("mean", "sem", "sem_error", "curve_sem", "curve_sem_error"):
        ds[v].attrs["units"] = units or "as the series"
    ds.block_size.attrs["units"] = "samples"
    ds.statistical_inefficiency.attrs["units"] = "1"
    return ds


def statistical_inefficiency(series) -> float:
    """g = 1 + 2 Σ_t (1 − t/N) C(t), the sum stopped at the first non-positive
    autocorrelation C(t) (Chodera et al., J. Chem. Theory Comput. 3, 26, 2007); g ≥ 1."""
    x = np.asarray(series, float)
    n = len(x)
    if n < 3:
        return 1.0
    dx = x - x.mean()
    var = dx @ dx / n
    if var <= 0:
        return 1.0
    g = 1.0
    for t in range(1, n - 1):
        c = (dx[:-t] @ dx[t:]) / ((n - t) * var)
        if c <= 0:
            break
        g += 2.0 * c * (1 - t / n)
    return max(g, 1.0)


def detect_equilibration(series, n_candidates: int = 50) -> xr.Dataset:
    """Start t0 of the production part of a series: the t0 that maximises the number of
    independent samples (N − t0)/g(t0) after it (Chodera, J. Chem. Theory Comput. 12,
    1799, 2016), over ``n_candidates`` evenly spaced t0 in the first half.
    Returns scalars ``t0`` (samples), ``statistical_inefficiency``, ``n_effective``."""
    x = _as_series(series)
    n = len(x)
    starts = np.unique(np.linspace(0, n // 2, n_candidates).astype(int))
    g = np.array([statistical_inefficiency(x[t:]) for t in starts])
    neff = (n - starts) / g
    best = int(np.argmax(neff))
    return xr.Dataset({"t0": int(starts[best]), "statistical_inefficiency": g[best],
                       "n_effective": neff[best]},
                      attrs={"method": "maximum effective sample size (Chodera 2016)"})


def block_results(trajectory, function, n_blocks: int = 4, **kwargs) -> xr.Dataset:
    """``function(frames, **kwargs)`` (an analysis) on each of ``n_blocks`` contiguous blocks of
    the trajectory, stacked along a ``block`` dimension (leftover frames at the start are
    dropped). Blocks longer than the correlation time are independent samples of the
    result; :func:`block_sem` turns them into a mean and its standard error."""
    from mlpec_lab.analysis.trajectory import as_frames

    frames = as_frames(trajectory)
    n_blocks = int(n_blocks)
    if n_blocks < 2 or len(frames) < 2 * n_blocks:
        raise ValueError(f"{n_blocks} blocks need n_blocks ≥ 2 and at least 2 frames per "
                         f"block; the trajectory has {len(frames)} frames")
    size = len(frames) // n_blocks
    frames = frames[len(frames) - n_blocks * size:]
    parts = [function(frames[k * size:(k + 1) * size], **kwargs) for k in range(n_blocks)]
    out = xr.concat(parts, dim="block", coords="minimal", compat="override",
                    combine_attrs="override")
    out.attrs["blocks"] = f"{n_blocks} contiguous blocks of {size} frames"
    return out


def block_sem(blocks: xr.Dataset) -> xr.Dataset:
    """Mean over the ``block`` dimension of :func:`block_results` and, for every numeric
    variable, ``<name>_sem``: the standard error of that mean, std(ddof=1)/√n_blocks
    (same units). NaN blocks (e.g. an empty bin) are left out of both."""
    n = blocks.sizes["block"]
    numeric = [v for v in blocks.data_vars if "block" in blocks[v].dims
               and np.issubdtype(blocks[v].dtype, np.number)]
    out = blocks.mean("block", keep_attrs=True)
    for v in numeric:
        count = blocks[v].notnull().sum("block")
        sem = blocks[v].std("block", ddof=1) / np.sqrt(count)
        out[f"{v}_sem"] = sem.where(count >= 2)
        out[f"{v}_sem"].attrs.update(units=blocks[v].attrs.get("units", ""),
                                     long_name=f"standard error of {v} from {n} blocks")
    out.attrs["error_method"] = f"standard error over {blocks.attrs.get('blocks', f'{n} blocks')}"
    return out
