"""Pair-distance histograms for partial g(r), and their ideal-gas reference counts.

Counting and normalisation are kept apart: :func:`pair_histogram` counts ordered
pairs ``(i, j)``, ``i != j``, per type pair and distance bin; :func:`ideal_pair_counts`
is a pure function giving the counts an uncorrelated (ideal-gas) system would have,
for bulk or for a slab of finite thickness, so ``g_ab(r) = counts_ab / ideal_ab``.

Density profiles need no kernel: ``numpy.histogram`` on uniform bins is already a
single linear pass.
"""

import numba
import numpy as np
from numba import cuda, njit, prange

from .backend import cuda_blocks, select_backend
from .neighbor_list import neighbor_list


def _bin_pairs(distances, type_i, type_j, bin_width, counts):
    """Add each half-list pair to both (type_i, type_j) and (type_j, type_i)."""
    n_chunks, n_bins = counts.shape[0], counts.shape[3]
    size = (distances.shape[0] + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        for p in range(chunk * size, min((chunk + 1) * size, distances.shape[0])):
            b = int(distances[p] / bin_width)
            if b < n_bins:
                counts[chunk, type_i[p], type_j[p], b] += 1
                counts[chunk, type_j[p], type_i[p], b] += 1


_bin_pairs_serial = njit(cache=True)(_bin_pairs)
_bin_pairs_parallel = njit(parallel=True, cache=True)(_bin_pairs)


@cuda.jit
def _bin_pairs_cuda(distances, type_i, type_j, bin_width, counts):
    p = cuda.grid(1)
    if p < distances.shape[0]:
        b = int(distances[p] / bin_width)
        if b < counts.shape[3]:
            cuda.atomic.add(counts, (0, type_i[p], type_j[p], b), 1)
            cuda.atomic.add(counts, (0, type_j[p], type_i[p], b), 1)


def pair_histogram(positions, cell, pbc, types, r_max, n_bins, *, backend=None):
    """Ordered-pair counts per type pair and distance bin, bins ``[k dr, (k+1) dr)``.

    positions: (n, 3) Å; cell: (3, 3) Å; pbc: bool or (3,); types: (n,) ints in
    ``0..n_types-1``; r_max: Å; n_bins: int. Returns (n_types, n_types, n_bins) int64;
    ``counts[a, b].sum()`` counts each a-b pair once from each side.
    """
    types = np.asarray(types, dtype=np.int64)
    if types.ndim != 1 or len(types) != len(positions):
        raise ValueError(f"types must be one integer per atom, got shape {types.shape}")
    if len(types) and types.min() < 0:
        raise ValueError("types must be non-negative integers")
    if int(n_bins) < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins}")
    n_types = int(types.max()) + 1 if len(types) else 1
    choice = select_backend(backend, len(types))
    nl = neighbor_list(positions, cell, pbc, r_max, full_list=False,
                       backend="cuda" if choice == "cuda" else "cpu")
    bin_width = float(r_max) / int(n_bins)
    args = (nl.distances, types[nl.i], types[nl.j], bin_width)
    if choice == "cuda":
        counts = cuda.to_device(np.zeros((1, n_types, n_types, int(n_bins)), np.int64))
        _bin_pairs_cuda[cuda_blocks(len(nl.i))](*(cuda.to_device(a) for a in args[:3]),
                                                bin_width, counts)
        return counts.copy_to_host()[0]
    parallel = choice == "cpu_parallel"
    n_chunks = 4 * numba.get_num_threads() if parallel else 1
    counts = np.zeros((n_chunks, n_types, n_types, int(n_bins)), np.int64)
    (_bin_pairs_parallel if parallel else _bin_pairs_serial)(*args, counts)
    return counts.sum(axis=0)


def shell_volumes(bin_edges, thickness=None):
    """Volume (Å³) of each spherical shell between ``bin_edges`` (Å), averaged over
    centres spread uniformly through a slab of ``thickness`` Å (None: bulk).

    In a slab, the mean fraction of a sphere of radius r inside is ``1 - r / (2 L)``
    for ``r <= L`` and ``L / (2 r)`` beyond; integrating ``4 pi r^2`` times it gives
    ``4 pi (r^3/3 - r^4/(8 L))`` up to ``L`` and ``5 pi L^3 / 6 + pi L (r^2 - L^2)`` beyond.
    """
    r = np.asarray(bin_edges, dtype=np.float64)
    if thickness is None:
        cumulative = 4.0 / 3.0 * np.pi * r ** 3
    else:
        L = float(thickness)
        if L <= 0:
            raise ValueError(f"slab thickness must be positive, got {thickness} Å")
        inside = 4.0 * np.pi * (r ** 3 / 3.0 - r ** 4 / (8.0 * L))
        beyond = 5.0 * np.pi * L ** 3 / 6.0 + np.pi * L * (r ** 2 - L ** 2)
        cumulative = np.where(r <= L, inside, beyond)
    return np.diff(cumulative)


def ideal_pair_counts(bin_edges, n_a, n_b, volume, same_type, thickness=None):
    """Ordered a-b pair counts per bin for uncorrelated atoms (the g(r) denominator).

    bin_edges: (n_bins + 1,) Å; n_a, n_b: atoms of each type; volume: Å³ that holds
    them (for a slab: area × thickness); same_type: a == b (then n_b - 1 partners);
    thickness: slab thickness in Å along the non-periodic direction, None for bulk.
    """
    if volume <= 0:
        raise ValueError(f"volume must be positive, got {volume} Å³")
    partners = n_b - 1 if same_type else n_b
    return n_a * partners / volume * shell_volumes(bin_edges, thickness)
