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


# --- double-layer structure and field response (issue 5) ------------------------------
def _figure(nrows=1, ncols=1, figsize=(5.0, 3.2), **kw):
    """A pyplot-free Figure (safe in panel threads) and its axes as a 2-D array."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, constrained_layout=True)
    return fig, fig.subplots(nrows, ncols, squeeze=False, **kw)


def _field_items(ds):
    """(Fz or None, the result at that Fz) for each field of a result (one item if no field dim)."""
    if "field" in ds.dims:
        return [(float(f), ds.sel(field=f)) for f in ds.field.values]
    return [(None, ds)]


def _field_colour(fz, limit=0.5):
    import matplotlib

    if fz is None:
        return "k"
    return matplotlib.colormaps["coolwarm"](0.5 + 0.5 * max(-1.0, min(1.0, fz / limit)))


def _field_label(fz):
    return "" if fz is None else f"Fz = {fz:+.2f} V/Å"


def density_profiles_plot(profiles, species=None, z_max=None):
    """ρ_α(z) from :func:`mlpec_lab.analysis.density_profiles` (or stacked along ``field``
    by ``analyse_scan``): one panel per species, one line per field; a shaded band where
    the result holds ``number_density_sem``."""
    species = list(profiles.species.values) if species is None else list(species)
    fig, axes = _figure(len(species), 1, figsize=(5.2, 1.6 * len(species) + 0.6), sharex=True)
    for ax, s in zip(axes[:, 0], species):
        for fz, one in _field_items(profiles):
            rho = one.number_density.sel(species=s)
            ax.plot(one.z, rho, color=_field_colour(fz), label=_field_label(fz))
            if "number_density_sem" in one:
                sem = one.number_density_sem.sel(species=s)
                ax.fill_between(one.z, rho - sem, rho + sem, color=_field_colour(fz), alpha=0.3)
        ax.set_ylabel(f"ρ_{s} (1/Å³)")
    axes[-1, 0].set_xlabel("z above the surface (Å)")
    axes[-1, 0].set_xlim(0.0, z_max if z_max is not None else float(profiles.z.max()))
    if "field" in profiles.dims:
        axes[0, 0].legend(fontsize=7)
    return fig


def orientation_profile_plot(orientation, kind="dipole", z_max=None):
    """⟨cos θ⟩(z) of the water dipoles (``kind="dipole"``) or OH bonds (``"oh"``) from
    :func:`mlpec_lab.analysis.water_orientation`, one line per field; error bars where the
    result holds ``mean_cos_<kind>_sem`` (``block_sem``)."""
    fig, axes = _figure()
    ax = axes[0, 0]
    for fz, one in _field_items(orientation):
        mean = one[f"mean_cos_{kind}"]
        ax.plot(one.z, mean, "o-", ms=3, color=_field_colour(fz), label=_field_label(fz))
        if f"mean_cos_{kind}_sem" in one:
            ax.errorbar(one.z, mean, yerr=one[f"mean_cos_{kind}_sem"], fmt="none",
                        ecolor=_field_colour(fz), capsize=2, lw=0.8)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("O height above the surface (Å)")
    ax.set_ylabel(f"⟨cos θ⟩ {'dipole' if kind == 'dipole' else 'OH'} (1)")
    if z_max is not None:
        ax.set_xlim(0.0, z_max)
    if "field" in orientation.dims:
        ax.legend(fontsize=7)
    return fig


def orientation_distribution_plot(orientation, kind="dipole", z_index=0):
    """P(cos θ) of water dipoles (or OH bonds) in one z bin of a
    :func:`~mlpec_lab.analysis.water_orientation` result (default the first), per field;
    ⟨cos θ⟩ in the legend."""
    fig, axes = _figure()
    ax = axes[0, 0]
    for fz, one in _field_items(orientation):
        row = one.isel(z=z_index)
        mean = float(row[f"mean_cos_{kind}"])
        ax.plot(one.cos_theta, row[f"p_{kind}"], "o-", ms=3, color=_field_colour(fz),
                label=f"{_field_label(fz)}  ⟨cos θ⟩ = {mean:+.2f}".strip())
    ax.axhline(0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel(f"cos θ ({'dipole' if kind == 'dipole' else 'OH'} vs +z) (1)")
    ax.set_ylabel("P(cos θ) (1)")
    z = float(orientation.z[z_index])
    ax.set_title(f"O at z ≈ {z:.1f} Å (bin centre); dashed: isotropic", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def rdf_plot(rdf, pair):
    """g(r) of one pair from :func:`mlpec_lab.analysis.radial_distribution`, per field;
    a shaded band where the result holds ``g_sem`` (``block_sem``)."""
    if pair not in rdf.pair.values:
        raise ValueError(f"pair {pair!r} not in the result (it has {', '.join(rdf.pair.values)})")
    fig, axes = _figure()
    ax = axes[0, 0]
    for fz, one in _field_items(rdf):
        g = one.g.sel(pair=pair)
        ax.plot(one.r, g, color=_field_colour(fz), label=_field_label(fz))
        if "g_sem" in one:
            sem = one.g_sem.sel(pair=pair)
            ax.fill_between(one.r, g - sem, g + sem, color=_field_colour(fz), alpha=0.3)
    ax.set_xlabel("r (Å)")
    ax.set_ylabel(f"g_{pair}(r) (1)")
    if "field" in rdf.dims:
        ax.legend(fontsize=7)
    return fig


def potential_profile_plot(electrostatics, z_max=None):
    """φ(z) per field from :func:`mlpec_lab.analysis.interface_electrostatics`, with
    Δφ ± its standard error in the legend and the solution plane marked."""
    fig, axes = _figure(figsize=(5.4, 3.4))
    ax = axes[0, 0]
    for fz, one in _field_items(electrostatics):
        label = (f"{_field_label(fz)}: Δφ = {float(one.potential_drop):+.2f} ± "
                 f"{float(one.potential_drop_sem):.2f} V").lstrip(": ")
        ax.plot(one.z, one.potential, color=_field_colour(fz), label=label)
    ax.axvline(float(electrostatics.attrs.get("z_solution", 0.0)), color="0.6", ls="--", lw=0.8)
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_xlabel("z above the surface (Å)")
    ax.set_ylabel("φ(z) (V)")
    if z_max is not None:
        ax.set_xlim(None, z_max)
    ax.legend(fontsize=7)
    return fig


def interface_structure_figure(profiles, orientation, rdf, pair, species=None, title=""):
    """Three panels for one field: ρ_α(z), water ⟨cos θ⟩(z), and g(r) of ``pair``.
    ``orientation`` may be None (no water): that panel then says so."""
    for name, res in (("profiles", profiles), ("orientation", orientation), ("rdf", rdf)):
        if res is not None and "field" in res.dims:
            raise ValueError(f"{name} has a field dimension: select one field first")
    species = list(profiles.species.values) if species is None else list(species)
    fig, axes = _figure(1, 3, figsize=(11.0, 3.2))
    ax = axes[0, 0]
    for s in species:
        ax.plot(profiles.z, profiles.number_density.sel(species=s), label=s)
    ax.set_xlim(0.0, float(profiles.z.max()))
    ax.set_xlabel("z above the surface (Å)")
    ax.set_ylabel("ρ_α(z) (1/Å³)")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    if orientation is None:
        ax.text(0.5, 0.5, "no water", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.plot(orientation.z, orientation.mean_cos_dipole, "o-", ms=3, label="dipole")
        ax.plot(orientation.z, orientation.mean_cos_oh, "s-", ms=3, label="OH")
        ax.legend(fontsize=7)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("O height above the surface (Å)")
    ax.set_ylabel("⟨cos θ⟩ (1)")
    ax = axes[0, 2]
    ax.plot(rdf.r, rdf.g.sel(pair=pair))
    ax.set_xlabel("r (Å)")
    ax.set_ylabel(f"g_{pair}(r) (1)")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def stark_response_plot(response):
    """E(F) − E(F≈0) with the quadratic fit, and μz(F), per source, from
    :func:`mlpec_lab.analysis.stark_response`; fitted μ and α ± stderr in the legend."""
    import numpy as np

    fig, axes = _figure(1, 2, figsize=(9.0, 3.4))
    colours = {"model": "tab:blue", "reference": "tab:red"}
    for source in response.source.values:
        one = response.sel(source=source)
        fit = one.sel(estimate="fit")
        i0 = int(np.argmin(np.abs(one.field.values)))
        e0 = float(one.energy_fit[i0])
        c = colours.get(str(source), None)
        label = (f"{source}: μ = {float(fit.dipole):+.3f} ± {float(fit.dipole_stderr):.1g} e·Å, "
                 f"α = {float(fit.polarizability):.3f} ± {float(fit.polarizability_stderr):.1g} e·Å²/V")
        axes[0, 0].plot(one.field, one.energy - e0, "o", color=c, label=label)
        axes[0, 0].plot(one.field, one.energy_fit - e0, "-", color=c)
        axes[0, 1].plot(one.field, one.dipole_z, "o-", color=c, label=str(source))
    axes[0, 0].set_ylabel("E(F) − E(F≈0) (eV)")
    axes[0, 1].set_ylabel("μz (e·Å)")
    for ax in axes[0]:
        ax.set_xlabel("Fz (V/Å)")
        ax.legend(fontsize=7)
    fig.suptitle(f"{response.attrs.get('formula', '')}: fit E0 − μF − ½αF² (lines)", fontsize=10)
    return fig


# --- the ML potential against its labels (issue 4) ------------------------------------
ELEMENT_COLOURS = {"H": "tab:gray", "O": "tab:red", "Na": "tab:purple", "Cl": "tab:green",
                   "Pt": "tab:blue"}


def _parity(ax, true, pred, **kw):
    lo, hi = min(true.min(), pred.min()), max(true.max(), pred.max())
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.6)
    ax.scatter(true, pred, s=6, **kw)


def parity_plots(pred):
    """Model vs label: energy per atom (relative to the mean), force components per
    element and μz, from :func:`mlpec_lab.potential.evaluation.predictions`."""
    import numpy as np

    fig, axes = _figure(1, 3, figsize=(11.0, 3.4))
    e_true = (pred.energy / pred.n_atoms).values
    e_pred = (pred.energy_pred / pred.n_atoms).values
    shift = e_true.mean()
    _parity(axes[0, 0], e_true - shift, e_pred - shift, color="tab:blue")
    axes[0, 0].set_xlabel("oracle E/N − mean (eV/atom)")
    axes[0, 0].set_ylabel("model E/N − mean (eV/atom)")
    known = pred.force_known.values.astype(bool)
    for el in np.unique(pred.symbol.values[known]):
        mask = known & (pred.symbol.values == el)
        _parity(axes[0, 1], pred.forces.values[mask].ravel(), pred.forces_pred.values[mask].ravel(),
                color=ELEMENT_COLOURS.get(el), label=el)
    axes[0, 1].legend(fontsize=7, markerscale=2)
    axes[0, 1].set_xlabel("oracle force component (eV/Å)")
    axes[0, 1].set_ylabel("model (eV/Å)")
    _parity(axes[0, 2], pred.dipole_z.values, pred.dipole_z_pred.values, c=pred.field.values,
            cmap="coolwarm", vmin=-0.5, vmax=0.5)
    axes[0, 2].set_xlabel("oracle μz (e·Å)")
    axes[0, 2].set_ylabel("model μz (e·Å)  [colour: Fz]")
    return fig


def uncertainty_plot(pred):
    """Per structure: committee max force deviation against the true max force error."""
    import numpy as np

    from mlpec_lab.potential.evaluation import labelled_force_maxima

    max_dev, max_err, _ = labelled_force_maxima(pred)
    fig, axes = _figure(1, 1, figsize=(4.2, 3.4))
    ax = axes[0, 0]
    names = pred.trajectory.values
    for name in np.unique(names):
        mask = names == name
        ax.scatter(max_dev[mask], max_err[mask], s=12, label=name[:28] or "(unnamed)")
    top = max(max_dev.max(), max_err.max()) * 1.05
    ax.plot([0, top], [0, top], color="k", lw=0.6)
    ax.set_xlabel("max force deviation (eV/Å)")
    ax.set_ylabel("max force error (eV/Å)")
    ax.legend(fontsize=6)
    return fig


def learning_curves_plot(curves):
    """Validation energy, force and μz RMSE per member against epoch (learning curves
    netCDF written next to a model file)."""
    fig, axes = _figure(1, 3, figsize=(11.0, 3.0))
    for ax, name, label in zip(axes[0], ("val_energy_rmse", "val_force_rmse", "val_dipole_rmse"),
                               ("E RMSE (eV/atom)", "F RMSE (eV/Å)", "μz RMSE (e·Å)")):
        for m in curves.member.values:
            one = curves[name].sel(member=m).dropna("epoch")
            ax.plot(one.epoch, one, lw=0.8, label=f"member {m}")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"validation {label}")
    axes[0, 0].legend(fontsize=7)
    return fig


def exploration_plot(frames, picks=(), low=None, high=None):
    """Committee max force deviation σ (``info["max_force_deviation"]``, eV/Å) against MD
    step along exploration runs (one line per ``info["trajectory"]``), the trust window
    [low, high) shaded and the picked frames marked."""
    import numpy as np

    fig, axes = _figure(1, 1, figsize=(6.0, 3.2))
    ax = axes[0, 0]
    runs = {}
    for a in frames:
        runs.setdefault(a.info.get("trajectory", "exploration"), []).append(a)
    for name, run in runs.items():
        ax.plot([a.info["md_step"] for a in run], [a.info["max_force_deviation"] for a in run],
                lw=0.8, label=name)
    if picks:
        ax.scatter([a.info["md_step"] for a in picks], [a.info["max_force_deviation"] for a in picks],
                   color="tab:red", zorder=3, s=18, label=f"picked ({len(picks)})")
    if low is not None and high is not None:
        ax.axhspan(low, high, color="tab:green", alpha=0.12, label="trust window")
    sigma = np.array([a.info["max_force_deviation"] for a in frames], float)
    if len(sigma) and sigma.min() > 0:
        ax.set_yscale("log")
    ax.set_xlabel("MD step")
    ax.set_ylabel("max σ_F (eV/Å)")
    ax.legend(fontsize=7)
    return fig


# --- battery hybrid (issue 8) ---------------------------------------------------------
def battery_voltage_plot(result):
    """Terminal voltage of SPMe, the hybrid (±2σ committee band) and DFN, and the
    residuals to DFN (mV), from :func:`mlpec_lab.battery.predict` with ``with_dfn=True``."""
    fig, axes = _figure(2, 1, figsize=(9.0, 6.0), sharex=True)
    ax1, ax2 = axes[:, 0]
    for name in ("spme", "hybrid", "dfn"):
        ax1.plot(result.time, result[f"voltage_{name}"], label=name, lw=1)
    band = 2 * result.voltage_hybrid_std
    ax1.fill_between(result.time, result.voltage_hybrid - band, result.voltage_hybrid + band, alpha=0.3)
    ax2.plot(result.time, 1e3 * (result.voltage_spme - result.voltage_dfn), label="SPMe − DFN")
    ax2.plot(result.time, 1e3 * (result.voltage_hybrid - result.voltage_dfn), label="hybrid − DFN")
    ax1.set_ylabel("voltage (V)")
    ax2.set_ylabel("residual (mV)")
    ax2.set_xlabel("time (s)")
    ax1.legend()
    ax2.legend()
    return fig
