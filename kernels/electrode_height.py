"""Height above the electrode: a per-atom basis the local symmetry functions cannot give.

The oracle moves charge between the metal and molecules far beyond any cutoff when the
field shifts their levels: at Fz = +0.3 V/Å a single water 11 Å above Pt(111) carries
+0.13 e (+0.03 e at 5 Å; none at 0 or −0.3 V/Å), and its share of μz grows with its height. A
local model sees the same isolated water at every height. This basis tells each atom
where it sits relative to the metal: d_i = z_i − z̄_metal (Å, z̄_metal the mean height of
the metal atoms, so the metal's own atoms count in the derivative), expanded in pairs of
Gaussians centred at ±c_k of width w,

    even_k(d) = g(d − c_k) + g(d + c_k)        odd_k(d) = g(d − c_k) − g(d + c_k)

with g(x) = exp(−x² / 2w²). Under the mirror z → −z the even functions are unchanged and
the odd ones change sign, as the field-response heads need (``mlpec_lab.potential.model``).
A structure without metal atoms gets zeros. Plain numpy: the cost is n × m exponentials.
"""

import numpy as np


def height_basis(z, metal, centers, width):
    """Basis and its derivative along d for atoms at heights ``z`` (Å).

    metal: (n,) bool mask of the electrode's atoms. Returns even, odd, d_even/dd and
    d_odd/dd, each (n, m) with m = len(centers), in 1 and 1/Å.
    """
    z = np.asarray(z, np.float64)
    c = np.asarray(centers, np.float64)
    shape = (len(z), len(c))
    if not np.any(metal) or not len(c):
        return tuple(np.zeros(shape) for _ in range(4))
    d = (z - z[metal].mean())[:, None]
    gm, gp = np.exp(-(d - c) ** 2 / (2 * width**2)), np.exp(-(d + c) ** 2 / (2 * width**2))
    dgm, dgp = -(d - c) / width**2 * gm, -(d + c) / width**2 * gp
    return gm + gp, gm - gp, dgm + dgp, dgm - dgp


def height_forces(dE_deven, dE_dodd, d_even, d_odd, metal):
    """z-forces (n,) eV/Å from dE/d(even), dE/d(odd) (n, m) through d_i = z_i − z̄_metal:
    −dE/dd_i on atom i, and the sum of +dE/dd_i shared equally by the metal atoms."""
    dE_dd = (dE_deven * d_even + dE_dodd * d_odd).sum(1)
    forces = -dE_dd
    if np.any(metal):
        forces[metal] += dE_dd.sum() / np.count_nonzero(metal)
    return forces
