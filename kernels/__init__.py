"""Numba kernels (CPU and CUDA twins), shipped as ``mlpec_lab.kernels``."""
