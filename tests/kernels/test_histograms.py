"""Pair histograms against brute force; ideal-gas references against quadrature and noise."""

import itertools

import numpy as np
import pytest

from mlpec_lab.kernels.histograms import ideal_pair_counts, pair_histogram, shell_volumes


def brute_force_counts(positions, cell, pbc, types, r_max, n_bins):
    reach = [2 if p else 0 for p in pbc]
    shifts = np.array(list(itertools.product(*(range(-k, k + 1) for k in reach)))) @ cell
    n_types = types.max() + 1
    counts = np.zeros((n_types, n_types, n_bins), np.int64)
    for i, j in itertools.product(range(len(positions)), repeat=2):
        d = np.linalg.norm(positions[j] + shifts - positions[i], axis=1)
        d = d[(d > 0) & (d < r_max)]
        np.add.at(counts[types[i], types[j]], (d / (r_max / n_bins)).astype(int), 1)
    return counts


@pytest.mark.parametrize("pbc", [(True, True, True), (True, True, False)])
def test_pair_histogram_equals_brute_force(backend, pbc):
    rng = np.random.default_rng(5)
    cell = np.array([[5.13, 0.0, 0.0], [1.0, 4.6, 0.0], [0.0, 0.5, 5.5]])  # no lattice length on a bin edge
    positions = rng.uniform(0, 1, (14, 3)) @ cell
    types = rng.integers(0, 3, 14)
    counts = pair_histogram(positions, cell, pbc, types, 6.0, 24, backend=backend)
    np.testing.assert_array_equal(counts, brute_force_counts(positions, cell, pbc, types, 6.0, 24))


def test_parallel_histogram_equals_brute_force():
    rng = np.random.default_rng(6)
    cell = np.eye(3) * 30.0
    positions = rng.uniform(0, 30, (2500, 3))
    types = rng.integers(0, 2, 2500)
    counts = pair_histogram(positions, cell, True, types, 3.0, 10)
    d = np.linalg.norm((positions[:, None] - positions[None] + 15) % 30 - 15, axis=-1)
    for a, b in [(0, 0), (0, 1), (1, 1)]:
        sub = d[np.ix_(types == a, types == b)]
        expected = np.histogram(sub[(sub > 0) & (sub < 3.0)], bins=10, range=(0, 3))[0]
        np.testing.assert_array_equal(counts[a, b], expected)


def test_slab_shell_volumes_equal_quadrature():
    L, edges = 7.0, np.linspace(0, 12, 25)
    z = (np.arange(4000) + 0.5) / 4000 * L
    r = np.linspace(0, 12, 24001)[1:]
    fraction = np.array([np.mean((np.minimum(z + x, L) - np.maximum(z - x, 0)) / (2 * x)) for x in r])
    integrand = 4 * np.pi * r ** 2 * fraction
    cumulative = np.concatenate([[0], np.cumsum((integrand[1:] + integrand[:-1]) / 2 * np.diff(r))])
    expected = np.diff(np.interp(edges, np.concatenate([[0], r]), np.concatenate([[0], cumulative])))
    np.testing.assert_allclose(shell_volumes(edges, L), expected, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(shell_volumes(edges, 1e7), shell_volumes(edges), rtol=1e-5)


def test_ideal_gas_slab_has_flat_rdf():
    rng = np.random.default_rng(2)
    cell = np.diag([30.0, 30.0, 8.0])
    positions = rng.uniform(0, 1, (4000, 3)) @ cell
    types = np.zeros(4000, np.int64)
    edges = np.linspace(0, 10, 21)
    counts = pair_histogram(positions, cell, [True, True, False], types, 10.0, 20)[0, 0]
    ideal = ideal_pair_counts(edges, 4000, 4000, np.prod(np.diag(cell)), True, thickness=8.0)
    np.testing.assert_allclose(counts[4:] / ideal[4:], 1.0, atol=0.03)


def test_bad_types_raise():
    with pytest.raises(ValueError, match="types"):
        pair_histogram(np.zeros((3, 3)), np.eye(3) * 5, True, [0, 1], 2.0, 10)



@pytest.mark.parametrize("distance", [np.nextafter(1.5, 0.0), 1.5, np.nextafter(1.5, 3.0),
                                      np.nextafter(0.05, 0.0), 0.05, np.nextafter(3.0, 0.0)])
def test_pairs_next_to_bin_edges_follow_float64_edges(backend, distance):
    """A distance one ulp either side of an edge lands in the bin np.histogram gives it."""
    positions = np.array([[0.0, 0.0, 0.0], [distance, 0.0, 0.0]])
    counts = pair_histogram(positions, np.zeros((3, 3)), False, [0, 0], 3.0, 60,
                            backend=backend)[0, 0]
    edges = np.linspace(0.0, 3.0, 61)
    np.testing.assert_array_equal(counts, 2 * np.histogram([distance], bins=edges)[0])
