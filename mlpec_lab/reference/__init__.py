"""The reference oracle: GFN1-xTB (tblite) with a uniform field, per REFERENCE_PROTOCOL.md."""
from mlpec_lab.reference.xtb import SCF_LADDER, SCFConvergenceError, XTBReference, field_vector

__all__ = ["XTBReference", "SCFConvergenceError", "SCF_LADDER", "field_vector"]
