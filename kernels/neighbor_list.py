"""Neighbor lists by cell lists: triclinic cells, any periodicity, any cutoff.

Atoms are binned in fractional coordinates. Along direction ``k`` the planes of the
cell are ``d_k = 1 / |b_k|`` apart (``b_k`` a reciprocal vector), and two atoms closer
than ``cutoff`` differ in fractional coordinate ``k`` by at most ``cutoff / d_k``; so
searching ``ceil(cutoff * nbins_k / d_k)`` bins on each side finds every pair, also in
skewed cells and when the cutoff exceeds the cell (periodic bins then wrap several
times, each wrap one more image). The parallel and CUDA kernels count pairs in one pass
and write them in a second into arrays sized exactly; the serial kernel (small systems,
one thread) writes in one pass into buffers sized from an exact count over a sample of
atoms, which measured 15-35 % faster than two passes at the same peak memory. Pairs
are grouped by the centre atom ``i`` in increasing order.

The per-atom search ``_visit_atom`` is one Python function compiled twice, for the CPU
(``numba.njit``) and as a CUDA device function, so the twins cannot drift apart.
"""

from typing import NamedTuple

import numpy as np
from ase.geometry import complete_cell
from numba import cuda, njit, prange

from .backend import cuda_blocks, select_backend


class NeighborList(NamedTuple):
    """Pairs ``(i, j, shift)`` with ``vector = positions[j] + shift @ cell - positions[i]``.

    i, j: (n_pairs,) int64; shifts: (n_pairs, 3) int32 cell translations;
    distances: (n_pairs,) Å; vectors: (n_pairs, 3) Å. Sorted by ``i``.
    """

    i: np.ndarray
    j: np.ndarray
    shifts: np.ndarray
    distances: np.ndarray
    vectors: np.ndarray


def _visit_atom(i, write, offset, wpos, spos, sidx, bin_start, atom_bin, nbins, search,
                periodic, cell, wrap, cutoff2, half, out_i, out_j, out_s, out_d, out_v):
    """Count (and if ``write``, store from ``offset`` on) the neighbours of atom ``i``."""
    xi, yi, zi = wpos[i, 0], wpos[i, 1], wpos[i, 2]
    count = 0
    for dx in range(-search[0], search[0] + 1):
        cx = atom_bin[i, 0] + dx
        sx = 0
        if periodic[0]:
            sx = cx // nbins[0]
            cx -= sx * nbins[0]
        elif cx < 0 or cx >= nbins[0]:
            continue
        for dy in range(-search[1], search[1] + 1):
            cy = atom_bin[i, 1] + dy
            sy = 0
            if periodic[1]:
                sy = cy // nbins[1]
                cy -= sy * nbins[1]
            elif cy < 0 or cy >= nbins[1]:
                continue
            for dz in range(-search[2], search[2] + 1):
                cz = atom_bin[i, 2] + dz
                sz = 0
                if periodic[2]:
                    sz = cz // nbins[2]
                    cz -= sz * nbins[2]
                elif cz < 0 or cz >= nbins[2]:
                    continue
                positive = sx > 0 or (sx == 0 and (sy > 0 or (sy == 0 and sz > 0)))
                is_zero = sx == 0 and sy == 0 and sz == 0
                tx = sx * cell[0, 0] + sy * cell[1, 0] + sz * cell[2, 0] - xi
                ty = sx * cell[0, 1] + sy * cell[1, 1] + sz * cell[2, 1] - yi
                tz = sx * cell[0, 2] + sy * cell[1, 2] + sz * cell[2, 2] - zi
                b = (cx * nbins[1] + cy) * nbins[2] + cz
                for k in range(bin_start[b], bin_start[b + 1]):
                    j = sidx[k]
                    if j == i:
                        if is_zero or (half and not positive):
                            continue
                    elif half and j < i:
                        continue
                    vx = spos[k, 0] + tx
                    vy = spos[k, 1] + ty
                    vz = spos[k, 2] + tz
                    d2 = vx * vx + vy * vy + vz * vz
                    if d2 < cutoff2:
                        if write:
                            p = offset + count
                            out_i[p] = i
                            out_j[p] = j
                            out_s[p, 0] = sx + wrap[i, 0] - wrap[j, 0]
                            out_s[p, 1] = sy + wrap[i, 1] - wrap[j, 1]
                            out_s[p, 2] = sz + wrap[i, 2] - wrap[j, 2]
                            out_d[p] = np.sqrt(d2)
                            out_v[p, 0] = vx
                            out_v[p, 1] = vy
                            out_v[p, 2] = vz
                        count += 1
    return count


