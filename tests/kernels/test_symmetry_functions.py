"""Symmetry functions against a float64 plain loop, derivatives against finite differences."""

import itertools
import math

import numpy as np
import pytest
import torch

from mlpec_lab.kernels import backend as backend_module
from mlpec_lab.kernels.symmetry_functions import descriptor_forces, symmetry_functions
from mlpec_lab.kernels.symmetry_spec import default_spec, n_features, validated_spec

SPEC = default_spec(species=("H", "O", "Na"), rc_radial=4.5, rc_angular=3.5)


def small_system(n=9, seed=3, pbc=(True, True, False)):
    rng = np.random.default_rng(seed)
    cell = np.array([[4.2, 0.0, 0.0], [0.9, 3.9, 0.0], [0.2, -0.4, 6.0]])
    positions = rng.uniform(0, 1, (n, 3)) @ cell
    symbols = list(rng.choice(["H", "O", "Na"], n))
    return positions, cell, np.array(pbc), symbols


def reference_features(positions, cell, pbc, symbols, spec):
    """Plain loops over explicit periodic images; shares no code with the kernel."""
    species = [spec["species"].index(s) for s in symbols]
    n_s, n_r, n_a = len(spec["species"]), len(spec["radial_etas"]), len(spec["angular_etas"])
    pairs = [(s, t) for s in range(n_s) for t in range(s, n_s)]
    rc = max(spec["rc_radial"], spec["rc_angular"])
    reach = [3 if p else 0 for p in pbc]
    images = [np.array(m) @ cell for m in itertools.product(*(range(-k, k + 1) for k in reach))]
    out = np.zeros((len(positions), n_features(spec)))
    for i in range(len(positions)):
        neigh = []
        for j in range(len(positions)):
            for shift in images:
                v = positions[j] + shift - positions[i]
                r = math.sqrt(v @ v)
                if 0 < r < rc:
                    neigh.append((species[j], v, r))
        for s, v, r in neigh:
            if r < spec["rc_radial"]:
                fc = 0.5 * (math.cos(math.pi * r / spec["rc_radial"]) + 1)
                for t, (eta, mu) in enumerate(zip(spec["radial_etas"], spec["radial_shifts"])):
                    out[i, s * n_r + t] += math.exp(-eta * (r - mu) ** 2) * fc
                n_o = len(spec["odd_etas"])
                odd_col = n_s * n_r + len(pairs) * n_a + s * n_o
                for t, (eta, mu) in enumerate(zip(spec["odd_etas"], spec["odd_shifts"])):
                    out[i, odd_col + t] += v[2] / r * math.exp(-eta * (r - mu) ** 2) * fc
        ang = [x for x in neigh if x[2] < spec["rc_angular"]]
        for (s, v, r), (t, w, q) in itertools.combinations(ang, 2):
            cos = (v @ w) / (r * q)
            fcs = 0.25 * (math.cos(math.pi * r / spec["rc_angular"]) + 1) \
                * (math.cos(math.pi * q / spec["rc_angular"]) + 1)
            col = n_s * n_r + pairs.index((min(s, t), max(s, t))) * n_a
            for a, (eta, zeta, lam) in enumerate(zip(spec["angular_etas"], spec["angular_zetas"],
                                                     spec["angular_lambdas"])):
                out[i, col + a] += 2 ** (1 - zeta) * (1 + lam * cos) ** zeta \
                    * math.exp(-eta * (r * r + q * q)) * fcs
    return out


def dense_jacobian(result, n_atoms, spec):
    """dG_i/dr_k as (n, n_features, n, 3), assembled from the sparse blocks (test only)."""
    n_s, n_r, n_a = len(spec["species"]), len(spec["radial_etas"]), len(spec["angular_etas"])
    pairs = [(s, t) for s in range(n_s) for t in range(s, n_s)]
    jac = np.zeros((n_atoms, n_features(spec), n_atoms, 3))
    for p, (i, j) in enumerate(zip(result.pair_i, result.pair_j)):
        sj = result.species[j]
        block = np.zeros((n_features(spec), 3))
        block[sj * n_r:(sj + 1) * n_r] = result.radial_derivatives[p, :n_r]
        n_o = result.n_odd
        odd_col = n_s * n_r + len(pairs) * n_a + sj * n_o
        block[odd_col:odd_col + n_o] = result.radial_derivatives[p, n_r:]
        q = result.angular_slot[p]
        if q >= 0:
            for t in range(n_s):
                col = n_s * n_r + pairs.index((min(sj, t), max(sj, t))) * n_a
                block[col:col + n_a] += result.angular_derivatives[q, t]
        jac[i, :, j] += block
        jac[i, :, i] -= block
    return jac


