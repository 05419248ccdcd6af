"""Label configurations with the oracle: resumable, append-only, failures kept apart."""
from __future__ import annotations

import time
from importlib.metadata import version as _version
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from mlpec_lab.datasets import (
    append_failure, append_frames, config_id, labelled, read_dataset, read_failures,
)
from mlpec_lab.executor import map_unordered
from mlpec_lab.reference.xtb import SCFConvergenceError, XTBReference, field_vector
from mlpec_lab.systems import StructureError

PROTOCOL = (f"GFN1-xTB/tblite-{_version('tblite')}, REFERENCE_PROTOCOL.md "
            "(LZ=32 A, 300 K smearing, charge 0, SAD guess)")


def failures_path(out) -> Path:
    """Where failed labels of dataset ``out`` are recorded (JSON lines)."""
    out = Path(out)
    return out.with_name(out.name + ".failed.jsonl")


def _label_job(job):
    """Worker: label one configuration; return a label or a failure record."""
    index, atoms, field = job
    t0 = time.perf_counter()
    calc = XTBReference(field=field)
    try:
        calc.calculate(atoms, ["energy", "forces", "dipole"])
    except (SCFConvergenceError, StructureError, ValueError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "ok": True,
        "energy": calc.results["energy"],
        "forces": calc.results["forces"],
        "dipole": calc.results["dipole"],
        "scf_rung": calc.scf_rung,
        "seconds": time.perf_counter() - t0,
    }


def label(inp, out, field=None, executor=None, workers: int = 1, retry_failed: bool = False,
          progress: bool = True) -> dict:
    """Label every configuration of extxyz ``inp`` with the oracle into ``out``.

    field: Fz (V/Å) for all frames, else each frame's ``info["field"]``. Labels are
    appended as they finish; rerunning skips what ``out`` (and the failure file
    ``out.failed.jsonl``, unless ``retry_failed``) already holds. Returns counts.
    """
    source = read_dataset(inp)
    jobs, ids = [], []
    for index, atoms in enumerate(source.frames):
        f = field_vector(atoms, field)
        atoms = atoms.copy()
        atoms.calc = None
        atoms.info["field"] = f
        ids.append(config_id(atoms, f))
        jobs.append((index, atoms, f))
    out = Path(out)
    done = {a.info.get("config_id") for a in read_dataset(out, quiet=True).frames} if out.exists() else set()
    failed = {r.get("config_id") for r in read_failures(failures_path(out))}
    skip = done | (set() if retry_failed else failed)
    todo = [k for k, cid in enumerate(ids) if cid not in skip]
    counts = {"total": len(jobs), "already_done": len(jobs) - len(todo), "labelled": 0,
              "failed": 0, "unreadable_input_frames": len(source.problems)}
    bar = tqdm(total=len(todo), desc=f"labelling {Path(inp).name}", disable=not progress, unit="cfg")
    try:
        for k, res in map_unordered(_label_job, [jobs[i] for i in todo], executor, workers):
            index, atoms, f = jobs[todo[k]]
            cid = ids[todo[k]]
            if res["ok"]:
                frame = labelled(atoms, res["energy"], res["forces"], res["dipole"], f,
                                 config_id=cid, source_index=index, oracle=PROTOCOL,
                                 scf_rung=str(res["scf_rung"]), label_seconds=round(res["seconds"], 3))
                append_frames(out, [frame])
                counts["labelled"] += 1
            else:
                append_failure(failures_path(out), {"config_id": cid, "source_index": index,
                                                    "field": np.asarray(f).tolist(), "error": res["error"]})
                counts["failed"] += 1
            bar.update(1)
    finally:
        bar.close()
    return counts
