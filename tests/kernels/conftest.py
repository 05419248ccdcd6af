"""Shared fixtures: every reference test runs against the CPU kernel and its CUDA twin.

The CUDA twin runs where ``numba.cuda`` is available: on a GPU, or under the simulator
(``NUMBA_ENABLE_CUDASIM=1``), which ``test_cuda_twins.py`` starts in a subprocess.
"""

import os

import pytest
from hypothesis import HealthCheck, settings
from numba import cuda

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
QUICK = os.environ.get("MLPEC_QUICK") == "1"

_fixtures_ok = [HealthCheck.function_scoped_fixture]  # `backend` is the same for all inputs
settings.register_profile("kernels", deadline=None, max_examples=30 if QUICK else 100,
                          suppress_health_check=_fixtures_ok)
settings.register_profile("simulator", deadline=None, max_examples=6,
                          suppress_health_check=_fixtures_ok)
settings.load_profile("simulator" if SIMULATED else "kernels")


@pytest.fixture(params=["cpu", "cuda"])
def backend(request):
    """Kernel backend under test; the CUDA twin is skipped where no CUDA is at hand."""
    if request.param == "cuda" and not cuda.is_available():
        pytest.skip("no CUDA device; test_cuda_twins.py runs this under the simulator")
    if request.param == "cpu" and SIMULATED:
        pytest.skip("CPU kernels are tested in the main run, not under the simulator")
    return request.param
