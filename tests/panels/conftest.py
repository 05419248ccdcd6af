"""A small random committee with gentle forces: panel tests check wiring, not physics."""
import pytest

from mlpec_lab.potential.calculator import MLPotential
from tests.potential.conftest import small_spec
from tests.potential.test_model import random_model


@pytest.fixture
def gentle_committee():
    """An MLPotential of two small random members (weights scaled down by 10)."""
    spec = small_spec()
    members = [random_model(spec, seed=s, hidden=8) for s in range(2)]
    for m in members:
        for p in m.parameters():
            p.data.mul_(0.1)
    payload = {"spec": spec, "field_range": [-0.5, 0.5], "force_deviation_threshold": 1e6}
    return MLPotential((members, payload))