_visit_atom_cpu = njit(cache=True)(_visit_atom)
_visit_atom_cuda = cuda.jit(device=True)(_visit_atom)


def _count_pairs(wpos, spos, sidx, bin_start, atom_bin, nbins, search, periodic, cell,
                 wrap, cutoff2, half, counts, out_i, out_j, out_s, out_d, out_v):
    for i in prange(wpos.shape[0]):
        counts[i] = _visit_atom_cpu(i, False, 0, wpos, spos, sidx, bin_start, atom_bin,
                                    nbins, search, periodic, cell, wrap, cutoff2, half,
                                    out_i, out_j, out_s, out_d, out_v)


def _fill_pairs(wpos, spos, sidx, bin_start, atom_bin, nbins, search, periodic, cell,
                wrap, cutoff2, half, offsets, out_i, out_j, out_s, out_d, out_v):
    for i in prange(wpos.shape[0]):
        _visit_atom_cpu(i, True, offsets[i], wpos, spos, sidx, bin_start, atom_bin,
                        nbins, search, periodic, cell, wrap, cutoff2, half,
                        out_i, out_j, out_s, out_d, out_v)


_count_pairs_parallel = njit(parallel=True, cache=True)(_count_pairs)
_fill_pairs_parallel = njit(parallel=True, cache=True)(_fill_pairs)


@njit(cache=True)
def _candidates(bin_start, nbins, search, periodic):
    """Atoms within the search range of each bin (an upper bound on its atoms' pairs)."""
    n_bins = nbins[0] * nbins[1] * nbins[2]
    candidates = np.zeros(n_bins, np.int64)
    for b in range(n_bins):
        bx, by, bz = b // (nbins[1] * nbins[2]), (b // nbins[2]) % nbins[1], b % nbins[2]
        for dx in range(-search[0], search[0] + 1):
            cx = (bx + dx) % nbins[0] if periodic[0] else bx + dx
            for dy in range(-search[1], search[1] + 1):
                cy = (by + dy) % nbins[1] if periodic[1] else by + dy
                for dz in range(-search[2], search[2] + 1):
                    cz = (bz + dz) % nbins[2] if periodic[2] else bz + dz
                    if 0 <= cx < nbins[0] and 0 <= cy < nbins[1] and 0 <= cz < nbins[2]:
                        c = (cx * nbins[1] + cy) * nbins[2] + cz
                        candidates[b] += bin_start[c + 1] - bin_start[c]
    return candidates


