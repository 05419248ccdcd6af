import numpy as np
import pytest

from mlpec_lab.battery import protocols


def test_drive_cycle_is_seeded_and_realistic(capacity):
    a = protocols.drive_cycle(7, capacity, 1800)
    b = protocols.drive_cycle(7, capacity, 1800)
    c = protocols.drive_cycle(8, capacity, 1800)
    np.testing.assert_array_equal(a.current_A, b.current_A)
    assert not np.array_equal(a.current_A, c.current_A)
    v = protocols.vehicle_speed(7, 1800)
    assert (v == 0).mean() > 0.02                    # stops
    assert v.max() < 40                              # m/s
    assert np.isclose(a.current_A.max(), 2.0 * capacity)
    assert a.current_A.min() < 0                      # regenerative braking
    assert a.current_A.min() >= -1.0 * capacity - 1e-9
    assert 0 < a.current_A.mean() < 0.5 * a.current_A.max()


def test_standard_protocols(capacity):
    for kind in protocols.PROTOCOL_KINDS:
        p = protocols.standard_protocol(kind, 1.0, capacity, 0.5, duration_s=600)
        assert np.all(np.diff(p.time_s) > 0)
        assert np.max(np.abs(p.current_A)) <= 1.0 * capacity + 1e-9
    with pytest.raises(ValueError, match="unknown protocol"):
        protocols.standard_protocol("walk", 1.0, capacity)


def test_csv_roundtrip(tmp_path, capacity):
    p = protocols.pulse_rest(3, capacity, n_pulses=2)
    path = tmp_path / "p.csv"
    protocols.write_profile_csv(p, path, comment="test")
    q = protocols.read_profile_csv(path)
    np.testing.assert_allclose(q.current_A, p.current_A, atol=1e-6)
    np.testing.assert_allclose(q.time_s, p.time_s, atol=1e-3)


@pytest.mark.parametrize("body, line, what", [
    ("time_s,current_A\n0,1\n1,abc\n", 3, "not a number"),
    ("time_s,current_A\n0,1\n1,2,3\n", 3, "expected 2 fields"),
    ("time_s,current_A\n0,1\n5,1\n4,1\n", 4, "not after"),
    ("time,current\n0,1\n1,1\n", 1, "expected header"),
])
def test_csv_reader_names_the_bad_line(tmp_path, body, line, what):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ValueError, match=f"line {line}: .*{what}"):
        protocols.read_profile_csv(path)
