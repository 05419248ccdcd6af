"""nglview 3D view of an interface (electrode, water, ions, adsorbates, field arrow).

nglview 4.0.1 from PyPI asks the browser for JS module version "4.0" while its
prebuilt labextension registers 3.1.5, so nothing renders (nglview #1172, #1181).
``import_nglview`` installs a ``nglview._frontend`` that asks for the version the
installed labextension really registers; it must run before nglview is imported.
"""
from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path

import numpy as np

FIELD_ARROW_SCALE = 10.0  #: Å of arrow per V/Å


def _registered_js_version() -> str | None:
    from jupyter_core.paths import jupyter_path

    for root in jupyter_path("labextensions"):
        pkg = Path(root) / "nglview-js-widgets" / "package.json"
        if pkg.exists():
            return json.loads(pkg.read_text())["version"]
    return None


def import_nglview():
    """Import nglview with its front-end version matched to the installed labextension."""
    if "nglview" not in sys.modules:
        version = _registered_js_version()
        if version is not None:
            shim = types.ModuleType("nglview._frontend")
            shim.__frontend_version__ = version
            sys.modules["nglview._frontend"] = shim
    elif _registered_js_version() not in (None, sys.modules["nglview._frontend"].__frontend_version__):
        warnings.warn("nglview was imported before mlpec_lab.panels.view3d: the 3D view may "
                      "not render (restart the kernel)", stacklevel=2)
    import nglview

    return nglview


def field_arrow(atoms, field_z: float):
    """Arrow for Fz (V/Å): start and end points (Å) above the cell centre, and a colour."""
    centre = atoms.cell.array[:2, :2].sum(axis=0) / 2
    z0 = atoms.positions[:, 2].max() + 2.0
    start = np.array([centre[0], centre[1], z0])
    end = start + [0.0, 0.0, FIELD_ARROW_SCALE * field_z]
    colour = [0.85, 0.1, 0.1] if field_z >= 0 else [0.1, 0.2, 0.85]
    return start, end, colour


def interface_view(atoms, field_z: float | None = None):
    """An nglview widget of ``atoms`` with the cell and the field arrow drawn."""
    nglview = import_nglview()
    if field_z is None:
        field_z = float(np.asarray(atoms.info.get("field", [0, 0, 0]), float).reshape(-1)[-1])
    view = nglview.show_ase(atoms)
    view.add_unitcell()
    view.add_ball_and_stick()
    if abs(field_z) > 1e-12:
        start, end, colour = field_arrow(atoms, field_z)
        view.shape.add_arrow(start.tolist(), end.tolist(), colour, 0.5, f"Fz = {field_z:+.2f} V/Å")
    view.camera = "orthographic"
    view.control.spin([1, 0, 0], -np.pi / 2)  # side-on: the surface normal points up
    view.layout.width, view.layout.height = "520px", "420px"
    return view
