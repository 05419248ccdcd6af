"""Atom-centred symmetry functions (Behler G2 radial, G5 angular), element-resolved,
with analytic derivatives stored as sparse per-pair blocks.

Features of atom ``i`` (``n_features = S * n_radial + S (S + 1) / 2 * n_angular + S * n_odd``):

- radial, species ``s`` of the neighbour, term ``r``: column ``s * n_radial + r``,
  ``G2 = sum_j exp(-eta_r (r_ij - shift_r)^2) fc(r_ij)`` over ``r_ij < rc_radial``;
- angular, unordered species pair ``(s, t)``, term ``a``: column
  ``S * n_radial + pair_index[s, t] * n_angular + a``, ``G5 = 2^(1 - zeta) sum_{j<k}
  (1 + lambda cos theta_jik)^zeta exp(-eta (r_ij^2 + r_ik^2)) fc(r_ij) fc(r_ik)`` over
  ``r_ij, r_ik < rc_angular``;
- odd, species ``s`` of the neighbour, term ``o``: column ``S * n_radial + S (S + 1) / 2 *
  n_angular + s * n_odd + o``, ``Gz = sum_j (z_ij / r_ij) exp(-eta_o (r_ij - shift_o)^2)
  fc(r_ij)`` over ``r_ij < rc_radial`` (odd under z -> -z; see ``symmetry_spec``).

``fc(r) = 0.5 (cos(pi r / rc) + 1)``. Derivative blocks, for each full-list pair
``p = (i, j)`` (``dG_i/dr_i = -sum_j dG_i/dr_j``, translation invariance):

- ``radial_derivatives[p, r, :] = dG_i[s_j * n_radial + r] / dr_j`` for ``r < n_radial``,
  and the odd term ``o`` at ``r = n_radial + o``;
- ``angular_derivatives[q, t, a, :] = dG_i[S * n_radial + pair_index[s_j, t] * n_angular
  + a] / dr_j`` for the angular slot ``q = angular_slot[p]`` (-1 beyond rc_angular).

:func:`descriptor_forces` contracts them with ``dE/dG`` into forces without dense
matrices. Each per-atom function is compiled for the CPU and as a CUDA device function.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import cuda, njit, prange

from .backend import cuda_blocks, select_backend
from .neighbor_list import neighbor_list
from .symmetry_spec import n_features, validated_spec


class SymmetryFunctions(NamedTuple):
    """features: (n, n_features); pair_i, pair_j: (n_pairs,) full list sorted by i;
    radial_derivatives: (n_pairs, n_radial + n_odd, 3) 1/Å; angular_slot: (n_pairs,) int64;
    angular_derivatives: (n_angular_pairs, S, n_angular, 3) 1/Å; species: (n,) index
    of each atom in ``spec["species"]``; n_odd: odd terms per species (the last
    ``S * n_odd`` feature columns and the last ``n_odd`` radial derivative terms)."""

    features: np.ndarray
    pair_i: np.ndarray
    pair_j: np.ndarray
    radial_derivatives: np.ndarray
    angular_slot: np.ndarray
    angular_derivatives: np.ndarray
    species: np.ndarray
    n_odd: int = 0


def _atom_features(i, start, end, vectors, distances, pair_j, species, angular_slot,
                   radial_eta, radial_shift, rc_radial, angular_eta, angular_zeta,
                   angular_lambda, rc_angular, odd_eta, odd_shift, pair_index, n_species,
                   features, radial_d, angular_d, scratch):
    """Features of atom ``i`` and the derivative blocks of its pairs ``start:end``;
    ``scratch[q, a]`` holds ``exp(-eta_a r^2) fc(r)`` and its derivative / r."""
    n_radial = radial_eta.shape[0]
    n_angular = angular_eta.shape[0]
    n_odd = odd_eta.shape[0]
    angular_offset = n_species * n_radial
    odd_offset = features.shape[1] - n_species * n_odd
    for f in range(features.shape[1]):
        features[i, f] = 0.0
    for p in range(start, end):
        r = distances[p]
        s = species[pair_j[p]]
        inside = r < rc_radial
        fc = 0.5 * (math.cos(math.pi * r / rc_radial) + 1.0) if inside else 0.0
        dfc = -0.5 * math.pi / rc_radial * math.sin(math.pi * r / rc_radial) if inside else 0.0
        for t in range(n_radial):
            x = r - radial_shift[t]
            e = math.exp(-radial_eta[t] * x * x)
            features[i, s * n_radial + t] += e * fc
            g = (e * dfc - 2.0 * radial_eta[t] * x * e * fc) / r
            for c in range(3):
                radial_d[p, t, c] = g * vectors[p, c]
        for t in range(n_odd):
            # (z_ij / r) h(r): d/dr_j = z_hat h / r + z_ij (h' / r - h / r^2) r_vec / r
            x = r - odd_shift[t]
            e = math.exp(-odd_eta[t] * x * x)
            h = e * fc
            dh = e * dfc - 2.0 * odd_eta[t] * x * e * fc
            features[i, odd_offset + s * n_odd + t] += vectors[p, 2] / r * h
            g = vectors[p, 2] * (dh / r - h / (r * r)) / r
            for c in range(3):
                radial_d[p, n_radial + t, c] = g * vectors[p, c]
            radial_d[p, n_radial + t, 2] += h / r
        q = angular_slot[p]
        if q >= 0:
            fa = 0.5 * (math.cos(math.pi * r / rc_angular) + 1.0)
            dfa = -0.5 * math.pi / rc_angular * math.sin(math.pi * r / rc_angular) / r
            for a in range(n_angular):
                e = math.exp(-angular_eta[a] * r * r)
                scratch[q, a, 0] = e * fa
                scratch[q, a, 1] = e * (dfa - 2.0 * angular_eta[a] * fa)
            for t in range(n_species):
                for a in range(n_angular):
                    for c in range(3):
                        angular_d[q, t, a, c] = 0.0
    for p in range(start, end):
        qp = angular_slot[p]
        if qp < 0:
            continue
        rp = distances[p]
        for k in range(p + 1, end):
            qk = angular_slot[k]
            if qk < 0:
                continue
            rk = distances[k]
            dot = (vectors[p, 0] * vectors[k, 0] + vectors[p, 1] * vectors[k, 1]
                   + vectors[p, 2] * vectors[k, 2])
            cos = dot / (rp * rk)
            sp = species[pair_j[p]]
            sk = species[pair_j[k]]
            column = angular_offset + pair_index[sp, sk] * n_angular
            for a in range(n_angular):
                lam = angular_lambda[a]
                zeta = angular_zeta[a]
                base = 1.0 + lam * cos
                base = max(base, 0.0)  # round-off at cos = -lambda
                m = int(zeta) - 1
                if m == zeta - 1.0 and m <= 16:  # integer zeta: multiply, no pow()
                    power, norm = 1.0, 1.0
                    for _ in range(m):
                        power *= base
                        norm *= 0.5
                else:
                    power, norm = base ** (zeta - 1.0), 2.0 ** (1.0 - zeta)
                gp, gk = scratch[qp, a, 0], scratch[qk, a, 0]
                features[i, column + a] += norm * power * base * gp * gk
                # d/dr_j of each factor, as coefficients of vectors[p] and vectors[k]
                dcos = norm * zeta * power * lam * gp * gk
                rest = norm * power * base
                cp = dcos * (-cos / (rp * rp)) + rest * scratch[qp, a, 1] * gk
                ck = dcos * (-cos / (rk * rk)) + rest * scratch[qk, a, 1] * gp
                cross_p = dcos / (rp * rk)
                for c in range(3):
                    angular_d[qp, sk, a, c] += cp * vectors[p, c] + cross_p * vectors[k, c]
                    angular_d[qk, sp, a, c] += ck * vectors[k, c] + cross_p * vectors[p, c]


_atom_features_cpu = njit(cache=True)(_atom_features)
_atom_features_cuda = cuda.jit(device=True)(_atom_features)


def _all_features(pair_start, vectors, distances, pair_j, species, angular_slot,
                  radial_eta, radial_shift, rc_radial, angular_eta, angular_zeta,
                  angular_lambda, rc_angular, odd_eta, odd_shift, pair_index, n_species,
                  features, radial_d, angular_d, scratch):
    for i in prange(features.shape[0]):
        _atom_features_cpu(i, pair_start[i], pair_start[i + 1], vectors, distances, pair_j,
                           species, angular_slot, radial_eta, radial_shift, rc_radial,
                           angular_eta, angular_zeta, angular_lambda, rc_angular, odd_eta,
                           odd_shift, pair_index, n_species, features, radial_d, angular_d,
                           scratch)


_all_features_serial = njit(cache=True)(_all_features)
_all_features_parallel = njit(parallel=True, cache=True)(_all_features)


@cuda.jit
def _all_features_cuda(pair_start, vectors, distances, pair_j, species, angular_slot,
                       radial_eta, radial_shift, rc_radial, angular_eta, angular_zeta,
                       angular_lambda, rc_angular, odd_eta, odd_shift, pair_index, n_species,
                       features, radial_d, angular_d, scratch):
    i = cuda.grid(1)
    if i < features.shape[0]:
        _atom_features_cuda(i, pair_start[i], pair_start[i + 1], vectors, distances,
                            pair_j, species, angular_slot, radial_eta, radial_shift,
                            rc_radial, angular_eta, angular_zeta, angular_lambda,
                            rc_angular, odd_eta, odd_shift, pair_index, n_species, features,
                            radial_d, angular_d, scratch)


def species_indices(spec, symbols):
    """Index of each chemical symbol in ``spec["species"]``; clear error if absent."""
    known = list(spec["species"])
    try:
        return np.array([known.index(s) for s in symbols], dtype=np.int64)
    except ValueError:
        missing = sorted(set(symbols) - set(known))
        raise ValueError(f"element {', '.join(missing)} is not in this descriptor "
                         f"(species {', '.join(known)})") from None


def symmetry_functions(positions, cell, pbc, symbols, spec, *, backend=None):
    """Symmetry functions and their derivative blocks (layout in the module docstring).

    positions: (n, 3) Å; cell: (3, 3) Å; pbc: bool or (3,); symbols: n chemical symbols;
    spec: descriptor dict (see :mod:`.symmetry_spec`). Returns :class:`SymmetryFunctions`.
    """
    spec = validated_spec(spec)
    species = species_indices(spec, list(symbols))
    positions = np.asarray(positions, dtype=np.float64)
    if len(species) != len(positions):
        raise ValueError(f"{len(symbols)} symbols for {len(positions)} positions")
    rc_radial, rc_angular = spec["rc_radial"], spec["rc_angular"]
    n = len(species)
    choice = select_backend(backend, n)
    nl = neighbor_list(positions, cell, pbc, max(rc_radial, rc_angular),
                       backend="cuda" if choice == "cuda" else "cpu")
    pair_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(nl.i, minlength=n), out=pair_start[1:])
    is_angular = nl.distances < rc_angular
    angular_slot = np.where(is_angular, np.cumsum(is_angular) - 1, -1).astype(np.int64)
    n_species = len(spec["species"])
    radial_eta, radial_shift = np.array(spec["radial_etas"]), np.array(spec["radial_shifts"])
    angular_eta, angular_zeta = np.array(spec["angular_etas"]), np.array(spec["angular_zetas"])
    angular_lambda = np.array(spec["angular_lambdas"], dtype=np.float64)
    odd_eta, odd_shift = np.array(spec["odd_etas"], float), np.array(spec["odd_shifts"], float)
    pair_index = species_pair_index(n_species)
    features = np.empty((n, n_features(spec)))
    radial_d = np.empty((len(nl.i), len(radial_eta) + len(odd_eta), 3))
    angular_d = np.empty((int(is_angular.sum()), n_species, len(angular_eta), 3))
    args = (pair_start, nl.vectors, nl.distances, nl.j, species, angular_slot, radial_eta,
            radial_shift, rc_radial, angular_eta, angular_zeta, angular_lambda, rc_angular,
            odd_eta, odd_shift, pair_index, n_species, features, radial_d, angular_d,
            np.empty((len(angular_d), len(angular_eta), 2)))
    if choice == "cuda":
        device = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
        _all_features_cuda[cuda_blocks(n)](*device)
        features, radial_d, angular_d = (a.copy_to_host() for a in device[-4:-1])
    elif choice == "cpu_parallel":
        _all_features_parallel(*args)
    else:
        _all_features_serial(*args)
    return SymmetryFunctions(features, nl.i, nl.j, radial_d, angular_slot, angular_d, species,
                             len(odd_eta))


def species_pair_index(n_species):
    """(S, S) int64: index of the unordered species pair (s, t), row-major over s <= t."""
    index = np.empty((n_species, n_species), np.int64)
    rows, cols = np.triu_indices(n_species)
    index[rows, cols] = index[cols, rows] = np.arange(len(rows))
    return index


def _pair_gradient(p, c, dE_dG, pair_i, pair_j, species, radial_d, angular_slot, angular_d,
                   pair_index, n_odd):
    """Component ``c`` of dE/dr_j through G_i for the full-list pair p = (i, j)."""
    n_species, n_radial = angular_d.shape[1], radial_d.shape[1] - n_odd
    n_angular = angular_d.shape[2]
    odd_offset = dE_dG.shape[1] - n_species * n_odd
    i, sj = pair_i[p], species[pair_j[p]]
    g = 0.0
    for t in range(n_radial):
        g += dE_dG[i, sj * n_radial + t] * radial_d[p, t, c]
    for t in range(n_odd):
        g += dE_dG[i, odd_offset + sj * n_odd + t] * radial_d[p, n_radial + t, c]
    q = angular_slot[p]
    if q >= 0:
        for t in range(n_species):
            column = n_species * n_radial + pair_index[sj, t] * n_angular
            for a in range(n_angular):
                g += dE_dG[i, column + a] * angular_d[q, t, a, c]
    return g


_pair_gradient_cpu = njit(cache=True)(_pair_gradient)
_pair_gradient_cuda = cuda.jit(device=True)(_pair_gradient)


@njit(cache=True)
def _contract_forces_cpu(dE_dG, pair_i, pair_j, species, radial_d, angular_slot, angular_d,
                         pair_index, n_odd, forces):
    for p in range(pair_i.shape[0]):
        for c in range(3):
            g = _pair_gradient_cpu(p, c, dE_dG, pair_i, pair_j, species, radial_d,
                                   angular_slot, angular_d, pair_index, n_odd)
            forces[pair_j[p], c] -= g
            forces[pair_i[p], c] += g


@cuda.jit
def _contract_forces_cuda(dE_dG, pair_i, pair_j, species, radial_d, angular_slot, angular_d,
                          pair_index, n_odd, forces):
    p = cuda.grid(1)
    if p < pair_i.shape[0]:
        for c in range(3):
            g = _pair_gradient_cuda(p, c, dE_dG, pair_i, pair_j, species, radial_d,
                                    angular_slot, angular_d, pair_index, n_odd)
            cuda.atomic.add(forces, (pair_j[p], c), -g)
            cuda.atomic.add(forces, (pair_i[p], c), g)


def descriptor_forces(dE_dG, result):
    """Forces (n, 3) eV/Å, ``F = -dE/dr``, from ``dE_dG``: (n, n_features) eV and the
    derivative blocks of a :class:`SymmetryFunctions` result."""
    dE_dG = np.ascontiguousarray(dE_dG, dtype=np.float64)
    if dE_dG.shape != result.features.shape:
        raise ValueError(f"dE_dG has shape {dE_dG.shape}, features {result.features.shape}")
    forces = np.zeros((len(result.features), 3))
    _contract_forces_cpu(dE_dG, result.pair_i, result.pair_j, result.species,
                         result.radial_derivatives, result.angular_slot,
                         result.angular_derivatives,
                         species_pair_index(result.angular_derivatives.shape[1]),
                         int(result.n_odd), forces)
    return forces
