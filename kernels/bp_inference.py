"""Fused inference of a field-aware Behler–Parrinello committee.

For every atom and committee member: normalise the mirror-invariant features G_i (the
first ``n_even`` columns), run the two-hidden-layer tanh network to the raw outputs
(e_i, q~_i, η~_i, u_i1..u_in_odd, w_i1..w_in_odd, v_i1..v_in_odd), form the odd charge
responses χ~_i = Σ_o u_io Gz_io / std_o, ζ~_i = Σ_o w_io Gz_io / std_o and the atomic
dipole p_i = Σ_o v_io Gz_io / std_o from the odd features (the last ``n_odd`` columns),
scale the six atomic outputs (e_i, q~_i, χ~_i, η~_i, ζ~_i, p_i) and backpropagate dE/dG_i
analytically in the same pass; then contract dE/dG with the descriptor derivative blocks
into forces and add the direct field force (Fz q_i + ½Fz² χ_i + ⅙Fz³ η_i + Fz⁴ ζ_i/24)
on z. The math is that of ``mlpec_lab.potential.model`` (docstring there). Weights are
stacked over members ``k`` and elements ``s``: ``w0 (K, S, n_even, h)``, ``b0 (K, S, h)``,
``w1 (K, S, h, h)``, ``b1``, ``w2 (K, S, h, 3 + 3 n_odd)``,
``b2 (K, S, 3 + 3 n_odd)``; ``mean``, ``std (K, S, n_even)``; ``odd_std (K, S, n_odd)``;
``offset (K, S)``; ``scale (K, 6)``. With height functions (``electrode_height``) the
even inputs are [G2, G5, height even] and the odd ones [Gz, height odd]: the networks
see them as more columns, and their forces are added here from dE/d(height). With the
cell dipole energy −c (Σ q z)² a forward-only pass gives the static charges first, and the
full pass then puts the cell's field 2c Σ q z on them (``qfield``).
"""

import math

import numpy as np
from numba import cuda, njit, prange

from .backend import cuda_blocks, select_backend
from .electrode_height import height_basis, height_forces
from .field_series import field_series

MAX_HIDDEN = 128  #: CUDA scratch size per thread


def _atom_member(i, k, features, species, dz, field, qfield, backward, w0, b0, w1, b1, w2, b2,
                 mean, std, odd_std, offset, scale, atomic, dE_dG, h1, h2):
    """Outputs of atom ``i`` for member ``k`` into ``atomic[k, i, :6]`` (e_i eV, q~_i e,
    χ~_i e·Å/V, η~_i e·Å²/V², ζ~_i e·Å³/V³, p_i e·Å) and dE/dG_i into ``dE_dG[k, i]``;
    ``dz = z_i − mean z`` (Å); ``qfield[k]``: the field on the static charge q~ (Fz plus
    the cell's dipole field of member k, V/Å); ``backward`` False: the outputs only (dE/dG
    of the even features is not written)."""
    s = species[i]
    n_even = mean.shape[2]
    n_odd = odd_std.shape[2]
    nh = b0.shape[2]
    # loops run with the hidden index innermost: weights are read contiguously
    for a in range(nh):
        h1[a] = b0[k, s, a]
    for f in range(n_even):
        x = (features[i, f] - mean[k, s, f]) / std[k, s, f]
        for a in range(nh):
            h1[a] += x * w0[k, s, f, a]
    for a in range(nh):
        h1[a] = math.tanh(h1[a])
        h2[a] = b1[k, s, a]
    for c in range(nh):
        x = h1[c]
        for a in range(nh):
            h2[a] += x * w1[k, s, c, a]
    for a in range(nh):
        h2[a] = math.tanh(h2[a])
    raw0 = b2[k, s, 0]
    raw1 = b2[k, s, 1]
    raw3 = b2[k, s, 2]
    for c in range(nh):
        raw0 += h2[c] * w2[k, s, c, 0]
        raw1 += h2[c] * w2[k, s, c, 1]
        raw3 += h2[c] * w2[k, s, c, 2]
    # dE/d(raw outputs): E = Σe − Σ (z − z̄)(Fz q~ + ½ Fz² χ~ + ⅙ Fz³ η~ + Fz⁴ ζ~/24) − Fz Σp
    g0 = scale[k, 0]
    g1 = -qfield[k] * dz[i] * scale[k, 1]
    g2 = -0.5 * field * field * dz[i] * scale[k, 2]
    g3 = -field * field * field / 6.0 * dz[i] * scale[k, 3]
    g4 = -field * field * field * field / 24.0 * dz[i] * scale[k, 4]
    g5 = -field * scale[k, 5]
    raw2 = 0.0  # χ~ = Σ_o u_o x_o, x_o = Gz_o / std_o
    raw4 = 0.0  # ζ~ = Σ_o w_o x_o
    raw5 = 0.0  # p = Σ_o v_o x_o
    for o in range(n_odd):
        u = b2[k, s, 3 + o]
        w = b2[k, s, 3 + n_odd + o]
        v = b2[k, s, 3 + 2 * n_odd + o]
        for c in range(nh):
            u += h2[c] * w2[k, s, c, 3 + o]
            w += h2[c] * w2[k, s, c, 3 + n_odd + o]
            v += h2[c] * w2[k, s, c, 3 + 2 * n_odd + o]
        x = features[i, n_even + o] / odd_std[k, s, o]
        raw2 += u * x
        raw4 += w * x
        raw5 += v * x
        dE_dG[k, i, n_even + o] = (g2 * u + g4 * w + g5 * v) / odd_std[k, s, o]
    atomic[k, i, 0] = raw0 * scale[k, 0] + offset[k, s]
    atomic[k, i, 1] = raw1 * scale[k, 1]
    atomic[k, i, 2] = raw2 * scale[k, 2]
    atomic[k, i, 3] = raw3 * scale[k, 3]
    atomic[k, i, 4] = raw4 * scale[k, 4]
    atomic[k, i, 5] = raw5 * scale[k, 5]
    if not backward:
        return
    for c in range(nh):
        acc = g0 * w2[k, s, c, 0] + g1 * w2[k, s, c, 1] + g3 * w2[k, s, c, 2]
        for o in range(n_odd):
            x = features[i, n_even + o] / odd_std[k, s, o]
            acc += x * (g2 * w2[k, s, c, 3 + o] + g4 * w2[k, s, c, 3 + n_odd + o]
                        + g5 * w2[k, s, c, 3 + 2 * n_odd + o])
        h2[c] = acc * (1.0 - h2[c] * h2[c])
    for c in range(nh):
        acc = 0.0
        for a in range(nh):
            acc += w1[k, s, c, a] * h2[a]
        h1[c] = acc * (1.0 - h1[c] * h1[c])
    for f in range(n_even):
        acc = 0.0
        for a in range(nh):
            acc += w0[k, s, f, a] * h1[a]
        dE_dG[k, i, f] = acc / std[k, s, f]


