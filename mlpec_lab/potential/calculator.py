"""``MLPotential``: the committee as an ASE calculator, run by the fused Numba kernel."""
from __future__ import annotations

import warnings

import numpy as np
from ase.calculators.calculator import all_changes

from mlpec_lab.kernels.bp_inference import committee_outputs
from mlpec_lab.kernels.symmetry_functions import symmetry_functions
from mlpec_lab.potential.core_repulsion import core_repulsion
from mlpec_lab.potential.descriptors import cell_dipole_coefficient
from mlpec_lab.potential.modelfile import load_committee
from mlpec_lab.reference.xtb import FieldCalculator, field_vector


class ExtrapolationWarning(UserWarning):
    """The model is asked about something outside what it was trained on."""


class UncertaintyError(RuntimeError):
    """Committee disagreement above the threshold, with ``on_uncertainty="raise"``."""


def export_weights(members) -> dict:
    """Stack the torch members' weights into the float64 arrays of the fused kernel."""
    def stack(fn):
        return np.stack([fn(m) for m in members]).astype(np.float64)

    def layer(idx, part):
        return stack(lambda m: np.stack([
            (net.layers[idx].weight.detach().numpy().T if part == "w"
             else net.layers[idx].bias.detach().numpy()) for net in m.networks]))

    return {"w0": layer(0, "w"), "b0": layer(0, "b"), "w1": layer(1, "w"), "b1": layer(1, "b"),
            "w2": layer(2, "w"), "b2": layer(2, "b"),
            "mean": stack(lambda m: m.feature_mean.numpy()),
            "std": stack(lambda m: m.feature_std.numpy()),
            "odd_std": stack(lambda m: m.odd_std.numpy()),
            "offset": stack(lambda m: m.energy_offset.numpy()),
            "scale": stack(lambda m: m.output_scale.numpy())}


class MLPotential(FieldCalculator):
    """Field-aware BP committee: energy (eV), forces (eV/Å), dipole (e·Å, z only is
    defined for slabs) as committee means, plus uncertainty results ``energy_std`` (eV),
    ``force_deviations`` (n,) eV/Å, ``max_force_deviation`` (eV/Å), ``charges`` (e) and
    ``atomic_dipoles`` (n,) e·Å (z components; the dipole is Σ q_i z_i + Σ p_i).

    model: path of a model file or ``(members, payload)`` from ``load_committee``;
    field: Fz or 3-vector (V/Å), default ``atoms.info["field"]``; on_uncertainty: "warn",
    "raise" or "quiet" (only recorded in ``last_warning``, for live views that show it)
    when the max force deviation passes ``threshold`` (default: the model file's) or the
    field is outside the trained range.
    """

    implemented_properties = ["energy", "free_energy", "forces", "dipole", "energy_std",
                              "force_deviations", "max_force_deviation", "charges",
                              "atomic_dipoles", "polarizability_zz"]
    default_parameters = {"field": None, "on_uncertainty": "warn", "threshold": None,
                          "backend": None}

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.members, self.payload = load_committee(model) if not isinstance(model, tuple) else model
        self.spec = self.payload["spec"]
        self.weights = export_weights(self.members)
        self.field_range = tuple(self.payload["field_range"])
        self.last_warning = None
        if self.parameters.on_uncertainty not in ("warn", "raise", "quiet"):
            raise ValueError("on_uncertainty must be 'warn', 'raise' or 'quiet', "
                             f"got {self.parameters.on_uncertainty!r}")

    @property
    def species(self):
        return list(self.spec["species"])

    def _flag(self, message):
        self.last_warning = message
        if self.parameters.on_uncertainty == "raise":
            raise UncertaintyError(message)
        if self.parameters.on_uncertainty == "warn":
            warnings.warn(message, ExtrapolationWarning, stacklevel=3)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        self.last_warning = None
        unknown = sorted(set(atoms.get_chemical_symbols()) - set(self.species))
        if unknown:
            raise ValueError(f"element {', '.join(unknown)} is not in this model "
                             f"(trained on {', '.join(self.species)})")
        field = field_vector(atoms, self.parameters.field)
        fz = float(field[2])
        lo, hi = self.field_range
        if not lo - 1e-9 <= fz <= hi + 1e-9:
            self._flag(f"field Fz = {fz:+.3f} V/Å is outside the trained range "
                       f"[{lo:+.2f}, {hi:+.2f}] V/Å")
        sf = symmetry_functions(atoms.positions, atoms.cell.array, atoms.pbc,
                                atoms.get_chemical_symbols(), self.spec,
                                backend=self.parameters.backend)
        height = None
        if self.spec.get("height_centers"):
            height = (self.spec["height_centers"], self.spec["height_width"],
                      np.array(atoms.get_chemical_symbols()) == self.spec["electrode"])
        cell_dipole = cell_dipole_coefficient(atoms) if self.spec.get("cell_dipole") else 0.0
        out = committee_outputs(sf, atoms.positions[:, 2], fz, self.weights, height=height,
                                cell_dipole=cell_dipole, backend=self.parameters.backend)
        forces = out["forces"].mean(0)
        deviations = np.sqrt(((out["forces"] - forces) ** 2).sum(-1).mean(0))
        if self.payload.get("core_radii") is not None:  # the same for every member
            core_energy, core_forces = core_repulsion(atoms, sf.species, self.payload["core_radii"])
            out["energy"] = out["energy"] + core_energy
            forces = forces + core_forces
        energy = float(out["energy"].mean())
        self.results.update(
            energy=energy, free_energy=energy, forces=forces,
            dipole=np.array([0.0, 0.0, out["dipole_z"].mean()]),
            energy_std=float(out["energy"].std()), force_deviations=deviations,
            max_force_deviation=float(deviations.max()), charges=out["charges"].mean(0),
            atomic_dipoles=out["atomic_dipoles"].mean(0),
            polarizability_zz=float(out["polarizability_zz"].mean()),
            committee_energies=out["energy"], committee_dipole_z=out["dipole_z"])
        threshold = self.parameters.threshold or self.payload["force_deviation_threshold"]
        if deviations.max() > threshold:
            self._flag(f"committee max force deviation {deviations.max():.3f} eV/Å exceeds "
                       f"{threshold:.3f} eV/Å: the structure is outside the training data")
