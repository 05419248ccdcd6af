"""The tour's ready interface (data/structures/): a valid, equilibrated member of the family."""
import hashlib
import json
from pathlib import Path

import numpy as np
from ase.constraints import FixAtoms
from ase.io import read

from mlpec_lab.paths import READY_INTERFACE, SHIPPED_MODEL
from mlpec_lab.systems import validate


def test_ready_interface_is_a_valid_equilibrated_interface_with_its_provenance():
    atoms = read(READY_INTERFACE)
    validate(atoms)
    symbols = atoms.get_chemical_symbols()
    assert [symbols.count(e) for e in ("Pt", "O", "H", "Na", "Cl")] == [27, 16, 32, 1, 1]
    fixed = np.concatenate([c.index for c in atoms.constraints if isinstance(c, FixAtoms)])
    assert sorted(fixed) == [i for i, s in enumerate(symbols) if s == "Pt"]  # the rigid electrode
    assert np.allclose(atoms.info["field"], 0.0)
    assert 200 < atoms.get_temperature() < 500  # velocities of the 330 K run are kept
    provenance = json.loads(atoms.info["provenance"])
    script = provenance["command"].split()[1]
    assert (Path(READY_INTERFACE).parents[2] / script).is_file()
    # made with the committee that ships (rerun the script when it changes)
    assert provenance["model_sha256"] == hashlib.sha256(Path(SHIPPED_MODEL).read_bytes()).hexdigest()[:16]