_atom_member_cpu = njit(cache=True)(_atom_member)
_atom_member_cuda = cuda.jit(device=True)(_atom_member)


def _networks(features, species, dz, field, qfield, backward, w0, b0, w1, b1, w2, b2, mean,
              std, odd_std, offset, scale, atomic, dE_dG):
    nh = b0.shape[2]
    for i in prange(features.shape[0]):
        h1 = np.empty(nh)
        h2 = np.empty(nh)
        for k in range(w0.shape[0]):
            _atom_member_cpu(i, k, features, species, dz, field, qfield, backward, w0, b0, w1,
                             b1, w2, b2, mean, std, odd_std, offset, scale, atomic, dE_dG, h1, h2)


_networks_serial = njit(cache=True)(_networks)
_networks_parallel = njit(cache=True, parallel=True)(_networks)


@cuda.jit
def _networks_cuda(features, species, dz, field, qfield, backward, w0, b0, w1, b1, w2, b2,
                   mean, std, odd_std, offset, scale, atomic, dE_dG):
    t = cuda.grid(1)
    n = features.shape[0]
    if t < n * w0.shape[0]:
        h1 = cuda.local.array(MAX_HIDDEN, np.float64)
        h2 = cuda.local.array(MAX_HIDDEN, np.float64)
        _atom_member_cuda(t % n, t // n, features, species, dz, field, qfield, backward, w0,
                          b0, w1, b1, w2, b2, mean, std, odd_std, offset, scale, atomic, dE_dG,
                          h1, h2)


