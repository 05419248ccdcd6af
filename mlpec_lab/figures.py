"""Matplotlib figures made from results (xarray objects, Atoms); no science here."""
from __future__ import annotations

import matplotlib.pyplot as plt
from ase.visualize.plot import plot_atoms


def interface_side_view(atoms, ax=None):
    """Side view (x–z) of an interface."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 5))
    plot_atoms(atoms, ax, rotation="-90x", radii=0.5)
    ax.set_xlabel("x (Å)")
    ax.set_ylabel("z (Å)")
    ax.set_title(atoms.get_chemical_formula())
    return ax


def field_scan_plot(ds, axes=None):
    """E(Fz) relative to Fz = 0 (or the first point) and μz(Fz) from a field-scan Dataset."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 3.2), constrained_layout=True)
    ref = ds.energy.sel(field=0.0) if 0.0 in ds.field.values else ds.energy[0]
    (ds.energy - ref).plot(ax=axes[0], marker="o")
    axes[0].set_ylabel("E(F) − E(0) (eV)")
    ds.dipole_z.plot(ax=axes[1], marker="o")
    axes[1].set_ylabel("μz (e·Å)")
    for ax in axes:
        ax.set_xlabel("Fz (V/Å)")
        ax.set_title("")
    return axes


def md_traces(history):
    """Fz, potential energy and committee max force deviation against MD time."""
    import numpy as np
    from matplotlib.figure import Figure

    t = np.array([h["time"] for h in history])
    fig = Figure(figsize=(5.6, 5.0), constrained_layout=True)
    axes = fig.subplots(3, 1, sharex=True)
    axes[0].step(t, [h["field"] for h in history], where="post", color="tab:red")
    axes[0].set_ylabel("Fz (V/Å)")
    axes[0].set_ylim(-0.55, 0.55)
    axes[1].plot(t, [h["energy"] for h in history], color="tab:blue")
    axes[1].set_ylabel("E_pot (eV)")
    axes[2].plot(t, [h["max_force_deviation"] for h in history], color="tab:purple")
    axes[2].set_ylabel("max σ_F (eV/Å)")
    axes[2].set_xlabel("time (fs)")
    return fig