@pytest.mark.parametrize("pbc", [(True, True, True), (True, True, False), (False,) * 3])
def test_features_equal_plain_loop(backend, pbc):
    positions, cell, pbc, symbols = small_system(pbc=pbc)
    result = symmetry_functions(positions, cell, pbc, symbols, SPEC, backend=backend)
    expected = reference_features(positions, cell, pbc, symbols, SPEC)
    np.testing.assert_allclose(result.features, expected, rtol=1e-10, atol=1e-10)


def test_odd_features_change_sign_under_the_mirror_and_the_rest_do_not():
    positions, cell, pbc, symbols = small_system(pbc=(True, True, False))
    mirror_cell = cell * np.array([1.0, 1.0, -1.0])
    mirror = positions * np.array([1.0, 1.0, -1.0])
    a = symmetry_functions(positions, cell, pbc, symbols, SPEC).features
    b = symmetry_functions(mirror, mirror_cell, pbc, symbols, SPEC).features
    n_even = n_features(SPEC) - 3 * len(SPEC["odd_etas"])
    assert len(SPEC["odd_etas"]) == 4 and np.abs(a[:, n_even:]).max() > 0.1
    np.testing.assert_allclose(b[:, :n_even], a[:, :n_even], atol=1e-12)
    np.testing.assert_allclose(b[:, n_even:], -a[:, n_even:], atol=1e-12)


def test_derivatives_equal_finite_differences(backend):
    positions, cell, pbc, symbols = small_system(n=6)
    result = symmetry_functions(positions, cell, pbc, symbols, SPEC, backend=backend)
    jac = dense_jacobian(result, len(positions), SPEC)
    h = 1e-5
    for k, c in itertools.product(range(len(positions)), range(3)):
        plus, minus = positions.copy(), positions.copy()
        plus[k, c] += h
        minus[k, c] -= h
        fd = (symmetry_functions(plus, cell, pbc, symbols, SPEC, backend="cpu").features
              - symmetry_functions(minus, cell, pbc, symbols, SPEC, backend="cpu").features) / (2 * h)
        np.testing.assert_allclose(jac[:, :, k, c], fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_descriptor_forces_equal_finite_differences():
    positions, cell, pbc, symbols = small_system(n=8, pbc=(True, True, True))
    weights = np.random.default_rng(0).normal(size=(len(positions), n_features(SPEC)))
    forces = descriptor_forces(weights, symmetry_functions(positions, cell, pbc, symbols, SPEC))
    h = 1e-5
    for k, c in [(0, 0), (3, 2), (7, 1)]:
        plus, minus = positions.copy(), positions.copy()
        plus[k, c] += h
        minus[k, c] -= h
        e_plus = (weights * symmetry_functions(plus, cell, pbc, symbols, SPEC).features).sum()
        e_minus = (weights * symmetry_functions(minus, cell, pbc, symbols, SPEC).features).sum()
        assert forces[k, c] == pytest.approx(-(e_plus - e_minus) / (2 * h), rel=1e-6)


def test_parallel_kernel_equals_serial(monkeypatch):
    rng = np.random.default_rng(1)
    cell = np.eye(3) * 9.0
    positions = rng.uniform(0, 9, (300, 3))
    symbols = list(rng.choice(["H", "O", "Na"], 300))
    results = []
    for threshold in (1, 10**9):  # parallel, then serial kernel
        monkeypatch.setattr(backend_module, "PARALLEL_MIN_ATOMS", threshold)
        results.append(symmetry_functions(positions, cell, True, symbols, SPEC, backend="cpu"))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_spec_round_trips_through_torch_weights_only(tmp_path):
    spec = default_spec()
    assert spec["species"] == ["H", "O", "Na", "Cl", "Pt"]
    assert spec["rc_radial"] == 6.0 and spec["rc_angular"] == 4.0
    torch.save({"descriptor": spec}, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=True)["descriptor"]
    assert validated_spec(loaded) == spec


def test_unknown_element_raises_clear_error():
    positions, cell, pbc, symbols = small_system()
    with pytest.raises(ValueError, match="element Cu is not in this descriptor"):
        symmetry_functions(positions, cell, pbc, ["Cu"] + symbols[1:], SPEC)
    with pytest.raises(ValueError, match="zetas"):
        validated_spec(dict(SPEC, angular_zetas=[0.5] * len(SPEC["angular_zetas"])))
