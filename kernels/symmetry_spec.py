"""Descriptor spec of the symmetry functions: a plain dict of lists and floats.

A model file stores it and loads it with ``torch.load(..., weights_only=True)``, so it
holds only ``str``, ``float`` and lists of them::

    {"species": ["H", "O", ...],            # feature blocks in this order
     "rc_radial": 6.0, "rc_angular": 4.0,   # Å
     "radial_etas": [...], "radial_shifts": [...],       # Å^-2, Å; one G2 per pair
     "angular_etas": [...], "angular_zetas": [...],      # Å^-2, >= 1
     "angular_lambdas": [...],                            # +1 or -1; one G5 per triple
     "odd_etas": [...], "odd_shifts": [...],              # Å^-2, Å; one Gz per pair
     "cutoff_function": "cosine"}

The ``odd`` functions Gz = sum_j (z_ij / r_ij) exp(-eta (r_ij - shift)^2) fc(r_ij) project
the bonds on the surface normal (the direction of the field): they change sign under the
mirror z -> -z, which the field breaks and G2/G5 cannot see. The model uses them only
for the field response (``mlpec_lab.potential.model``). Older specs without them read
as having none.
"""

import itertools

import numpy as np

DEFAULT_SPECIES = ("H", "O", "Na", "Cl", "Pt")


def default_spec(species=DEFAULT_SPECIES, rc_radial=6.0, rc_angular=4.0, n_radial=8, n_odd=4):
    """``n_radial`` radial G2 (shifts 0.8 Å to rc_radial - 0.5 Å), 8 angular G5
    (eta in {0.01, 0.3} Å^-2, zeta in {1, 4}, lambda in {-1, 1}) and ``n_odd`` odd Gz
    (shifts 1 Å to rc_radial - 1 Å, Gaussians overlapping at half-width)."""
    shifts = np.linspace(0.8, rc_radial - 0.5, n_radial)
    eta = 0.5 / (shifts[1] - shifts[0]) ** 2  # Gaussians overlap at half-width
    triples = list(itertools.product([0.01, 0.3], [1.0, 4.0], [-1.0, 1.0]))
    odd_shifts = np.linspace(1.0, rc_radial - 1.0, n_odd) if n_odd else np.zeros(0)
    odd_eta = 0.5 / (odd_shifts[1] - odd_shifts[0]) ** 2 if n_odd > 1 else 0.5
    return validated_spec({
        "species": list(species),
        "rc_radial": rc_radial,
        "rc_angular": rc_angular,
        "radial_etas": [eta] * len(shifts),
        "radial_shifts": shifts.tolist(),
        "angular_etas": [t[0] for t in triples],
        "angular_zetas": [t[1] for t in triples],
        "angular_lambdas": [t[2] for t in triples],
        "odd_etas": [odd_eta] * len(odd_shifts),
        "odd_shifts": odd_shifts.tolist(),
        "cutoff_function": "cosine",
    })


def validated_spec(spec):
    """A checked copy of ``spec`` with plain Python types (tensors and arrays converted)."""
    def floats(key):
        return [float(x) for x in np.asarray(spec[key], dtype=np.float64).ravel()]

    missing = {"species", "rc_radial", "rc_angular", "radial_etas", "radial_shifts",
               "angular_etas", "angular_zetas", "angular_lambdas"} - set(spec)
    if missing:
        raise ValueError(f"descriptor spec lacks {', '.join(sorted(missing))}")
    out = {"species": [str(s) for s in spec["species"]],
           "rc_radial": float(spec["rc_radial"]), "rc_angular": float(spec["rc_angular"]),
           "radial_etas": floats("radial_etas"), "radial_shifts": floats("radial_shifts"),
           "angular_etas": floats("angular_etas"), "angular_zetas": floats("angular_zetas"),
           "angular_lambdas": floats("angular_lambdas"),
           "odd_etas": floats("odd_etas") if "odd_etas" in spec else [],
           "odd_shifts": floats("odd_shifts") if "odd_shifts" in spec else [],
           "cutoff_function": str(spec.get("cutoff_function", "cosine"))}
    if out["cutoff_function"] != "cosine":
        raise ValueError(f"only the cosine cutoff function exists, got {out['cutoff_function']!r}")
    if min(out["rc_radial"], out["rc_angular"]) <= 0:
        raise ValueError("rc_radial and rc_angular must be positive lengths in Å")
    if len(out["radial_etas"]) != len(out["radial_shifts"]):
        raise ValueError("radial_etas and radial_shifts must have the same length")
    if len(out["odd_etas"]) != len(out["odd_shifts"]):
        raise ValueError("odd_etas and odd_shifts must have the same length")
    if not len(out["angular_etas"]) == len(out["angular_zetas"]) == len(out["angular_lambdas"]):
        raise ValueError("angular_etas, angular_zetas and angular_lambdas must have one length")
    if any(z < 1 for z in out["angular_zetas"]):
        raise ValueError("angular_zetas must be >= 1")
    if len(set(out["species"])) != len(out["species"]) or not out["species"]:
        raise ValueError(f"species must be distinct and non-empty, got {out['species']}")
    return out


def n_even_features(spec):
    """Number of mirror-invariant symmetry functions (G2, G5) per atom: columns first."""
    s = len(spec["species"])
    return s * len(spec["radial_etas"]) + s * (s + 1) // 2 * len(spec["angular_etas"])


def n_odd_features(spec):
    """Number of odd functions Gz per atom: the last columns."""
    return len(spec["species"]) * len(spec.get("odd_etas", []))


def n_features(spec):
    """Number of symmetry functions per atom (even, then odd)."""
    return n_even_features(spec) + n_odd_features(spec)
