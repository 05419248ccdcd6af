import pytest
import torch

from mlpec_lab.potential.modelfile import ModelFileError, load_committee, save_committee

from .conftest import small_spec
from .test_model import random_model


def test_roundtrip_with_weights_only(tmp_path):
    spec = small_spec()
    members = [random_model(spec, seed=s) for s in range(2)]
    path = tmp_path / "m.pt"
    save_committee(path, members, spec, (-0.5, 0.5), {"note": "test"})
    raw = torch.load(path, weights_only=True)  # the file is plain data
    assert raw["species"] == ["H", "O", "Pt"] and raw["training"] == {"note": "test"}
    loaded, payload = load_committee(path)
    assert payload["field_range"] == [-0.5, 0.5]
    for a, b in zip(members, loaded):
        for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
            assert ka == kb and torch.equal(va, vb)


def test_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "m.pt"
    save_committee(path, [random_model(small_spec())], small_spec(), (-0.5, 0.5), {})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="not a readable model file"):
        load_committee(path)


def test_foreign_torch_file_is_refused(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    with pytest.raises(ModelFileError, match="not an mlpec-lab model file"):
        load_committee(path)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_file_with_arbitrary_objects_is_not_unpickled(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": "mlpec-lab/field-aware-bp", "x": Payload()}, path, pickle_protocol=2)
    with pytest.raises(ModelFileError, match="refusing to unpickle|not a readable"):
        load_committee(path)
    assert "this must never run" not in capsys.readouterr().out


@pytest.mark.parametrize("version, height", [(3, False), (5, True)])
def test_older_files_read_with_zero_missing_heads(tmp_path, version, height):
    # version 3 had no ζ head and versions 3–5 no atomic-dipole head: their members must
    # predict exactly what they did then, i.e. what the same weights give with those rows
    # of the output layer set to zero
    from mlpec_lab.kernels.symmetry_spec import n_odd_features
    from mlpec_lab.potential.descriptors import describe, make_batch
    from mlpec_lab.systems import interface

    spec = small_spec(height=height)
    n_odd = n_odd_features(spec) + len(spec.get("height_centers", ()))
    kept = 3 + (n_odd if version == 3 else 2 * n_odd)
    member = random_model(spec, seed=3)
    with torch.no_grad():
        for net in member.networks:
            net.layers[-1].weight[kept:] = 0.0
            net.layers[-1].bias[kept:] = 0.0
    path = tmp_path / "v6.pt"
    save_committee(path, [member], spec, (-0.5, 0.5), {})
    raw = torch.load(path, weights_only=True)
    n_scales = 4 if version == 3 else 5
    old = {k: (v[:kept] if "layers.2" in k else v[:n_scales] if k == "output_scale" else v)
           for k, v in raw["members"][0].items()}
    raw.update(version=version, members=[old])
    torch.save(raw, tmp_path / "old.pt")
    (loaded,), _ = load_committee(tmp_path / "old.pt")
    batch = make_batch([describe(interface(n_water=2, layers=3, seed=2), spec)], [0.4])
    a, b = member(batch), loaded(batch)
    assert b["energy"].item() == pytest.approx(a["energy"].item(), abs=1e-12)
    assert b["dipole_z"].item() == pytest.approx(a["dipole_z"].item(), abs=1e-12)
    assert torch.allclose(a["forces"], b["forces"], atol=1e-12)
    assert torch.equal(b["atomic_dipoles"], torch.zeros_like(b["atomic_dipoles"]))
    raw.update(version=2)
    torch.save(raw, tmp_path / "v2.pt")
    with pytest.raises(ModelFileError, match="version 2 is not supported"):
        load_committee(tmp_path / "v2.pt")


def test_select_members_keeps_the_chosen_weights_provenance_and_curves(tmp_path):
    import numpy as np
    import xarray as xr

    from mlpec_lab.potential.modelfile import select_members

    spec = small_spec()
    members = [random_model(spec, seed=s) for s in range(4)]
    path = tmp_path / "m.pt"
    save_committee(path, members, spec, (-0.5, 0.5),
                   {"epochs_run": [10, 20, 30, 40], "best_val_loss": [1.0, 2.0, 9.0, 3.0]})
    xr.Dataset({"val_loss": (("member", "epoch"), np.arange(12.0).reshape(4, 3))},
               coords={"member": range(4)}).to_netcdf(str(path) + ".curves.nc")
    out = tmp_path / "kept.pt"
    select_members(path, [3, 0], out, reason="member 2 stuck")
    loaded, payload = load_committee(out)
    for kept, original in zip(loaded, [members[3], members[0]]):
        for (ka, va), (kb, vb) in zip(kept.state_dict().items(), original.state_dict().items()):
            assert ka == kb and torch.equal(va, vb)
    assert payload["training"]["epochs_run"] == [40, 10]
    assert payload["training"]["best_val_loss"] == [3.0, 1.0]
    assert payload["training"]["selected_members"]["kept"] == [3, 0]
    with xr.open_dataset(str(out) + ".curves.nc") as curves:
        assert curves.val_loss.values.tolist() == [[9.0, 10.0, 11.0], [0.0, 1.0, 2.0]]
    for bad in ([], [0, 0], [4]):
        with pytest.raises(ValueError, match="distinct member indices"):
            select_members(path, bad, tmp_path / "bad.pt", reason="")
