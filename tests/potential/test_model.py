"""The torch model: forces, dipole and polarizability are derivatives of one energy."""
import numpy as np
import pytest
import torch

from mlpec_lab.kernels.symmetry_spec import n_features
from mlpec_lab.potential.descriptors import describe, make_batch
from mlpec_lab.potential.model import FieldAwareBP
from mlpec_lab.systems import interface

from .conftest import small_spec


def random_model(spec, seed=0, hidden=12):
    torch.manual_seed(seed)
    model = FieldAwareBP.from_spec(spec, hidden).double()
    with torch.no_grad():
        model.feature_mean.normal_(0, 0.3)
        model.feature_std.uniform_(0.5, 2.0)
        model.energy_offset.normal_()
        for p in model.parameters():
            p.mul_(3.0)  # larger outputs so every field term matters
    return model


@pytest.fixture(scope="module", params=[(False, False), (True, False), (True, True)],
                ids=["symmetry-functions", "with-height", "with-cell-dipole"])
def setup(request):
    spec = small_spec(*request.param)
    atoms = interface(n_water=2, layers=3, seed=5)
    atoms.rattle(0.05, seed=1)
    return spec, atoms, random_model(spec)


def run(model, spec, atoms, fz):
    return model(make_batch([describe(atoms, spec)], [fz]))


def test_forces_are_minus_gradient_by_finite_differences(setup):
    spec, atoms, model = setup
    forces = run(model, spec, atoms, 0.4)["forces"].detach().numpy()
    d = 1e-5
    for atom in (len(atoms) - 1, len(atoms) - 3, 4):  # 4: a metal atom (height functions' mean)
        for axis in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[atom, axis] += d
            minus.positions[atom, axis] -= d
            fd = -(run(model, spec, plus, 0.4)["energy"] - run(model, spec, minus, 0.4)["energy"]).item() / (2 * d)
            assert fd == pytest.approx(forces[atom, axis], rel=1e-6, abs=1e-8)


def test_dipole_and_polarizability_are_field_derivatives(setup):
    # E(F) is a quartic in F, so five-point stencils give its derivatives exactly
    spec, atoms, model = setup
    h, f0 = 0.05, 0.3
    em2, em1, e0, ep1, ep2 = (run(model, spec, atoms, f0 + s * h)["energy"].item() for s in (-2, -1, 0, 1, 2))
    out = run(model, spec, atoms, f0)
    first = (em2 - 8 * em1 + 8 * ep1 - ep2) / (12 * h)
    second = (-em2 + 16 * em1 - 30 * e0 + 16 * ep1 - ep2) / (12 * h**2)
    fourth = (em2 - 4 * em1 + 6 * e0 - 4 * ep1 + ep2) / h**4
    assert -first == pytest.approx(out["dipole_z"].item(), rel=1e-9)
    assert -second == pytest.approx(out["polarizability_zz"].item(), rel=1e-8)
    batch = make_batch([describe(atoms, spec)], [f0])
    gamma = model.structure_terms(batch.features, batch)["gamma"].item()
    assert abs(gamma) > 1e-2  # the third-order response is exercised
    assert -fourth == pytest.approx(gamma, rel=1e-5)


def test_field_dependent_charges_are_neutral_and_carry_the_dipole(setup):
    spec, atoms, model = setup
    z = torch.as_tensor(atoms.positions[:, 2])
    for fz in (-0.4, 0.0, 0.35):
        out = run(model, spec, atoms, fz)
        assert abs(out["charges"].sum().item()) < 1e-12
        p = out["atomic_dipoles"]
        assert p.abs().max().item() > 1e-3  # the atomic dipoles are exercised
        assert ((out["charges"] * z).sum() + p.sum()).item() == pytest.approx(out["dipole_z"].item(), abs=1e-10)
    # the induced charge q(F) − q(0) carries α F + ½ β F²
    q0, q1 = run(model, spec, atoms, 0.0)["charges"], run(model, spec, atoms, 0.2)["charges"]
    assert not torch.allclose(q0, q1)


def test_batched_structures_equal_single_ones(setup):
    spec, atoms, model = setup
    other = interface(n_water=1, layers=3, seed=9)
    both = model(make_batch([describe(atoms, spec), describe(other, spec)], [0.2, -0.3]))
    one = run(model, spec, other, -0.3)
    assert both["energy"][1].item() == pytest.approx(one["energy"].item(), abs=1e-10)
    assert torch.allclose(both["forces"][len(atoms):], one["forces"], atol=1e-10)


