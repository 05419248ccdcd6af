"""Descriptor spec of the symmetry functions: a plain dict of lists and floats.

A model file stores it and loads it with ``torch.load(..., weights_only=True)``, so it
holds only ``str``, ``float`` and lists of them::

    {"species": ["H", "O", ...],            # feature blocks in this order
     "rc_radial": 6.0, "rc_angular": 4.0,   # Å
     "radial_etas": [...], "radial_shifts": [...],       # Å^-2, Å; one G2 per pair
     "angular_etas": [...], "angular_zetas": [...],      # Å^-2, >= 1
     "angular_lambdas": [...],                            # +1 or -1; one G5 per triple
     "odd_etas": [...], "odd_shifts": [...],              # Å^-2, Å; one Gz per pair
     "height_centers": [...], "height_width": 1.5,        # Å; height above the electrode
     "electrode": "Pt",                                   # its element
     "cutoff_function": "cosine"}

The ``odd`` functions Gz = sum_j (z_ij / r_ij) exp(-eta (r_ij - shift)^2) fc(r_ij) project
the bonds on the surface normal (the direction of the field): they change sign under the
mirror z -> -z, which the field breaks and G2/G5 cannot see. The model uses them only
for the field response (``mlpec_lab.potential.model``). The optional height functions
(``electrode_height``: an even and an odd Gaussian pair per centre, of the height above
the mean height of the ``electrode`` atoms) are not symmetry functions: the model
computes them itself. Older specs without odd or height functions read as having none.
"""

import itertools

import numpy as np

DEFAULT_SPECIES = ("H", "O", "Na", "Cl", "Pt")


#: height functions of ``default_spec(height=True)``: from the metal's top layer (d ≈ 2.3 Å
#: for 3 layers) to the top of the electrolyte (z ≤ 24 Å, d ≈ 20 Å), overlapping at half-width
HEIGHT_CENTERS = (2.0, 5.0, 8.0, 11.0, 14.0, 17.0, 20.0)
HEIGHT_WIDTH = 1.5


def default_spec(species=DEFAULT_SPECIES, rc_radial=6.0, rc_angular=4.0, n_radial=8, n_odd=4,
                 height=False, cell_dipole=False):
    """``n_radial`` radial G2 (shifts 0.8 Å to rc_radial - 0.5 Å), 8 angular G5
    (eta in {0.01, 0.3} Å^-2, zeta in {1, 4}, lambda in {-1, 1}) and ``n_odd`` odd Gz
    (shifts 1 Å to rc_radial - 1 Å, Gaussians overlapping at half-width); with
    ``height``, the height functions at ``HEIGHT_CENTERS`` above the Pt electrode; with
    ``cell_dipole``, the model adds the periodic cell's dipole energy
    (``mlpec_lab.potential.model``)."""
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
        "height_centers": list(HEIGHT_CENTERS) if height else [],
        "height_width": HEIGHT_WIDTH,
        "electrode": "Pt",
        "cutoff_function": "cosine",
        **({"cell_dipole": True} if cell_dipole else {}),
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
           "height_centers": floats("height_centers") if "height_centers" in spec else [],
           "height_width": float(spec.get("height_width", HEIGHT_WIDTH)),
           "electrode": str(spec.get("electrode", "Pt")),
           "cutoff_function": str(spec.get("cutoff_function", "cosine"))}
    if spec.get("cell_dipole"):  # absent unless on: older specs and their hashes unchanged
        out["cell_dipole"] = True
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
    if out["height_width"] <= 0:
        raise ValueError(f"height_width must be a positive length in Å, got {out['height_width']}")
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


def n_height_features(spec):
    """Number of height functions per atom, each as an even and an odd column."""
    return len(spec.get("height_centers", []))
