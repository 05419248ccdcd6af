"""The fused Numba kernel (and its CUDA twin) against the torch model, float64."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mlpec_lab.kernels.bp_inference import committee_outputs
from mlpec_lab.kernels.symmetry_functions import symmetry_functions
from mlpec_lab.potential.calculator import MLPotential, export_weights
from mlpec_lab.potential.descriptors import cell_dipole_coefficient, describe, make_batch
from mlpec_lab.potential.modelfile import save_committee
from mlpec_lab.systems import interface

from .conftest import small_spec
from .test_model import random_model


def torch_committee(members, spec, atoms, fz):
    batch = make_batch([describe(atoms, spec)], [fz])
    outs = [m(batch) for m in members]
    return {k: np.stack([o[k].detach().numpy() for o in outs])
            for k in ("energy", "forces", "dipole_z", "charges", "polarizability_zz")}


def height_of(spec, atoms):
    """The calculator's ``height`` argument for ``committee_outputs`` (None without)."""
    if not spec["height_centers"]:
        return None
    return (spec["height_centers"], spec["height_width"],
            np.array(atoms.get_chemical_symbols()) == spec["electrode"])


@pytest.mark.parametrize("height, cell_dipole", [(False, False), (True, False), (True, True)],
                         ids=["symmetry-functions", "with-height", "with-cell-dipole"])
def test_fused_kernel_equals_torch_to_1e_10(height, cell_dipole):
    spec = small_spec(height, cell_dipole=cell_dipole)
    members = [random_model(spec, seed=s) for s in range(3)]
    atoms = interface(n_water=3, layers=3, adsorbates=("OH",), seed=2)
    for fz in (-0.45, 0.0, 0.3):
        sf = symmetry_functions(atoms.positions, atoms.cell.array, atoms.pbc,
                                atoms.get_chemical_symbols(), spec)
        got = committee_outputs(sf, atoms.positions[:, 2], fz, export_weights(members),
                                height=height_of(spec, atoms), backend="cpu",
                                cell_dipole=cell_dipole_coefficient(atoms) if cell_dipole else 0.0)
        ref = torch_committee(members, spec, atoms, fz)
        assert np.allclose(got["energy"].ravel(), ref["energy"].ravel(), rtol=0, atol=1e-10)
        assert np.allclose(got["forces"], ref["forces"], rtol=0, atol=1e-10)
        assert np.allclose(got["dipole_z"].ravel(), ref["dipole_z"].ravel(), rtol=0, atol=1e-10)
        assert np.allclose(got["charges"], ref["charges"], rtol=0, atol=1e-10)


CUDA_SCRIPT = """
import numpy as np
from mlpec_lab.kernels.bp_inference import committee_outputs
from mlpec_lab.kernels.symmetry_functions import symmetry_functions
from mlpec_lab.potential.calculator import export_weights
from ase import Atoms
from tests.potential.conftest import small_spec
from tests.potential.test_model import random_model
atoms = Atoms("OH2Pt", [(0, 0, 5), (0.76, 0.59, 5.2), (-0.76, 0.59, 5.1), (0.3, 0.1, 2.9)])
for height, cell_dipole in ((False, 0.0), (True, 0.0), (True, 0.05)):
    spec = small_spec(height, cell_dipole=bool(cell_dipole))
    members = [random_model(spec, seed=s, hidden=6) for s in range(2)]
    sf = symmetry_functions(atoms.positions, np.eye(3) * 20, False, atoms.get_chemical_symbols(), spec)
    w = export_weights(members)
    h = (spec["height_centers"], spec["height_width"], atoms.numbers == 78) if height else None
    cpu = committee_outputs(sf, atoms.positions[:, 2], 0.2, w, height=h, cell_dipole=cell_dipole,
                            backend="cpu")
    gpu = committee_outputs(sf, atoms.positions[:, 2], 0.2, w, height=h, cell_dipole=cell_dipole,
                            backend="cuda")
    for key in cpu:
        assert np.allclose(cpu[key], gpu[key], rtol=0, atol=1e-10), (height, cell_dipole, key)
print("CUDA twin OK")
"""


