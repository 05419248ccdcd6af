"""Field-aware Behler–Parrinello potential: torch model for training, exported weights
run by a fused Numba kernel for inference, an ASE calculator with committee uncertainty."""
