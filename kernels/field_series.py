"""The field expansion shared by the torch model and the fused kernel.

The charge coefficients c_0..c_3 = (q, χ, η, ζ) of an atom (or their z-moments μz0, α,
β, γ of a structure) expand in the field Fz as

    charge(F) = Σ_n c_n Fⁿ/n!          (dipole from the moments)
    work(F)   = Σ_n c_n Fⁿ⁺¹/(n+1)!    (−field energy from the moments; the direct z-force
                                        from an atom's coefficients)
    slope(F)  = Σ_n≥1 c_n Fⁿ⁻¹/(n−1)!  (polarizability αzz from the moments)

Works elementwise on numpy arrays and torch tensors alike.
"""
import math


def field_series(coefficients, field, shift: int):
    """Σ_n c_n F^(n+shift)/(n+shift)! over n ≥ max(0, −shift); shift 0: charge, 1: work,
    −1: slope (module docstring)."""
    return sum(c * field ** (n + shift) / math.factorial(n + shift)
               for n, c in enumerate(coefficients) if n + shift >= 0)
