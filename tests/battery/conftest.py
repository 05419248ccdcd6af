import os

import pytest

os.environ.setdefault("MLPEC_QUICK", "1")


@pytest.fixture(scope="session")
def capacity():
    from mlpec_lab.battery import nominal_capacity_Ah

    return nominal_capacity_Ah()
