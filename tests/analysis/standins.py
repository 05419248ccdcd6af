"""Cheap stand-in calculators (module level, so process pools can pickle them)."""
import numpy as np
from ase.calculators.calculator import Calculator, all_changes

CHARGES = {"O": -0.8, "H": 0.4, "Na": 1.0, "Cl": -1.0, "Pt": 0.0}


class FieldStandIn(Calculator):
    """E = ½k|r − r0|² − Fz Σ q z with fixed per-element charges; dipole Σ q r;
    polarizability_zz 0. Counts its calculate() calls in ``FieldStandIn.calls``."""

    implemented_properties = ["energy", "free_energy", "forces", "charges", "dipole",
                              "polarizability_zz"]
    default_parameters = {"field": 0.0, "k": 5.0}
    calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        FieldStandIn.calls += 1
        a = self.atoms
        if not hasattr(self, "r0"):
            self.r0 = a.positions.copy()
        q = np.array([CHARGES[s] for s in a.get_chemical_symbols()])
        fz, k = self.parameters.field, self.parameters.k
        d = a.positions - self.r0
        e = 0.5 * k * (d ** 2).sum() - fz * (q * a.positions[:, 2]).sum()
        f = -k * d
        f[:, 2] += q * fz
        self.results.update(energy=e, free_energy=e, forces=f, charges=q,
                            dipole=(q[:, None] * a.positions).sum(0), polarizability_zz=0.0)


def make_standin(fz):
    return FieldStandIn(field=fz)


class StarkStandIn(Calculator):
    """E(F) = E0 − μF − ½αF² with analytic dipole μ + αF and polarizability α."""

    implemented_properties = ["energy", "free_energy", "forces", "dipole", "polarizability_zz"]
    default_parameters = {"field": 0.0, "mu": 0.3, "alpha": 2.0, "e0": -5.0}

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        p = self.parameters
        f = p.field
        e = p.e0 - p.mu * f - 0.5 * p.alpha * f ** 2
        self.results.update(energy=e, free_energy=e, forces=np.zeros((len(self.atoms), 3)),
                            dipole=np.array([0.0, 0.0, p.mu + p.alpha * f]),
                            polarizability_zz=p.alpha)


def make_stark_standin(fz):
    return StarkStandIn(field=fz)


class FlaggingStandIn(FieldStandIn):
    """FieldStandIn that, like MLPotential with on_uncertainty="quiet", records a
    ``last_warning`` (and a max_force_deviation) when |Fz| > 0.15 V/Å."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        outside = abs(self.parameters.field) > 0.15
        self.last_warning = "field outside the trained range" if outside else None
        self.results["max_force_deviation"] = 0.9 if outside else 0.05


def make_flagging_standin(fz):
    return FlaggingStandIn(field=float(fz))