def test_cuda_twin_equals_cpu_under_the_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    res = subprocess.run([sys.executable, "-c", CUDA_SCRIPT], env=env, cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "CUDA twin OK" in res.stdout


def random_committee(n_members):
    """(members, payload, spec): an untrained committee on ``small_spec``, trained range ±0.5 V/Å."""
    spec = small_spec()
    members = [random_model(spec, seed=s) for s in range(n_members)]
    return members, {"spec": spec, "field_range": [-0.5, 0.5], "force_deviation_threshold": 1e6}, spec


def test_calculator_committee_statistics_and_guards():
    members, payload, spec = random_committee(3)
    atoms = interface(n_water=2, layers=3, seed=3, field=0.2)
    atoms.calc = MLPotential((members, payload))
    energy = atoms.get_potential_energy()
    ref = torch_committee(members, spec, atoms, 0.2)
    assert energy == pytest.approx(ref["energy"].mean(), abs=1e-10)
    assert atoms.calc.results["energy_std"] == pytest.approx(ref["energy"].std(), abs=1e-10)
    dev = np.sqrt(((ref["forces"] - ref["forces"].mean(0)) ** 2).sum(-1).mean(0))
    assert np.allclose(atoms.calc.results["force_deviations"], dev, atol=1e-10)
    assert atoms.calc.results["max_force_deviation"] == pytest.approx(dev.max(), abs=1e-10)
    # outside the trained field range: a warning, or an error if asked
    atoms.calc = MLPotential((members, payload), field=0.8)
    with pytest.warns(UserWarning, match="outside the trained range"):
        atoms.get_potential_energy()
    atoms.calc = MLPotential((members, dict(payload, force_deviation_threshold=1e-6)),
                             on_uncertainty="raise")
    with pytest.raises(RuntimeError, match="max force deviation"):
        atoms.get_potential_energy()
    quiet = MLPotential((members, dict(payload, force_deviation_threshold=1e-6)),
                        on_uncertainty="quiet")
    atoms.calc = quiet
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        atoms.get_potential_energy()
    assert "max force deviation" in quiet.last_warning
    bad = interface(n_water=1, ions="Na", seed=1)
    bad.calc = MLPotential((members, payload))
    with pytest.raises(ValueError, match="element Na is not in this model .trained on H, O, Pt"):
        bad.get_potential_energy()


def test_calculator_recomputes_when_only_the_info_field_changes():
    # ASE caches results while positions, cell and numbers stay the same; the field in
    # atoms.info must count as a change too, or a field scan on one Atoms reads stale values
    members, payload, spec = random_committee(2)
    atoms = interface(n_water=2, layers=3, seed=3, field=0.2)
    atoms.calc = MLPotential((members, payload))
    first = atoms.get_potential_energy(), atoms.get_dipole_moment()[2]
    atoms.info["field"] = np.array([0.0, 0.0, -0.3])
    second = atoms.get_potential_energy(), atoms.get_dipole_moment()[2]
    ref = torch_committee(members, spec, atoms, -0.3)
    assert second[0] == pytest.approx(ref["energy"].mean(), abs=1e-10)
    assert second[1] == pytest.approx(ref["dipole_z"].mean(), abs=1e-10)
    assert abs(second[0] - first[0]) > 1e-6


@pytest.mark.parametrize("cell_dipole", [False, True], ids=["height", "height-and-cell-dipole"])
def test_calculator_passes_the_model_options_to_the_kernel(tmp_path, cell_dipole):
    # through a model file: the spec's options reach the kernel (the cell's c from the atoms)
    spec = small_spec(height=True, cell_dipole=cell_dipole)
    members = [random_model(spec, seed=s) for s in range(2)]
    save_committee(tmp_path / "c.pt", members, spec, (-0.5, 0.5), {}, force_deviation_threshold=1e6)
    atoms = interface(n_water=2, layers=3, seed=3, field=-0.3)
    atoms.calc = MLPotential(str(tmp_path / "c.pt"))
    ref = torch_committee(members, spec, atoms, -0.3)
    assert atoms.get_potential_energy() == pytest.approx(ref["energy"].mean(), abs=1e-10)
    np.testing.assert_allclose(atoms.get_forces(apply_constraint=False), ref["forces"].mean(0),
                               rtol=0, atol=1e-10)
