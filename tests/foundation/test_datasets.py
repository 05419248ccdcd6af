import numpy as np
import pytest
from ase.build import molecule

from mlpec_lab.datasets import (
    append_frames, config_id, labelled, read_dataset, write_dataset,
)


def _frames(n=4):
    out = []
    for k in range(n):
        w = molecule("H2O")
        w.rattle(0.05, seed=k)
        out.append(labelled(w, -150.0 - k, np.full((3, 3), 0.1 * k), [0, 0, 0.4 + k],
                            [0, 0, 0.1 * k], oracle="test", config_id=f"c{k}"))
    return out


def test_roundtrip_keeps_labels_field_and_provenance(tmp_path):
    path = tmp_path / "d.extxyz"
    write_dataset(path, _frames())
    data = read_dataset(path)
    assert len(data) == 4 and not data.problems
    f = data.frames[2]
    assert f.get_potential_energy() == pytest.approx(-152.0)
    assert np.allclose(f.get_forces(), 0.2)
    assert np.allclose(f.calc.results["dipole"], [0, 0, 2.4])
    assert np.allclose(f.info["field"], [0, 0, 0.2])
    assert f.info["oracle"] == "test" and f.info["config_id"] == "c2"


@pytest.mark.parametrize("damage,line_hint", [
    (lambda lines: lines.__setitem__(5, "3x\n"), 6),                        # bad atom count
    (lambda lines: lines.__setitem__(7, "O  0.0 zero 0.1 0 0 0\n"), 6),     # unparsable coordinate
    (lambda lines: lines.__setitem__(7, lines[7].replace("0.1", "nan", 1)), 6),  # non-finite
])
def test_corrupt_frame_is_skipped_and_reported(tmp_path, damage, line_hint):
    path = tmp_path / "d.extxyz"
    write_dataset(path, _frames())
    lines = path.read_text().splitlines(keepends=True)
    damage(lines)
    path.write_text("".join(lines))
    with pytest.warns(UserWarning, match="skipped 1 corrupt frame"):
        data = read_dataset(path)
    assert len(data) == 3
    assert [f.info["config_id"] for f in data.frames] == ["c0", "c2", "c3"]
    assert data.problems[0].frame == 1 and data.problems[0].line == line_hint


def test_truncated_last_frame_is_reported(tmp_path):
    path = tmp_path / "d.extxyz"
    write_dataset(path, _frames(2))
    text = path.read_text()
    path.write_text(text[: len(text) - 30])
    with pytest.warns(UserWarning):
        data = read_dataset(path)
    assert len(data) == 1 and len(data.problems) == 1
    assert data.problems[0].frame == 1


def test_append_is_whole_frames(tmp_path):
    path = tmp_path / "d.extxyz"
    frames = _frames(3)
    append_frames(path, frames[:1])
    append_frames(path, frames[1:])
    assert len(read_dataset(path)) == 3


def test_config_id_depends_on_positions_and_field():
    w = molecule("H2O")
    a = config_id(w, 0.1)
    assert a == config_id(w.copy(), 0.1)
    assert a != config_id(w, 0.2)
    w.positions[0, 0] += 1e-3
    assert a != config_id(w, 0.1)


def test_forces_zeroed_by_a_constraint_are_not_labels(tmp_path):
    # the first oracle-MD sets were written with FixAtoms applied: exact zeros on the fixed
    # atoms. After a write/read round trip those rows must read as "not labelled".
    from ase.constraints import FixAtoms

    from mlpec_lab.datasets import known_forces
    from mlpec_lab.systems import interface

    atoms = interface(n_water=1, layers=2, seed=0)  # the Pt layers are fixed
    fixed = np.array([a.symbol == "Pt" for a in atoms])
    assert isinstance(atoms.constraints[0], FixAtoms)
    forces = np.random.default_rng(0).normal(size=(len(atoms), 3))
    mobile_zero = forces.copy()
    mobile_zero[fixed] = 0.0
    mobile_zero[np.flatnonzero(~fixed)[0]] = 0.0  # a mobile atom's zero is still a label
    frames = [labelled(atoms, -1.0, f, [0, 0, 0], [0, 0, 0]) for f in (forces, mobile_zero)]
    write_dataset(tmp_path / "d.extxyz", frames)
    real, legacy = read_dataset(tmp_path / "d.extxyz").frames
    assert known_forces(real).all()
    np.testing.assert_array_equal(known_forces(legacy), ~fixed)
