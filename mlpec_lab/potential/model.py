"""The field-aware Behler–Parrinello model (torch).

Per-element networks map the normalised mirror-invariant symmetry functions G_i (G2, G5)
to an energy e_i, a charge q~_i, a second-order charge response η~_i and two vectors u_i,
w_i that weight the odd functions Gz_i (bond projections on the normal,
``symmetry_spec``): the first- and third-order charge responses are χ~_i = Σ_o u_io
Gz_io / std_o and ζ~_i = Σ_o w_io Gz_io / std_o. Why odd: under the mirror z → −z with
Fz → −Fz the energy must not change, so q and η must be even and χ and ζ odd — with
invariant descriptors alone χ is even, the top and bottom layers of a bare slab get the
same χ and the slab cannot polarize. Each charge coefficient is made neutral over the
structure (x_i = x~_i − mean x~), so the atomic charges at a field Fz (V/Å) are

    q_i(Fz) = q_i + χ_i Fz + ½ η_i Fz² + ⅙ ζ_i Fz³      Σ_i q_i(Fz) = 0 at every field

and the energy is the one whose field derivatives they give:

    μz0 = Σ q_i z_i + Σ p_i,  α = Σ χ_i z_i,  β = Σ η_i z_i,  γ = Σ ζ_i z_i
    E   = Σ e_i − μz0 Fz − ½ α Fz² − ⅙ β Fz³ − γ Fz⁴/24        eV
    μz  = −∂E/∂Fz = Σ q_i(Fz) z_i + Σ p_i                       e·Å
    αzz = −∂²E/∂Fz² = α + β Fz + ½ γ Fz²                        e·Å²/V

Atomic dipoles: the oracle's dipole is not Σ q_i z_i of its Mulliken charges — tblite
adds the atomic dipoles of the density (on the Stark structures, seed 0, zero field, they
are 0.17 e·Å of H2O*'s 0.59 and 0.56 of OH*'s 0.77). A third odd head v_i gives each
atom a static dipole p_i = Σ_o v_io Gz_io / std_o (odd under the mirror, as a z-dipole
must be, and free of the neutrality constraint), and μz0 above is Σ q_i z_i + Σ p_i.

Field-dependent charges (rather than atomic polarizabilities) put the induced charge
where the model learns it sits — on the metal's top layer — so the charge density
obeys Gauss's law across the interface, which the double-layer electrostatics need.
The higher orders are there because the slab's response is not quadratic above
|Fz| ≈ 0.3 V/Å (REFERENCE_PROTOCOL.md section 7): for a mirror-symmetric slab β
vanishes and the leading correction is the quartic γ (the oracle's bare slab has γ ≈
45–83 e·Å⁴/V³; a model without it learns an α averaged over the trained field range).
Forces: −∂E/∂r through G (the descriptor derivative blocks, p_i included) plus the direct term
(Fz q_i + ½Fz² χ_i + ⅙Fz³ η_i + Fz⁴ ζ_i/24) on z_i.

Optional cell dipole energy (spec ``cell_dipole``): the oracle treats the slab cell as
3D-periodic, which adds −c μq² to its energy, μq the z-moment of its charges and c = 2π k_e
/ (A L_z) (``descriptors.cell_dipole_coefficient``; 0.047 eV/(e·Å)² in the protocol's cell),
a term no sum of atomic energies can hold (it is the square of a sum). The model adds

    E_cell = −c (Σ q_i z_i)²        (static charges; field-independent, so μz and αzz stay
                                      −∂E/∂Fz and −∂²E/∂Fz² exactly)

and its force, the field 2c Σ q_j z_j acting on each q_i, on z_i.

Optional height functions (spec ``height_centers``, ``kernels/electrode_height.py``): the
height d_i of each atom above the metal's mean height, as even functions appended to the
network inputs and odd ones appended to Gz (so χ and ζ may depend on it with the right
parity). They let charge responses grow with the distance from the electrode, as the
oracle's field-driven charge transfer across the electrolyte does; their forces act on
z_i and, through the mean, on the metal atoms.
"""
from __future__ import annotations

import torch
from torch import nn

from mlpec_lab.kernels.field_series import field_series
from mlpec_lab.potential.descriptors import Batch, contract_forces

