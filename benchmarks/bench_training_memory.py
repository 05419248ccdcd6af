"""Benchmark: memory of the training samples one committee member holds, two ways in one run.

    python benchmarks/bench_training_memory.py [--frames 200] [--data data/training/independent2/labelled.extxyz]

anchor: ``prepare(frames)`` (float64 descriptors) followed by ``cast_descriptors`` (the
float32 copies training uses), both alive while a member trains — the path before
2026-12-07, whose column numbers were int64, not int32, so it held more than this anchor.
lean: ``prepare(frames, derivative_dtype=float32)`` (the derivative blocks cast frame by
frame) followed by ``cast_descriptors`` — the path ``committee._member_job`` takes now.
Peak traced allocation (tracemalloc sees numpy's buffers) per path, and the ratio.
Updates "## Training memory" in RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from results_section import update_section  # noqa: E402

from mlpec_lab.potential.committee import read_labelled_frames  # noqa: E402
from mlpec_lab.potential.training import cast_descriptors, prepare  # noqa: E402

HEADING = "## Training memory"


def peak_mb(frames, spec, derivative_dtype):
    """Peak traced MB while preparing ``frames`` and casting them for float32 training."""
    tracemalloc.start()
    samples = prepare(frames, spec, derivative_dtype=derivative_dtype)
    cast = cast_descriptors(samples, torch.float32)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del samples, cast
    return peak / 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--data", default="data/training/independent2/labelled.extxyz")
    ap.add_argument("--model", default="data/model/committee.pt", help="descriptor spec from here")
    args = ap.parse_args(argv)
    spec = torch.load(args.model, weights_only=True)["spec"]
    frames, _ = read_labelled_frames([args.data], 15.0)
    frames = frames[:args.frames]
    n_atoms = sum(len(a) for a in frames)
    anchor = peak_mb(frames, spec, None)
    lean = peak_mb(frames, spec, torch.float32)
    text = (f"{HEADING}\n\n`python benchmarks/bench_training_memory.py --frames {len(frames)}` "
            f"({datetime.date.today()}, {platform.machine()}; {len(frames)} frames of "
            f"`{args.data}`, {n_atoms} atoms, the shipped descriptor spec). Peak traced memory of "
            "the samples a member trains on:\n\n"
            "| path | peak (MB) | per frame (MB) | lean / anchor |\n|---|---|---|---|\n"
            f"| anchor: float64 descriptors + float32 copies | {anchor:.0f} | "
            f"{anchor / len(frames):.2f} | 1 |\n"
            f"| lean: derivative blocks float32 while preparing | {lean:.0f} | "
            f"{lean / len(frames):.2f} | **{lean / anchor:.2f}** |\n")
    print(text)
    update_section(HEADING, text)


if __name__ == "__main__":
    main()
