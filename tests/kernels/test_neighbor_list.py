"""Neighbor lists against ASE's primitive_neighbor_list, pair for pair."""

import numpy as np
import pytest
from ase.neighborlist import primitive_neighbor_list
from hypothesis import given
from hypothesis import strategies as st
from numba import cuda

from mlpec_lab.kernels.neighbor_list import neighbor_list


@st.composite
def systems(draw, max_atoms=12):
    """Random triclinic cell, periodicity, positions (partly outside the cell), cutoff."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    cell = np.diag(rng.uniform(2.0, 6.0, 3)) + rng.normal(0.0, 0.8, (3, 3))
    if abs(np.linalg.det(cell)) < 2.0:
        cell = np.diag(np.diag(cell)) + 0.5 * np.eye(3)
    pbc = np.array(draw(st.tuples(st.booleans(), st.booleans(), st.booleans())))
    n = draw(st.integers(1, max_atoms))
    positions = rng.uniform(-0.3, 1.3, (n, 3)) @ cell
    cutoff = draw(st.floats(0.3, 9.0))  # often larger than the cell
    return positions, cell, pbc, cutoff


def as_set(i, j, shifts, distances, cutoff):
    """Pairs (i, j, shift), leaving out those within round-off of the cutoff."""
    keep = np.abs(distances - cutoff) > 1e-9
    return {(a, b, tuple(s)) for a, b, s in zip(i[keep].tolist(), j[keep].tolist(),
                                                 shifts[keep].tolist())}


def check_against_ase(positions, cell, pbc, cutoff, backend):
    nl = neighbor_list(positions, cell, pbc, cutoff, backend=backend)
    i, j, shifts, d = primitive_neighbor_list("ijSd", pbc, cell, positions, cutoff)
    assert as_set(nl.i, nl.j, nl.shifts, nl.distances, cutoff) == as_set(i, j, shifts, d, cutoff)
    assert len(set(zip(nl.i.tolist(), nl.j.tolist(), map(tuple, nl.shifts.tolist())))) == len(nl.i)
    assert np.all(np.diff(nl.i) >= 0)
    expected = positions[nl.j] + nl.shifts @ cell - positions[nl.i]
    np.testing.assert_allclose(nl.vectors, expected, atol=1e-10)
    np.testing.assert_allclose(nl.distances, np.linalg.norm(expected, axis=1), atol=1e-10)


@given(systems())
def test_full_list_equals_ase(backend, system):
    check_against_ase(*system, backend)


@given(systems())
def test_half_list_is_half_of_full_list(backend, system):
    positions, cell, pbc, cutoff = system
    full = neighbor_list(positions, cell, pbc, cutoff, backend=backend)
    half = neighbor_list(positions, cell, pbc, cutoff, full_list=False, backend=backend)
    pairs = {(a, b, tuple(s)) for a, b, s in zip(half.i.tolist(), half.j.tolist(),
                                                  half.shifts.tolist())}
    both = pairs | {(b, a, (-s[0], -s[1], -s[2])) for a, b, s in pairs}
    assert len(pairs) == len(half.i) and 2 * len(half.i) == len(full.i)
    assert both == {(a, b, tuple(s)) for a, b, s in zip(full.i.tolist(), full.j.tolist(),
                                                        full.shifts.tolist())}
    assert np.all((half.i < half.j) | (half.i == half.j))


@pytest.mark.skipif(not cuda.is_available(), reason="no CUDA device or simulator")
def test_cuda_twin_equals_cpu():
    rng = np.random.default_rng(7)
    cell = np.array([[5.0, 0.0, 0.0], [1.2, 4.5, 0.0], [0.3, -0.7, 6.0]])
    positions = rng.uniform(0, 1, (16, 3)) @ cell
    for pbc in ([True, True, True], [True, True, False]):
        cpu = neighbor_list(positions, cell, pbc, 4.5, backend="cpu")
        gpu = neighbor_list(positions, cell, pbc, 4.5, backend="cuda")
        for a, b in zip(cpu, gpu):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("size", [30, 3000])  # serial and parallel CPU kernels
def test_water_like_box_equals_ase(size):
    rng = np.random.default_rng(size)
    cell = np.eye(3) * (size / 0.1) ** (1 / 3)
    positions = rng.uniform(0, 1, (size, 3)) @ cell
    check_against_ase(positions, cell, [True, True, False], 3.5, "cpu")


def test_molecule_without_cell():
    positions = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
    nl = neighbor_list(positions, np.zeros((3, 3)), False, 1.2)
    assert sorted(zip(nl.i.tolist(), nl.j.tolist())) == [(0, 1), (0, 2), (1, 0), (2, 0)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(cutoff=0.0), "cutoff"),
    (dict(positions=np.zeros((4, 2))), "shape"),
    (dict(cell=[[1, 0, 0], [2, 0, 0], [0, 0, 1]]), "degenerate"),
    (dict(cell=[[1, 0, 0], [0, 0, 0], [0, 0, 1]], pbc=True), "non-zero"),
    (dict(backend="tpu"), "backend"),
])
def test_bad_input_raises_clear_error(kwargs, message):
    args = dict(positions=np.zeros((4, 3)), cell=np.eye(3) * 3, pbc=True, cutoff=2.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        neighbor_list(**args)


@pytest.mark.parametrize("dense_sampled", [False, True])
def test_serial_buffers_grow_and_trim(dense_sampled):
    """The serial kernel sizes its buffers from every 8th atom: a dense cluster of the
    other atoms makes it grow them, a dense cluster of the sampled ones makes it trim."""
    rng = np.random.default_rng(3)
    n, cell = 96, np.eye(3) * 40.0
    sampled = np.arange(n) % 8 == 0
    dense = sampled if dense_sampled else ~sampled
    positions = np.empty((n, 3))
    positions[dense] = 20.0 + rng.normal(0.0, 1.0, (dense.sum(), 3))
    positions[~dense] = rng.uniform(0.0, 40.0, ((~dense).sum(), 3))
    check_against_ase(positions, cell, [True, True, True], 3.0, "cpu")
