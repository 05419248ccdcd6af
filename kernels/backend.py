"""Choice of compute backend for the kernels: serial CPU, parallel CPU or CUDA.

``backend="auto"`` (or the ``MLPEC_BACKEND`` environment variable) picks CUDA when
a GPU is visible and the work is large enough to pay for the transfers, otherwise
the CPU; on the CPU, small systems run the serial kernel because a parallel Numba
launch costs milliseconds (20-35 ms for 2 threads at ~100 atoms on our machines).
"""

import os

import numba
from numba import cuda

BACKENDS = ("auto", "cpu", "cuda")
PARALLEL_MIN_ATOMS = 2000
CUDA_MIN_ATOMS = 20000


def select_backend(backend, n_atoms):
    """Resolve ``backend`` to ``"cuda"``, ``"cpu_parallel"`` or ``"cpu_serial"``.

    ``backend=None`` reads ``MLPEC_BACKEND`` (default ``"auto"``).
    """
    if backend is None:
        backend = os.environ.get("MLPEC_BACKEND", "auto")
    backend = str(backend).lower()
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "cuda":
        if not cuda.is_available():
            raise ValueError("backend='cuda' was requested but no CUDA device is available "
                             "(set NUMBA_ENABLE_CUDASIM=1 to use the simulator)")
        return "cuda"
    if backend == "auto" and n_atoms >= CUDA_MIN_ATOMS and cuda.is_available():
        return "cuda"
    if n_atoms >= PARALLEL_MIN_ATOMS and numba.get_num_threads() > 1:
        return "cpu_parallel"
    return "cpu_serial"


def cuda_blocks(n_items, threads_per_block=128):
    """Launch configuration ``(blocks, threads)`` covering ``n_items`` work items."""
    return max(1, (n_items + threads_per_block - 1) // threads_per_block), threads_per_block
