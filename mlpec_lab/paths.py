"""Where the shipped data lives: the repository's ``data/`` (``MLPEC_DATA`` overrides)."""
import os
from pathlib import Path

DATA_DIR = Path(os.environ.get("MLPEC_DATA", Path(__file__).resolve().parents[1] / "data"))
#: the pretrained field-aware committee (DESIGN.md section 2 family)
SHIPPED_MODEL = DATA_DIR / "model" / "committee.pt"
