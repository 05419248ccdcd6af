"""Model files: one torch file holding everything needed to rebuild a committee.

Layout (plain types and tensors only, so ``torch.load(weights_only=True)`` reads it)::

    {"format": "mlpec-lab/field-aware-bp", "version": 6,
     "spec": descriptor spec dict, "species": [...], "hidden": int,
     "members": [state_dict, ...], "field_range": [Fmin, Fmax] (V/Å),
     "force_deviation_threshold": eV/Å, "training": {provenance},
     "core_radii": (S, S) nested list, Å, or None (``core_repulsion``)}
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import torch

from mlpec_lab.kernels.symmetry_spec import n_odd_features, validated_spec
from mlpec_lab.potential.model import N_ODD_HEADS, OUTPUT_SCALES, FieldAwareBP

FORMAT = "mlpec-lab/field-aware-bp"
VERSION = 6  # 2: field-dependent charges (q, χ, η heads); 3: χ odd (Gz features); 4: ζ head;
#              5: optional height functions (spec "height_centers"); 6: atomic dipole head p
READABLE = (3, 4, 5, 6)  # older files read with zero ζ (3) and p (3–5) heads: same predictions


class ModelFileError(ValueError):
    """A file that is not a readable mlpec-lab model."""


def save_committee(path, members, spec, field_range, training: dict,
                   force_deviation_threshold: float = 0.3, core_radii=None) -> None:
    """Write a committee (list of FieldAwareBP) to ``path`` (temporary file, then rename).
    core_radii: (S, S) Å for ``mlpec_lab.potential.core_repulsion``, None for none."""
    first = members[0]
    payload = {
        "format": FORMAT, "version": VERSION, "spec": validated_spec(spec),
        "species": list(first.species), "hidden": int(first.hidden),
        "members": [{k: v.detach().cpu().clone() for k, v in m.state_dict().items()}
                    for m in members],
        "field_range": [float(field_range[0]), float(field_range[1])],
        "force_deviation_threshold": float(force_deviation_threshold),
        "training": training,
        "core_radii": None if core_radii is None else [[float(x) for x in row] for row in core_radii],
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def _with_zero_heads(state: dict, n_odd: int) -> dict:
    """An older member's weights with the odd heads it lacks appended as zeros: the
    third-order response ζ (version 3) and the atomic dipoles p (versions 3–5)."""
    state = dict(state)
    for key, value in list(state.items()):
        if key.endswith("layers.2.weight") or key.endswith("layers.2.bias"):
            missing = max(3 + N_ODD_HEADS * n_odd - value.shape[0], 0)  # a bad width: load_state_dict says so
            pad = torch.zeros((missing,) + tuple(value.shape[1:]), dtype=value.dtype)
            state[key] = torch.cat([value, pad])
    scale = state["output_scale"]
    state["output_scale"] = torch.cat([scale, torch.tensor(OUTPUT_SCALES[len(scale):],
                                                           dtype=scale.dtype)])
    return state


def load_committee(path, dtype=torch.float64):
    """Read a model file: returns (list of FieldAwareBP in eval mode, the payload dict)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except (RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise ModelFileError(f"{path} is not a readable model file (corrupt or not a torch "
                             f"file): {str(exc).splitlines()[0][:200]}") from None
    except Exception as exc:  # weights_only refuses arbitrary objects
        raise ModelFileError(f"{path} holds objects other than tensors and plain types; "
                             f"refusing to unpickle it ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an mlpec-lab model file (format "
                             f"{payload.get('format') if isinstance(payload, dict) else type(payload).__name__!r})")
    if payload.get("version") not in READABLE:
        raise ModelFileError(f"{path}: model file version {payload.get('version')} "
                             f"is not supported (readable: {', '.join(map(str, READABLE))})")
    spec = validated_spec(payload["spec"])
    radii = payload.setdefault("core_radii", None)
    n_species = len(payload["species"])
    if radii is not None and (len(radii) != n_species or any(len(r) != n_species for r in radii)):
        raise ModelFileError(f"{path}: core_radii is not a {n_species}×{n_species} table")
    members = []
    for state in payload["members"]:
        state = _with_zero_heads(state, n_odd_features(spec) + len(spec.get("height_centers", ())))
        model = FieldAwareBP.from_spec(spec, payload["hidden"]).to(dtype)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelFileError(f"{path}: weights do not match the stored architecture: "
                                 f"{str(exc).splitlines()[0]}") from None
        model.eval()
        members.append(model)
    return members, payload


PER_MEMBER_PROVENANCE = ("epochs_run", "best_val_force_rmse", "best_val_loss")


def select_members(path, keep, out, reason: str) -> dict:
    """Write to ``out`` the committee of ``path`` reduced to the members ``keep`` (indices,
    in that order), with the per-member provenance and the learning curves
    (``path``.curves.nc, when present) reduced alike; ``reason`` is recorded. Returns the
    new file's training provenance."""
    import xarray as xr

    members, payload = load_committee(path)
    keep = [int(k) for k in keep]
    if not keep or len(set(keep)) != len(keep) or not all(0 <= k < len(members) for k in keep):
        raise ValueError(f"keep must list distinct member indices of 0…{len(members) - 1}, got {keep}")
    training = dict(payload["training"])
    for key in PER_MEMBER_PROVENANCE:
        if key in training:
            training[key] = [training[key][k] for k in keep]
    training["n_members"] = len(keep)
    training["selected_members"] = {"from_file": Path(path).name, "kept": keep, "reason": reason}
    save_committee(out, [members[k] for k in keep], payload["spec"], payload["field_range"],
                   training, payload["force_deviation_threshold"], payload["core_radii"])
    curves = Path(str(path) + ".curves.nc")
    if curves.exists():
        with xr.open_dataset(curves) as ds:
            picked = ds.isel(member=keep).load()
        picked.assign_coords(member=range(len(keep))).to_netcdf(str(out) + ".curves.nc")
    return training