@njit(cache=True)
def _pairs_serial(wpos, spos, sidx, bin_start, atom_bin, nbins, search, periodic, cell,
                  wrap, cutoff2, half):
    """One pass into buffers sized from an exact count over a strided sample of atoms.

    Pairs per candidate, counted on every ``stride``-th atom, times all candidates
    estimates the pair count; the buffers get 5 % + 3 sigma of the sample more. Should
    an atom not fit, they grow to the pairs expected from the rate seen so far. The
    result is copied out when the buffers are over 1/8 too large, else returned as views.
    """
    n = wpos.shape[0]
    candidates = _candidates(bin_start, nbins, search, periodic)
    atom_candidates = np.empty(n, np.int64)
    for i in range(n):
        atom_candidates[i] = candidates[(atom_bin[i, 0] * nbins[1] + atom_bin[i, 1])
                                        * nbins[2] + atom_bin[i, 2]]
    total = atom_candidates.sum()
    stride = max(8, n // 512)
    sampled_pairs, sampled_candidates = 0, 0
    no_i, no_s = np.empty(0, np.int64), np.empty((0, 3), np.int32)  # not written when counting
    no_d, no_v = np.empty(0, np.float64), np.empty((0, 3), np.float64)
    for i in range(0, n, stride):
        sampled_candidates += atom_candidates[i]
        sampled_pairs += _visit_atom_cpu(i, False, 0, wpos, spos, sidx, bin_start, atom_bin,
                                         nbins, search, periodic, cell, wrap, cutoff2, half,
                                         no_i, no_i, no_s, no_d, no_v)
    expected = total * sampled_pairs / max(1, sampled_candidates)
    capacity = int(expected * (1.05 + 3.0 / np.sqrt(max(1, sampled_pairs)))) + 64
    out_i, out_j = np.empty(capacity, np.int64), np.empty(capacity, np.int64)
    out_s, out_d = np.empty((capacity, 3), np.int32), np.empty(capacity, np.float64)
    out_v = np.empty((capacity, 3), np.float64)
    offset, seen = 0, 0
    for i in range(n):
        if offset + atom_candidates[i] > capacity:  # might not fit: count it first
            needed = offset + _visit_atom_cpu(i, False, 0, wpos, spos, sidx, bin_start,
                                              atom_bin, nbins, search, periodic, cell, wrap,
                                              cutoff2, half, out_i, out_j, out_s, out_d, out_v)
            if needed > capacity:
                rate = offset / max(1, seen)
                capacity = needed + int(1.1 * rate * (total - seen)) + 64
                out_i, out_j = _grown(out_i, offset, capacity), _grown(out_j, offset, capacity)
                out_s, out_d = _grown(out_s, offset, capacity), _grown(out_d, offset, capacity)
                out_v = _grown(out_v, offset, capacity)
        offset += _visit_atom_cpu(i, True, offset, wpos, spos, sidx, bin_start, atom_bin,
                                  nbins, search, periodic, cell, wrap, cutoff2, half,
                                  out_i, out_j, out_s, out_d, out_v)
        seen += atom_candidates[i]
    if capacity > offset + offset // 8 + 64:
        return (out_i[:offset].copy(), out_j[:offset].copy(), out_s[:offset].copy(),
                out_d[:offset].copy(), out_v[:offset].copy())
    return out_i[:offset], out_j[:offset], out_s[:offset], out_d[:offset], out_v[:offset]


@njit(cache=True)
def _grown(array, used, capacity):
    out = np.empty((capacity,) + array.shape[1:], array.dtype)
    out[:used] = array[:used]
    return out


@cuda.jit
def _count_pairs_cuda(wpos, spos, sidx, bin_start, atom_bin, nbins, search, periodic, cell,
                      wrap, cutoff2, half, counts, out_i, out_j, out_s, out_d, out_v):
    i = cuda.grid(1)
    if i < wpos.shape[0]:
        counts[i] = _visit_atom_cuda(i, False, 0, wpos, spos, sidx, bin_start, atom_bin,
                                     nbins, search, periodic, cell, wrap, cutoff2, half,
                                     out_i, out_j, out_s, out_d, out_v)


@cuda.jit
def _fill_pairs_cuda(wpos, spos, sidx, bin_start, atom_bin, nbins, search, periodic, cell,
                     wrap, cutoff2, half, offsets, out_i, out_j, out_s, out_d, out_v):
    i = cuda.grid(1)
    if i < wpos.shape[0]:
        _visit_atom_cuda(i, True, offsets[i], wpos, spos, sidx, bin_start, atom_bin,
                         nbins, search, periodic, cell, wrap, cutoff2, half,
                         out_i, out_j, out_s, out_d, out_v)


@njit(cache=True)
def _bin_atoms(frac, smin, span, nbins):
    """Bin coordinates per atom and a counting sort of atoms by bin."""
    n = frac.shape[0]
    atom_bin = np.empty((n, 3), np.int64)
    flat = np.empty(n, np.int64)
    n_bins = nbins[0] * nbins[1] * nbins[2]
    bin_start = np.zeros(n_bins + 1, np.int64)
    for a in range(n):
        for k in range(3):
            b = 0
            if span[k] > 0.0:
                b = int((frac[a, k] - smin[k]) / span[k] * nbins[k])
            atom_bin[a, k] = min(max(b, 0), nbins[k] - 1)
        flat[a] = (atom_bin[a, 0] * nbins[1] + atom_bin[a, 1]) * nbins[2] + atom_bin[a, 2]
        bin_start[flat[a] + 1] += 1
    for b in range(n_bins):
        bin_start[b + 1] += bin_start[b]
    fill = bin_start[:-1].copy()
    sidx = np.empty(n, np.int64)
    for a in range(n):
        sidx[fill[flat[a]]] = a
        fill[flat[a]] += 1
    return atom_bin, sidx, bin_start


def _validated(positions, cell, pbc, cutoff):
    positions = np.ascontiguousarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"positions must have shape (n, 3), got {positions.shape}")
    if not np.all(np.isfinite(positions)):
        raise ValueError("positions contain NaN or infinite values")
    if not np.isfinite(cutoff) or cutoff <= 0:
        raise ValueError(f"cutoff must be a positive length in Å, got {cutoff}")
    pbc = np.broadcast_to(np.asarray(pbc, dtype=bool), (3,)).copy()
    cell = np.array(cell, dtype=np.float64).reshape(3, 3) if np.size(cell) == 9 \
        else np.diag(np.broadcast_to(np.asarray(cell, dtype=np.float64), (3,)))
    lengths = np.linalg.norm(cell, axis=1)
    if np.any(pbc & (lengths < 1e-10)):
        raise ValueError(f"periodic cell vectors must be non-zero, got cell={cell.tolist()}")
    if np.any(lengths < 1e-10):  # a free direction given without a vector
        cell = complete_cell(cell)
    if abs(np.linalg.det(cell)) < 1e-9 * max(1.0, np.prod(np.linalg.norm(cell, axis=1))):
        raise ValueError(f"cell is degenerate (its vectors are coplanar): {cell.tolist()}")
    return positions, cell, pbc, float(cutoff)


