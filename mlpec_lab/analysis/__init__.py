"""Analysis: trajectories and arrays in, xarray results with units out.

- :mod:`.trajectory` — frames, species, charges, the electrode surface, the
  prepare / per-frame / conclude skeleton.
- :mod:`.structure` — partial g(r) (slab or bulk normalisation), coordination numbers.
- :mod:`.profiles` — density profiles, water orientation P(cos θ, z), layering.
- :mod:`.electrostatics` — ρ(z), Poisson φ(z), potential drop, σ, capacitance.
- :mod:`.blocking` — block averages with standard errors; any analysis per block.
- :mod:`.stark` — E(F) fits: dipole and polarizability with standard errors.
- :mod:`.field_scan` — cached MD at a list of fields, through the executor.
"""
from .blocking import (block_average, block_results, block_sem, blocking_curve,
                       detect_equilibration, statistical_inefficiency)
from .electrostatics import (charge_density, differential_capacitance, interface_electrostatics,
                             potential_drop, potential_profile, surface_charge)
from .field_scan import analyse_scan, field_scan, scan_frames
from .profiles import density_profiles, layering, water_molecules, water_orientation
from .stark import fit_stark, stark_response, stark_scan
from .structure import coordination_numbers, radial_distribution
from .trajectory import as_frames, frame_charges, surface_z

__all__ = ["analyse_scan", "as_frames", "block_average", "block_results", "block_sem", "blocking_curve", "charge_density",
           "coordination_numbers", "density_profiles", "detect_equilibration", "differential_capacitance",
           "field_scan", "fit_stark", "frame_charges", "interface_electrostatics", "layering",
           "potential_drop", "potential_profile", "radial_distribution", "scan_frames",
           "stark_response", "stark_scan", "statistical_inefficiency", "surface_charge", "surface_z", "water_molecules",
           "water_orientation"]