#: scale of the atomic outputs (e_i, q~_i, χ~_i, η~_i, ζ~_i, p_i): eV, e, e·Å/V, e·Å²/V²,
#: e·Å³/V³, e·Å
OUTPUT_SCALES = (1.0, 0.3, 0.1, 0.1, 0.1, 0.1)
#: odd heads of each network (χ, ζ, p), each n_odd wide
N_ODD_HEADS = 3


class ElementNetwork(nn.Module):
    """G_i (even, normalised) → (e_i, q~_i, η~_i, u_i1..u_in_odd, w_i1..w_in_odd,
    v_i1..v_in_odd): two tanh hidden layers."""

    def __init__(self, n_features: int, hidden: int, n_odd: int = 0):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n_features, hidden), nn.Linear(hidden, hidden),
                                     nn.Linear(hidden, 3 + N_ODD_HEADS * n_odd)])

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.tanh(layer(x))
        return self.layers[-1](x)


class FieldAwareBP(nn.Module):
    """Per-element networks plus the field terms above.

    species: element symbols (order of ``spec["species"]``); n_features: even (G2, G5)
    features, the first columns; n_odd: odd features (Gz, all species), the last columns;
    feature_mean/std: (S, n_features) normalisation per element; odd_std: (S, n_odd)
    scale of Gz (no shift: a shift would break the oddness); energy_offset: (S,) eV.
    """

    def __init__(self, species, n_features: int, hidden: int = 32, n_odd: int = 0,
                 height_centers=(), height_width: float = 1.5, electrode: str = "Pt",
                 cell_dipole: bool = False):
        super().__init__()
        self.species = list(species)
        self.hidden = hidden
        self.n_even, self.n_odd = n_features, n_odd
        self.height_centers = tuple(float(c) for c in height_centers)
        self.height_width = float(height_width)
        self.electrode_index = self.species.index(electrode) if electrode in self.species else -1
        self.cell_dipole = bool(cell_dipole)
        m = len(self.height_centers)
        s = len(self.species)
        self.networks = nn.ModuleList([ElementNetwork(n_features + m, hidden, n_odd + m)
                                       for _ in range(s)])
        self.register_buffer("feature_mean", torch.zeros(s, n_features + m))
        self.register_buffer("feature_std", torch.ones(s, n_features + m))
        self.register_buffer("odd_std", torch.ones(s, n_odd + m))
        self.register_buffer("energy_offset", torch.zeros(s))
        self.register_buffer("output_scale", torch.tensor(OUTPUT_SCALES))

    @classmethod
    def from_spec(cls, spec, hidden: int = 32):
        """An untrained model (unit normalisation, zero offsets) for descriptor ``spec``."""
        from mlpec_lab.kernels.symmetry_spec import n_even_features, n_odd_features

        return cls(spec["species"], n_even_features(spec), hidden, n_odd_features(spec),
                   spec.get("height_centers", ()), spec.get("height_width", 1.5),
                   spec.get("electrode", "Pt"), spec.get("cell_dipole", False))

    def height_features(self, z, batch: Batch):
        """Even and odd height functions (n, m) of every atom at heights ``z`` (Å): the
        torch twin of ``kernels.electrode_height.height_basis``."""
        metal = (batch.species == self.electrode_index).to(z.dtype)
        count = torch.zeros(batch.n_structures, dtype=z.dtype).index_add(0, batch.structure, metal)
        zsum = torch.zeros(batch.n_structures, dtype=z.dtype).index_add(0, batch.structure, metal * z)
        d = (z - (zsum / count.clamp(min=1))[batch.structure]).unsqueeze(1)
        c = torch.tensor(self.height_centers, dtype=z.dtype)
        w2 = 2 * self.height_width**2
        gm, gp = torch.exp(-(d - c) ** 2 / w2), torch.exp(-(d + c) ** 2 / w2)
        has_metal = (count > 0).to(z.dtype)[batch.structure].unsqueeze(1)
        return (gm + gp) * has_metal, (gm - gp) * has_metal

    def atomic_outputs(self, features, species, height=None):
        """(n, 6): e_i (eV, offset included), q~_i (e), χ~_i (e·Å/V), η~_i (e·Å²/V²),
        ζ~_i (e·Å³/V³), p_i (e·Å). height: (even, odd) height functions when the model
        has them."""
        even, odd = features[:, :self.n_even], features[:, self.n_even:]
        if height is not None:
            even, odd = torch.cat([even, height[0]], 1), torch.cat([odd, height[1]], 1)
        n_odd = odd.shape[1]
        x = (even - self.feature_mean[species]) / self.feature_std[species]
        raw = torch.zeros(len(features), 3 + N_ODD_HEADS * n_odd, dtype=features.dtype)
        for s, net in enumerate(self.networks):
            mask = species == s
            if mask.any():
                raw = raw.index_put((mask.nonzero().squeeze(1),), net(x[mask]))
        odd = odd / self.odd_std[species]
        chi = (raw[:, 3:3 + n_odd] * odd).sum(1, keepdim=True)
        zeta = (raw[:, 3 + n_odd:3 + 2 * n_odd] * odd).sum(1, keepdim=True)
        dipole = (raw[:, 3 + 2 * n_odd:] * odd).sum(1, keepdim=True)
        out = torch.cat([raw[:, :2], chi, raw[:, 2:3], zeta, dipole], 1) * self.output_scale
        return torch.cat([(out[:, 0] + self.energy_offset[species]).unsqueeze(1), out[:, 1:]], 1)

    def structure_terms(self, features, batch: Batch, z_height=None):
        """Per-structure E0, μz0, μq0 = Σ q z (e·Å), α, β, γ, the neutral per-atom q, χ, η, ζ
        and the atomic dipoles p (e·Å), as a dict.
        z_height: the heights (Å) the height functions see (default ``batch.z``)."""
        height = None
        if self.height_centers:
            height = self.height_features(batch.z if z_height is None else z_height, batch)
        out = self.atomic_outputs(features, batch.species, height)
        n = batch.n_structures

        def total(x):
            return torch.zeros(n, *x.shape[1:], dtype=x.dtype).index_add(0, batch.structure, x)

        raw = out[:, 1:5]
        mean = total(raw) / batch.n_atoms.to(raw.dtype).unsqueeze(1)
        neutral = raw - mean[batch.structure]                     # q, χ, η, ζ per atom
        moments = total(neutral * batch.z.unsqueeze(1))           # Σ q z, α, β, γ
        return {"e0": total(out[:, 0]), "mu0": moments[:, 0] + total(out[:, 5]),
                "muq0": moments[:, 0],
                "alpha": moments[:, 1], "beta": moments[:, 2], "gamma": moments[:, 3],
                "q": neutral[:, 0], "chi": neutral[:, 1], "eta": neutral[:, 2],
                "zeta": neutral[:, 3], "p": out[:, 5]}

    def forward(self, batch: Batch, forces: bool = True, create_graph: bool = False):
        """Energy (eV), μz (e·Å), αzz (e·Å²/V) per structure; forces (eV/Å), charges (e)
        and atomic dipoles p_i (e·Å) per atom."""
        features = batch.features
        if forces and not features.requires_grad:
            features = features.detach().requires_grad_(True)
        z_height = None  # a leaf of its own: the moments' z-derivative is the direct term below
        if self.height_centers:
            z_height = batch.z.detach().clone().requires_grad_(forces)
        t = self.structure_terms(features, batch, z_height)
        f, fa = batch.field, batch.field[batch.structure]
        moments = [t[k] for k in ("mu0", "alpha", "beta", "gamma")]
        coeffs = [t[k] for k in ("q", "chi", "eta", "zeta")]
        energy = t["e0"] - field_series(moments, f, 1)
        cell_field = torch.zeros_like(f)  # V/Å: 2c Σ q z, the periodic images' field
        if self.cell_dipole:
            energy = energy - batch.cell_dipole * t["muq0"] ** 2
            cell_field = 2 * batch.cell_dipole * t["muq0"]
        result = {"energy": energy, "dipole_z": field_series(moments, f, 0),
                  "polarizability_zz": field_series(moments, f, -1),
                  "charges": field_series(coeffs, fa, 0), "atomic_dipoles": t["p"]}
        if forces:
            inputs = (features,) if z_height is None else (features, z_height)
            dE_dG, *dE_dz = torch.autograd.grad(energy.sum(), inputs, create_graph=create_graph)
            direct = torch.zeros(len(features), 3, dtype=features.dtype)
            direct[:, 2] = (field_series(coeffs, fa, 1) + cell_field[batch.structure] * t["q"]
                            - (dE_dz[0] if dE_dz else 0.0))
            result["forces"] = contract_forces(dE_dG, batch) + direct
        return result
