"""Run the reference tests of the CUDA twins under Numba's CUDA simulator.

``NUMBA_ENABLE_CUDASIM`` must be set before Numba is imported, so the twins run in a
fresh interpreter; this test fails if any of them fails or is skipped there.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@pytest.mark.skipif(SIMULATED, reason="already inside the simulator run")
def test_cuda_twins_pass_under_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", MLPEC_QUICK="1")
    here = Path(__file__).parent
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "cuda",
         "--ignore", str(Path(__file__)), str(here)],
        env=env, capture_output=True, text=True, timeout=600)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    summary = report.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, report
