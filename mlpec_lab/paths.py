"""Where the shipped data lives: the repository's ``data/`` (``MLPEC_DATA`` overrides)."""
import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("MLPEC_DATA", Path(__file__).resolve().parents[1] / "data"))
#: the pretrained field-aware committee (DESIGN.md section 2 family)
SHIPPED_MODEL = DATA_DIR / "model" / "committee.pt"
#: the tour's ready interface: 16 H2O + Na⁺/Cl⁻ on Pt(111), equilibrated at 330 K (extxyz)
READY_INTERFACE = DATA_DIR / "structures" / "ready_interface.extxyz"
