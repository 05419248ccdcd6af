import numpy as np
import pytest
from ase import Atoms


def water_box(n_side=3, spacing=5.0, n_frames=4, seed=0, jitter=0.3):
    """Waters on a grid in a cubic periodic box, random orientations, as a list of frames."""
    rng = np.random.default_rng(seed)
    box = n_side * spacing
    mol = np.array([[0, 0, 0], [0.757, 0, 0.586], [-0.757, 0, 0.586]])
    frames = []
    for _ in range(n_frames):
        pos, sym = [], []
        for i in range(n_side):
            for j in range(n_side):
                for k in range(n_side):
                    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
                    q = q * np.sign(np.diag(r))  # Haar-uniform rotation (reflection allowed)
                    c = (np.array([i, j, k]) + 0.5) * spacing + rng.normal(0, jitter, 3)
                    pos += list(c + mol @ q.T)
                    sym += ["O", "H", "H"]
        a = Atoms(sym, positions=pos, cell=[box] * 3, pbc=True)
        a.wrap()
        frames.append(a)
    return frames


@pytest.fixture
def water_frames():
    return water_box()
