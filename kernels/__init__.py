"""Numba kernels (CPU and CUDA twins), shipped as ``mlpec_lab.kernels``.

- :func:`neighbor_list` (``neighbor_list.py``): pairs within a cutoff, any cell/periodicity.
- :func:`symmetry_functions`, :func:`descriptor_forces` (``symmetry_functions.py``) and
  :func:`default_spec` (``symmetry_spec.py``): G2/G5 descriptors, sparse derivatives.
- :func:`pair_histogram`, :func:`ideal_pair_counts` (``histograms.py``): partial g(r).

Every kernel takes ``backend="auto"|"cpu"|"cuda"`` (None reads ``MLPEC_BACKEND``).
"""

from .histograms import ideal_pair_counts, pair_histogram, shell_volumes
from .neighbor_list import NeighborList, neighbor_list
from .symmetry_functions import SymmetryFunctions, descriptor_forces, symmetry_functions
from .symmetry_spec import default_spec, n_features, validated_spec

__all__ = ["NeighborList", "SymmetryFunctions", "default_spec", "descriptor_forces",
           "ideal_pair_counts", "n_features", "neighbor_list", "pair_histogram",
           "shell_volumes", "symmetry_functions", "validated_spec"]