def committee_outputs(sf, z, field, weights, *, height=None, cell_dipole=0.0, backend=None):
    """Per-member energies, forces, dipoles of one structure.

    sf: :class:`~mlpec_lab.kernels.symmetry_functions.SymmetryFunctions`; z: (n,) Å;
    field: Fz V/Å; weights: dict of the stacked arrays named in the module docstring;
    height: (centers Å, width Å, (n,) bool mask of the metal atoms) when the model has
    height functions; cell_dipole: c (eV/(e·Å)²) of the cell dipole energy −c (Σ q z)² when
    the model has it (``mlpec_lab.potential.model``), 0 otherwise. Returns dict: energy (K,)
    eV, forces (K, n, 3) eV/Å, dipole_z (K,) e·Å, polarizability_zz (K,) e·Å²/V, charges
    (K, n) e, atomic_dipoles (K, n) e·Å.
    """
    from .symmetry_functions import _contract_forces_cuda, descriptor_forces, species_pair_index

    z = np.asarray(z, np.float64)
    features = np.ascontiguousarray(sf.features, np.float64)
    n_desc = features.shape[1]
    if height is not None:  # columns [even | height even | odd | height odd]
        centers, width, metal = height
        h_even, h_odd, dh_even, dh_odd = height_basis(z, metal, centers, width)
        n_even = n_desc - sf.n_odd * sf.angular_derivatives.shape[1]
        features = np.ascontiguousarray(np.hstack([features[:, :n_even], h_even,
                                                   features[:, n_even:], h_odd]))
        m = h_even.shape[1]
        desc_cols = np.r_[0:n_even, n_even + m:n_desc + m]
    n = len(features)
    dz = z - z.mean()
    w = {key: np.ascontiguousarray(weights[key], np.float64)
         for key in ("w0", "b0", "w1", "b1", "w2", "b2", "mean", "std", "odd_std", "offset",
                     "scale")}
    n_members, nh = w["w0"].shape[0], w["b0"].shape[2]
    choice = select_backend(backend, n)
    if choice == "cuda" and nh > MAX_HIDDEN:
        raise ValueError(f"hidden width {nh} exceeds the CUDA kernel's {MAX_HIDDEN}")

    def networks(qfield, backward=True):
        """atomic (K, n, 6) on the host; dE/dG (K, n, nf): on the device for CUDA."""
        args = (features, sf.species, dz, float(field), qfield, backward, w["w0"], w["b0"],
                w["w1"], w["b1"], w["w2"], w["b2"], w["mean"], w["std"], w["odd_std"],
                w["offset"], w["scale"])
        atomic = np.empty((n_members, n, 6))
        grad = np.empty((n_members, n, features.shape[1]))
        if choice == "cuda":
            dev = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
            d_atomic, d_grad = cuda.to_device(atomic), cuda.to_device(grad)
            _networks_cuda[cuda_blocks(n * n_members)](*dev, d_atomic, d_grad)
            return d_atomic.copy_to_host(), d_grad
        (_networks_parallel if choice == "cpu_parallel" else _networks_serial)(*args, atomic, grad)
        return atomic, grad

    qfield = np.full(n_members, float(field))
    cell_field = np.zeros(n_members)
    if cell_dipole:  # the cell's dipole field on the static charges needs them first
        q = networks(qfield, backward=False)[0][:, :, 1]
        cell_field = 2 * cell_dipole * ((q - q.mean(1, keepdims=True)) * z).sum(1)
    atomic, dE_dG = networks(qfield + cell_field)
    forces = np.empty((n_members, n, 3))
    if choice == "cuda":
        d_grad = dE_dG
        if height is not None:
            dE_dG = d_grad.copy_to_host()
            d_grad = cuda.to_device(np.ascontiguousarray(dE_dG[:, :, desc_cols]))
        blocks = [cuda.to_device(a) for a in (sf.pair_i, sf.pair_j, sf.species,
                                              sf.radial_derivatives, sf.angular_slot,
                                              sf.angular_derivatives)]
        pair_index = cuda.to_device(species_pair_index(sf.angular_derivatives.shape[1]))
        for k in range(n_members):
            d_forces = cuda.to_device(np.zeros((n, 3)))
            _contract_forces_cuda[cuda_blocks(len(sf.pair_i))](d_grad[k], *blocks, pair_index,
                                                               int(sf.n_odd), d_forces)
            forces[k] = d_forces.copy_to_host()
    else:
        for k in range(n_members):
            forces[k] = descriptor_forces(dE_dG[k] if height is None else
                                          np.ascontiguousarray(dE_dG[k][:, desc_cols]), sf)
    if height is not None:
        for k in range(n_members):
            forces[k, :, 2] += height_forces(dE_dG[k][:, n_even:n_even + m], dE_dG[k][:, n_desc + m:],
                                             dh_even, dh_odd, metal)
    coeffs = [atomic[:, :, c] - atomic[:, :, c].mean(axis=1, keepdims=True) for c in (1, 2, 3, 4)]
    moments = [(x * z).sum(1) for x in coeffs]  # Σ q z, α, β, γ
    charge_moment = moments[0]  # Σ q z (the next line rebinds moments[0])
    moments[0] = moments[0] + atomic[:, :, 5].sum(1)  # μz0 = Σ q z + Σ p
    forces[:, :, 2] += field_series(coeffs, field, 1) + cell_field[:, None] * coeffs[0]
    energy = (atomic[:, :, 0].sum(1) - field_series(moments, field, 1)
              - cell_dipole * charge_moment**2)
    return {"energy": energy, "forces": forces,
            "dipole_z": field_series(moments, field, 0),
            "polarizability_zz": field_series(moments, field, -1),
            "charges": field_series(coeffs, field, 0), "atomic_dipoles": atomic[:, :, 5]}
