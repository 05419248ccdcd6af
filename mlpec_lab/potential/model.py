"""The field-aware Behler–Parrinello model (torch).

Per-element networks map normalised symmetry functions G_i to four atomic outputs:
an energy e_i, a raw charge q~_i, a polarizability α_i ≥ 0 (softplus) and a
hyperpolarizability β_i. For a structure at a field Fz (V/Å):

    q_i  = q~_i − mean(q~)                         (total charge conserved: Σ q_i = 0)
    μz0  = Σ q_i z_i                               e·Å
    E    = Σ e_i − μz0 Fz − ½ α Fz² − ⅙ β Fz³       eV,  α = Σ α_i, β = Σ β_i
    μz   = −∂E/∂Fz = μz0 + α Fz + ½ β Fz²          αzz = −∂²E/∂Fz² = α + β Fz

The cubic term is there because the metal slab's response is not quadratic above
|Fz| ≈ 0.3 V/Å (REFERENCE_PROTOCOL.md section 7). Forces: −∂E/∂r through G (the
descriptor derivative blocks) plus the direct term +Fz q_i on z_i.
"""
from __future__ import annotations

import torch
from torch import nn

from mlpec_lab.potential.descriptors import Batch, contract_forces

OUTPUTS = ("energy", "charge", "polarizability", "hyperpolarizability")
#: scale of each raw network output: eV, e, e·Å²/V, e·Å³/V²
OUTPUT_SCALES = (1.0, 0.3, 0.3, 0.3)


class ElementNetwork(nn.Module):
    """G_i (normalised) → (e_i, q~_i, raw α_i, β_i): two tanh hidden layers."""

    def __init__(self, n_features: int, hidden: int):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n_features, hidden), nn.Linear(hidden, hidden),
                                     nn.Linear(hidden, len(OUTPUTS))])

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.tanh(layer(x))
        return self.layers[-1](x)


class FieldAwareBP(nn.Module):
    """Per-element networks plus the field terms above.

    species: element symbols (order of ``spec["species"]``); feature_mean/std:
    (S, nf) normalisation per element; energy_offset: (S,) eV per atom.
    """

    def __init__(self, species, n_features: int, hidden: int = 32):
        super().__init__()
        self.species = list(species)
        self.hidden = hidden
        s = len(self.species)
        self.networks = nn.ModuleList([ElementNetwork(n_features, hidden) for _ in range(s)])
        self.register_buffer("feature_mean", torch.zeros(s, n_features))
        self.register_buffer("feature_std", torch.ones(s, n_features))
        self.register_buffer("energy_offset", torch.zeros(s))
        self.register_buffer("output_scale", torch.tensor(OUTPUT_SCALES))

    def atomic_outputs(self, features, species):
        """(n, 4): e_i (eV, offset included), q~_i (e), α_i ≥ 0 (e·Å²/V), β_i."""
        x = (features - self.feature_mean[species]) / self.feature_std[species]
        out = torch.zeros(len(features), len(OUTPUTS), dtype=features.dtype)
        for s, net in enumerate(self.networks):
            mask = species == s
            if mask.any():
                out = out.index_put((mask.nonzero().squeeze(1),), net(x[mask]))
        out = out * self.output_scale
        energy = out[:, 0] + self.energy_offset[species]
        alpha = nn.functional.softplus(out[:, 2] / self.output_scale[2]) * self.output_scale[2]
        return torch.stack([energy, out[:, 1], alpha, out[:, 3]], dim=1)

    def structure_terms(self, features, batch: Batch):
        """Per-structure E0, μz0, α, β and per-atom charges, as a dict."""
        out = self.atomic_outputs(features, batch.species)
        n = batch.n_structures

        def total(x):
            return torch.zeros(n, dtype=x.dtype).index_add(0, batch.structure, x)

        q_raw = out[:, 1]
        q = q_raw - (total(q_raw) / batch.n_atoms.to(q_raw.dtype))[batch.structure]
        return {"e0": total(out[:, 0]), "mu0": total(q * batch.z), "alpha": total(out[:, 2]),
                "beta": total(out[:, 3]), "charges": q}

    def forward(self, batch: Batch, forces: bool = True, create_graph: bool = False):
        """Energy (eV), μz (e·Å), αzz (e·Å²/V) per structure; forces (eV/Å) per atom."""
        features = batch.features
        if forces and not features.requires_grad:
            features = features.detach().requires_grad_(True)
        t = self.structure_terms(features, batch)
        f = batch.field
        energy = t["e0"] - t["mu0"] * f - 0.5 * t["alpha"] * f**2 - t["beta"] * f**3 / 6
        result = {"energy": energy, "dipole_z": t["mu0"] + t["alpha"] * f + 0.5 * t["beta"] * f**2,
                  "polarizability_zz": t["alpha"] + t["beta"] * f, "charges": t["charges"]}
        if forces:
            (dE_dG,) = torch.autograd.grad(energy.sum(), features, create_graph=create_graph)
            direct = torch.zeros(len(features), 3, dtype=features.dtype)
            direct[:, 2] = f[batch.structure] * t["charges"]
            result["forces"] = contract_forces(dE_dG, batch) + direct
        return result
