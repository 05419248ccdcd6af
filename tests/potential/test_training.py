"""Training learns a field-aware reference it can represent, and resumes exactly."""
import dataclasses
import warnings

import numpy as np
import pytest
import torch

from mlpec_lab.potential.committee import train_committee
from mlpec_lab.potential.evaluation import evaluate
from mlpec_lab.potential.model import FieldAwareBP
from mlpec_lab.potential.modelfile import load_committee
from mlpec_lab.potential.training import TrainingConfig, prepare, split_indices, train_member

from .conftest import small_spec, synthetic_label
from mlpec_lab.systems import interface

CFG = TrainingConfig(hidden=16, epochs=40, batch_size=4, lr=5e-3, patience=40, dtype="float64",
                     max_force=None)


def test_committee_learns_synthetic_reference_and_ranks_its_errors(synthetic_dataset, tmp_path):
    out = tmp_path / "model.pt"
    summary = train_committee([synthetic_dataset], out, n_members=2, cfg=CFG, spec=small_spec())
    assert summary["n_structures"] == 24 and len(summary["epochs_run"]) == 2
    members, payload = load_committee(out)
    assert payload["field_range"][0] < -0.3 and payload["field_range"][1] > 0.3
    rng = np.random.default_rng(7)
    test = [synthetic_label(interface(n_water=2, layers=3, seed=100 + k), float(rng.uniform(-0.4, 0.4)))
            for k in range(6)]
    untrained = [FieldAwareBP.from_spec(small_spec(), 16).double() for m in members]
    for u, m in zip(untrained, members):
        u.load_state_dict({k: (v if any(w in k for w in ("feature", "odd_std", "offset", "scale")) else v * 0)
                           for k, v in m.state_dict().items()})
    trained = evaluate(members, test, small_spec())
    baseline = evaluate(untrained, test, small_spec())  # offsets and normalisation only
    assert trained["force_rmse_eV_per_A"] < 0.5 * baseline["force_rmse_eV_per_A"]
    assert trained["dipole_z_rmse_eA"] < 0.5 * baseline["dipole_z_rmse_eA"]
    curves = __import__("xarray").open_dataset(str(out) + ".curves.nc")
    assert set(curves.dims) == {"member", "epoch"} and curves.val_force_rmse.attrs["units"] == "eV/Å"


@pytest.fixture(scope="module")
def ten_samples(synthetic_frames):
    """(spec, samples, train indices, validation indices) of 10 synthetic frames."""
    spec = small_spec()
    samples = prepare(synthetic_frames[:10], spec)
    return (spec, samples, *split_indices(len(samples), 0.2, 0))


