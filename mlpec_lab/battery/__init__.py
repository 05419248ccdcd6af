"""Device scale: SPMe plus an ML correction learned on its residual to DFN.

Layers (model / solver / simulation kept apart as in PyBaMM):
``physics`` (stock PyBaMM models and solve), ``protocols`` (current profiles),
``features`` (causal inputs), ``correction`` (torch committee), ``hybrid``
(SPMe + correction, range checks), ``dataset`` (cached SPMe/DFN pairs),
``train`` (fit and evaluate), ``cli``.
"""
from .correction import ResidualCommittee, ZeroCorrection, load_correction
from .hybrid import TRAINED_RANGE, OutOfRangeError, predict, range_problems, rmse
from .physics import PARAMETER_SET, MODEL_OPTIONS, nominal_capacity_Ah, simulate
from .protocols import (PROTOCOL_KINDS, Profile, drive_cycle, pulse_rest, read_profile_csv,
                        standard_protocol, write_profile_csv)

__all__ = [
    "PARAMETER_SET", "MODEL_OPTIONS", "PROTOCOL_KINDS", "TRAINED_RANGE", "OutOfRangeError",
    "Profile", "ResidualCommittee", "ZeroCorrection", "drive_cycle", "load_correction",
    "nominal_capacity_Ah", "predict", "pulse_rest", "range_problems", "read_profile_csv",
    "rmse", "simulate", "standard_protocol", "write_profile_csv",
]