def _cell_grid(frac, pbc, inv_cell, cutoff, n_atoms):
    """Bins per direction, their fractional origin and span, and the search range."""
    plane_spacing = 1.0 / np.linalg.norm(inv_cell, axis=0)
    smin = np.where(pbc, 0.0, frac.min(axis=0) if n_atoms else 0.0)
    span = np.where(pbc, 1.0, np.ptp(frac, axis=0) if n_atoms else 0.0)
    width = span * plane_spacing  # Å across the binned region
    nbins = np.maximum(1, np.floor(2 * width / cutoff)).astype(np.int64)  # bins >= cutoff/2
    limit = max(8, 2 * n_atoms)
    if nbins.prod() > limit:  # dilute system: fewer, wider bins
        nbins = np.maximum(1, np.floor(nbins * (limit / nbins.prod()) ** (1 / 3))).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        search = np.where(width > 0, np.ceil(cutoff * nbins / width), 0).astype(np.int64)
    search = np.where(pbc, search, np.minimum(search, nbins - 1))
    return smin, span, nbins, search


def neighbor_list(positions, cell, pbc, cutoff, *, full_list=True, backend=None):
    """All pairs closer than ``cutoff``, over periodic images.

    positions: (n, 3) Å; cell: (3, 3) Å, rows are cell vectors (a zero row is allowed
    along a non-periodic direction); pbc: bool or (3,) bools; cutoff: Å, may exceed the
    cell. ``full_list=True`` returns each pair twice ((i, j, S) and (j, i, -S)); False
    returns it once, with ``i < j``, or ``i == j`` and ``S`` lexicographically positive.
    backend: "auto" | "cpu" | "cuda" (None reads ``MLPEC_BACKEND``).
    Returns a :class:`NeighborList`.
    """
    positions, cell, pbc, cutoff = _validated(positions, cell, pbc, cutoff)
    n = positions.shape[0]
    inv_cell = np.linalg.inv(cell)
    frac = positions @ inv_cell
    wrap = np.where(pbc, np.floor(frac), 0.0)
    frac -= wrap
    wpos = positions - wrap @ cell
    wrap = wrap.astype(np.int64)
    smin, span, nbins, search = _cell_grid(frac, pbc, inv_cell, cutoff, n)
    atom_bin, sidx, bin_start = _bin_atoms(frac, smin, span, nbins)
    spos = wpos[sidx]
    args = (wpos, spos, sidx, bin_start, atom_bin, nbins, search, pbc, cell, wrap,
            cutoff * cutoff, not full_list)
    choice = select_backend(backend, n)
    if choice == "cuda":
        return _neighbor_list_cuda(args, n)
    if choice == "cpu_serial":
        return NeighborList(*_pairs_serial(*args))
    counts = np.empty(n, np.int64)
    _count_pairs_parallel(*args, counts, *_empty_outputs(0))
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    out = _empty_outputs(int(offsets[-1]))
    _fill_pairs_parallel(*args, offsets, *out)
    return NeighborList(*out)


def _empty_outputs(n_pairs):
    return (np.empty(n_pairs, np.int64), np.empty(n_pairs, np.int64),
            np.empty((n_pairs, 3), np.int32), np.empty(n_pairs, np.float64),
            np.empty((n_pairs, 3), np.float64))


def _neighbor_list_cuda(args, n):
    dargs = tuple(cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args)
    blocks, threads = cuda_blocks(n)
    counts = cuda.device_array(n, np.int64)
    empty = tuple(cuda.to_device(a) for a in _empty_outputs(0))
    _count_pairs_cuda[blocks, threads](*dargs, counts, *empty)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts.copy_to_host(), out=offsets[1:])
    out = tuple(cuda.device_array(a.shape, a.dtype) for a in _empty_outputs(int(offsets[-1])))
    _fill_pairs_cuda[blocks, threads](*dargs, cuda.to_device(offsets), *out)
    return NeighborList(*(a.copy_to_host() for a in out))