def test_mirror_with_reversed_field_leaves_the_energy_unchanged(setup):
    # the physics: reflecting z and reversing Fz is a symmetry, so E(mirror R, −F) =
    # E(R, F), μz flips sign, αzz does not, and the z forces flip
    spec, atoms, model = setup
    mirror = atoms.copy()
    mirror.positions[:, 2] = 32.0 - mirror.positions[:, 2]
    a, b = run(model, spec, atoms, 0.35), run(model, spec, mirror, -0.35)
    assert b["energy"].item() == pytest.approx(a["energy"].item(), abs=1e-10)
    assert b["dipole_z"].item() == pytest.approx(-a["dipole_z"].item(), abs=1e-10)
    assert b["polarizability_zz"].item() == pytest.approx(a["polarizability_zz"].item(), abs=1e-10)
    np.testing.assert_allclose(b["atomic_dipoles"].detach().numpy(),
                               -a["atomic_dipoles"].detach().numpy(), atol=1e-10)
    fa, fb = a["forces"].detach().numpy(), b["forces"].detach().numpy()
    np.testing.assert_allclose(fb[:, :2], fa[:, :2], atol=1e-10)
    np.testing.assert_allclose(fb[:, 2], -fa[:, 2], atol=1e-10)


def test_a_bare_slab_can_polarize():
    # top and bottom layers of a bare slab have the same invariant descriptors; only the
    # odd features let their charge responses differ, with opposite signs
    spec = small_spec()
    slab = interface(n_water=0, layers=3, seed=0)
    model = random_model(spec, seed=4)
    out = run(model, spec, slab, 0.0)
    # χ_i = dq_i/dF at F = 0, by the symmetric difference (the even η term cancels)
    induced = (run(model, spec, slab, 0.1)["charges"]
               - run(model, spec, slab, -0.1)["charges"]).detach().numpy() / 0.2
    tags = slab.get_tags()
    top, bottom = induced[tags == 1].mean(), induced[tags == 3].mean()
    assert abs(top) > 1e-3 and top == pytest.approx(-bottom, rel=1e-8)
    assert abs(out["polarizability_zz"].item()) > 1e-3
    # a mirror-symmetric slab has no cubic term (β = 0); its leading correction to the
    # quadratic response is the quartic one, which the odd third-order ζ provides
    batch = make_batch([describe(slab, spec)], [0.0])
    terms = model.structure_terms(batch.features, batch)
    assert abs(terms["beta"].item()) < 1e-10 and abs(terms["gamma"].item()) > 1e-3


def charge_response_at_heights(model, spec, heights):
    """dq/dF of the atoms of one water (e·Å/V) placed at ``heights`` above the bare slab."""
    slab = interface(n_water=0, layers=3, seed=0)
    top = slab.positions[:, 2].max()
    out = []
    for h in heights:
        water = interface(n_water=1, layers=3, seed=0)[len(slab):]
        water.positions[:, 2] += top + h - water.positions[:, 2].min()
        q = [run(model, spec, slab + water, f)["charges"][len(slab):].detach().numpy() for f in (-0.1, 0.1)]
        out.append((q[1] - q[0]) / 0.2)
    return out


def test_height_functions_let_a_distant_water_respond_to_the_field():
    # a local model gives a water beyond every cutoff the same charge response at any
    # height; with the height functions its response depends on how far up it sits
    spec = small_spec(height=True)
    low, high = charge_response_at_heights(random_model(spec, seed=3), spec, (9.0, 12.0))
    assert np.abs(high - low).max() > 1e-3
    plain = small_spec()
    low, high = charge_response_at_heights(random_model(plain, seed=3), plain, (9.0, 12.0))
    np.testing.assert_allclose(low, high, atol=1e-12)


def test_cell_dipole_energy_is_minus_c_times_the_charge_moment_squared():
    # the same weights with and without the term differ by exactly −c (Σ q z)², c from the cell
    atoms = interface(n_water=2, layers=3, seed=5)
    plain, with_cell = small_spec(True), small_spec(True, cell_dipole=True)
    a, b = random_model(plain), random_model(with_cell)
    batch = make_batch([describe(atoms, with_cell)], [0.2])
    muq = b.structure_terms(batch.features, batch)["muq0"].item()
    area = np.linalg.norm(np.cross(atoms.cell[0], atoms.cell[1]))
    c = 2 * np.pi * 14.399645 / (area * atoms.cell[2, 2])
    assert abs(muq) > 0.1
    diff = (run(b, with_cell, atoms, 0.2)["energy"] - run(a, plain, atoms, 0.2)["energy"]).item()
    assert diff == pytest.approx(-c * muq**2, rel=1e-5)
    molecule = atoms[[i for i, s in enumerate(atoms.get_chemical_symbols()) if s != "Pt"]]
    molecule.pbc = False
    assert describe(molecule, with_cell).cell_dipole == 0.0  # no periodic images