def test_interrupted_training_resumes_to_the_same_weights(ten_samples, tmp_path):
    spec, samples, tr, va = ten_samples
    cfg = dataclasses.replace(CFG, epochs=4)
    straight, _ = train_member(samples, tr, va, spec, cfg, 0, tmp_path / "a.ckpt")
    train_member(samples, tr, va, spec, dataclasses.replace(cfg, epochs=2), 0, tmp_path / "b.ckpt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a resumption, not a fresh start
        epochs_run = []
        resumed, curve = train_member(samples, tr, va, spec, cfg, 0, tmp_path / "b.ckpt",
                                      progress=lambda m, epoch, rmse: epochs_run.append(epoch))
    assert epochs_run == [3, 4]  # only the missing epochs ran
    assert len(curve["val_loss"]) == 4
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_a_checkpoint_beyond_the_epoch_budget_is_not_reused(ten_samples, tmp_path):
    spec, samples, tr, va = ten_samples
    cfg = dataclasses.replace(CFG, epochs=3)
    train_member(samples, tr, va, spec, cfg, 0, tmp_path / "m.ckpt")
    with pytest.warns(UserWarning, match="more than the 2 asked for"):
        _, curve = train_member(samples, tr, va, spec, dataclasses.replace(cfg, epochs=2), 0,
                                tmp_path / "m.ckpt")
    assert len(curve["val_loss"]) == 2


def test_a_checkpoint_from_another_run_is_not_resumed(ten_samples, tmp_path):
    spec, samples, tr, va = ten_samples
    cfg = dataclasses.replace(CFG, epochs=2)
    train_member(samples, tr, va, spec, cfg, 0, tmp_path / "m.ckpt")
    other = dataclasses.replace(cfg, hidden=8)  # another architecture: its weights cannot load
    with pytest.warns(UserWarning, match="different run"):
        model, curve = train_member(samples, tr, va, spec, other, 0, tmp_path / "m.ckpt")
    assert len(curve["val_loss"]) == 2 and model.hidden == 8


def test_forces_that_are_not_labels_leave_the_loss_and_the_metrics(synthetic_frames):
    from mlpec_lab.potential.training import batch_loss

    spec = small_spec()
    frames = [a.copy() for a in synthetic_frames[:4]]
    for a, b in zip(frames, synthetic_frames[:4]):
        a.calc = b.calc.__class__(a, **b.calc.results)
        pt = np.array(a.get_chemical_symbols()) == "Pt"
        a.calc.results["forces"] = a.calc.results["forces"].copy()
        a.calc.results["forces"][pt] = 0.0  # as a constrained write left them
    samples = prepare(frames, spec)
    assert not any(s.force_known[np.array(s.symbols) == "Pt"].any() for s in samples)
    model = FieldAwareBP.from_spec(spec, 8).double()
    _, (_, force_rmse, _) = batch_loss(model, samples, dataclasses.replace(CFG), create_graph=False)
    from mlpec_lab.potential.descriptors import make_batch
    pred = model(make_batch([s.desc for s in samples], [s.field for s in samples], torch.float64))
    mobile = np.concatenate([~np.isin(s.symbols, ["Pt"]) for s in samples])
    labels = np.concatenate([s.forces for s in samples])
    expected = np.sqrt(np.mean((pred["forces"].detach().numpy()[mobile] - labels[mobile]) ** 2))
    assert force_rmse == pytest.approx(expected, rel=1e-10)
    metrics = evaluate([model], frames, spec)
    assert metrics["elements_without_force_labels"] == ["Pt"]
    assert set(metrics["force_rmse_per_element_eV_per_A"]) == {"H", "O"}
    assert metrics["force_rmse_eV_per_A"] == pytest.approx(expected, rel=1e-10)


def test_height_functions_are_normalised_and_survive_the_model_file(synthetic_dataset, tmp_path):
    from mlpec_lab.kernels.electrode_height import height_basis
    from mlpec_lab.potential.evaluation import predictions
    from mlpec_lab.datasets import read_dataset

    spec = small_spec(height=True)
    out = tmp_path / "height.pt"
    cfg = dataclasses.replace(CFG, epochs=3)
    train_committee([synthetic_dataset], out, n_members=1, cfg=cfg, spec=spec)
    members, payload = load_committee(out)
    assert payload["spec"]["height_centers"] == spec["height_centers"]
    model = members[0]
    m, n_even = len(spec["height_centers"]), model.n_even
    frames = read_dataset(synthetic_dataset).frames
    pt = spec["species"].index("Pt")
    # the Pt rows of the even height columns: mean over every Pt atom of the training split
    columns = [height_basis(a.positions[:, 2], a.numbers == 78, spec["height_centers"],
                            spec["height_width"])[0][a.numbers == 78] for a in frames]
    train_idx, _ = split_indices(len(frames), cfg.validation_fraction, cfg.seed)
    expect = np.concatenate([columns[i] for i in train_idx]).mean(0)
    np.testing.assert_allclose(model.feature_mean[pt, n_even:n_even + m].numpy(), expect, atol=1e-12)
    # the file rebuilds the same model: predictions of the loaded member equal a fresh
    # FieldAwareBP from the stored spec with the stored weights
    again = FieldAwareBP.from_spec(payload["spec"], payload["hidden"]).double()
    again.load_state_dict(payload["members"][0])
    a, b = predictions([model], frames[:3], spec), predictions([again], frames[:3], spec)
    np.testing.assert_allclose(a.energy_pred, b.energy_pred, atol=1e-10)
    np.testing.assert_allclose(a.forces_pred, b.forces_pred, atol=1e-10)


def test_force_balance_weighs_each_element_by_its_share_of_the_force_labels(synthetic_frames):
    from mlpec_lab.potential.descriptors import make_batch
    from mlpec_lab.potential.training import batch_loss, element_force_weights

    spec = small_spec()
    samples = prepare(synthetic_frames[:4], spec)
    labelled = np.concatenate([np.asarray(s.symbols)[s.force_known] for s in samples])
    share = {e: float(np.mean(labelled == e)) for e in set(labelled)}
    weights = element_force_weights(samples, 0.5)
    assert set(weights) == set(share) and len(share) >= 2
    assert sum(share[e] * w for e, w in weights.items()) == pytest.approx(1.0, rel=1e-12)
    rare, common = min(share, key=share.get), max(share, key=share.get)
    assert weights[rare] / weights[common] == pytest.approx((share[common] / share[rare]) ** 0.5)
    assert element_force_weights(samples, 0.0) == pytest.approx({e: 1.0 for e in share})

    # the loss: energy and dipole terms as before, the force term a weighted mean (float64 numpy)
    model = FieldAwareBP.from_spec(spec, 8).double()
    cfg = dataclasses.replace(CFG, dtype="float64")
    plain, parts = batch_loss(model, samples, cfg, create_graph=False)
    weighted, parts_w = batch_loss(model, samples, cfg, create_graph=False, element_weights=weights)
    assert parts_w == parts  # the reported RMSEs stay unweighted
    pred = model(make_batch([s.desc for s in samples], [s.field for s in samples], torch.float64))
    known = np.concatenate([s.force_known for s in samples])
    symbols = np.concatenate([s.symbols for s in samples])[known]
    sq = (((pred["forces"].detach().numpy() - np.concatenate([s.forces for s in samples]))[known]
           / 0.05) ** 2).sum(1)
    w = np.array([weights[e] for e in symbols])
    expected_shift = cfg.weight_forces * (np.mean(w * sq) - np.mean(sq)) / 3
    assert abs(expected_shift) > 1e-6 * float(plain.detach())  # the weights matter here
    assert float((weighted - plain).detach()) == pytest.approx(expected_shift, rel=1e-9)


def test_a_member_far_behind_the_committee_is_named():
    from mlpec_lab.potential.committee import lagging_members

    assert lagging_members([300.0, 265.0, 740.0, 358.0]) == [2]
    assert lagging_members([300.0, 265.0, 590.0, 358.0]) == []  # under twice the median (329)
    assert lagging_members([10.0, 900.0]) == []  # two members cannot say which one is off


def test_descriptors_cast_once_give_the_same_float32_loss(synthetic_frames):
    from mlpec_lab.potential.training import batch_loss, cast_descriptors

    spec = small_spec()
    samples = prepare(synthetic_frames[:4], spec)
    cast = cast_descriptors(samples, torch.float32)
    for name in ("features", "z", "radial_d", "angular_d"):
        assert getattr(cast[0].desc, name).dtype == np.float32, name
    assert cast[0].desc.pair_i.dtype == samples[0].desc.pair_i.dtype  # indices stay integers
    assert samples[0].desc.radial_d.dtype == np.float64  # the originals are left alone
    torch.manual_seed(0)
    model = FieldAwareBP.from_spec(spec, 8).float()
    cfg = dataclasses.replace(CFG, dtype="float32")
    loss, parts = batch_loss(model, samples, cfg, create_graph=False)
    loss_cast, parts_cast = batch_loss(model, cast, cfg, create_graph=False)
    assert loss_cast.item() == loss.item() and parts_cast == parts


def test_derivatives_cast_while_preparing_give_the_same_loss_and_normalisation(synthetic_frames):
    from mlpec_lab.potential.training import batch_loss, cast_descriptors, normalisation

    spec = small_spec()
    samples = prepare(synthetic_frames[:4], spec)
    lean = prepare(synthetic_frames[:4], spec, derivative_dtype=torch.float32)
    assert lean[0].desc.radial_d.dtype == lean[0].desc.angular_d.dtype == np.float32
    assert lean[0].desc.features.dtype == np.float64  # the normalisation sees float64 features
    assert lean[0].desc.radial_cols.dtype == lean[0].desc.angular_cols.dtype == np.int32
    for a, b in zip(normalisation(samples, spec), normalisation(lean, spec)):
        np.testing.assert_array_equal(a, b)
    torch.manual_seed(0)
    model = FieldAwareBP.from_spec(spec, 8).float()
    cfg = dataclasses.replace(CFG, dtype="float32")
    loss, parts = batch_loss(model, cast_descriptors(samples, torch.float32), cfg,
                             create_graph=False)
    loss_lean, parts_lean = batch_loss(model, cast_descriptors(lean, torch.float32), cfg,
                                       create_graph=False)
    assert loss_lean.item() == loss.item() and parts_lean == parts
