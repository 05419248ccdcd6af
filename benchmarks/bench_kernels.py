"""Kernels against their anchors, one thread each, timed in the same run.

    python benchmarks/bench_kernels.py          # 1e3, 1e4, 1e5 atoms; writes RESULTS.md
    MLPEC_QUICK=1 python benchmarks/bench_kernels.py   # 1e3 atoms only, prints only

Neighbor lists: vesin, matscipy, ASE. Descriptors: TorchANI AEV (forward + backward),
dscribe ACSF. g(r): freud, MDAnalysis InterRDF. Ratios are ours / anchor (medians);
absolute times on shared machines are noise, ratios are not.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TORCHANI_NO_WARN_EXTENSIONS", "1")
import numba  # noqa: E402
import numpy as np  # noqa: E402
from ase.build import fcc111  # noqa: E402

from mlpec_lab.kernels.histograms import pair_histogram  # noqa: E402
from mlpec_lab.kernels.neighbor_list import neighbor_list  # noqa: E402
from mlpec_lab.kernels.symmetry_functions import descriptor_forces, symmetry_functions  # noqa: E402
from mlpec_lab.kernels.symmetry_spec import default_spec  # noqa: E402

QUICK = os.environ.get("MLPEC_QUICK") == "1"
SIZES = [1000] if QUICK else [1000, 10000, 100000]
CUTOFF = 6.0
numba.set_num_threads(1)


def water_box(n_atoms, seed=0):
    """Water at 1 g/cm³ on a jittered grid, random orientations: positions, cell, symbols."""
    rng = np.random.default_rng(seed)
    n_mol = n_atoms // 3
    length = (n_mol / 0.0334) ** (1 / 3)
    grid = int(np.ceil(n_mol ** (1 / 3)))
    sites = np.array(np.unravel_index(np.arange(n_mol), (grid,) * 3)).T
    oxygen = (sites + 0.5) * length / grid + rng.normal(0, 0.1, (n_mol, 3))
    q, _ = np.linalg.qr(rng.normal(size=(n_mol, 3, 3)))
    h = np.array([[0.757, 0.586, 0.0], [-0.757, 0.586, 0.0]])
    hydrogens = oxygen[:, None] + np.einsum("hk,mkl->mhl", h, q)
    positions = np.concatenate([oxygen[:, None], hydrogens], axis=1).reshape(-1, 3)
    return positions, np.eye(3) * length, ["O", "H", "H"] * n_mol


def pt_water_slab(n_atoms, seed=0):
    """Pt(111), 4 layers, under ~25 Å of water; periodic in x, y only."""
    side = max(2, round(np.sqrt(n_atoms / 3.1 / 6.65)))
    pt = fcc111("Pt", size=(side, side, 4), a=3.92)  # triclinic (60°) cell
    area = np.linalg.det(pt.cell[:2, :2])
    n_water = max(3, (n_atoms - len(pt)) // 3 * 3)
    depth = n_water / 3 / 0.0334 / area
    rng = np.random.default_rng(seed)
    frac = rng.uniform(0, 1, (n_water // 3, 2))
    oxygen = np.column_stack([frac @ pt.cell.array[:2, :2], pt.positions[:, 2].max() + 2.5
                              + rng.uniform(0, depth, n_water // 3)])
    h = oxygen[:, None] + np.array([[0.757, 0.586, 0.0], [-0.757, 0.586, 0.0]])
    water = np.concatenate([oxygen[:, None], h], axis=1).reshape(-1, 3)
    cell = pt.cell.array.copy()
    cell[2, 2] = water[:, 2].max() + 10.0
    return (np.concatenate([pt.positions, water]), cell,
            list(pt.get_chemical_symbols()) + ["O", "H", "H"] * (n_water // 3))


def median_time(function, repeats):
    function()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def repeats_for(n):
    return 3 if QUICK or n >= 10000 else 7


def anchor(name, build):
    """Timing function of an anchor, or the reason it is missing."""
    try:
        return build()
    except ImportError:
        return f"{name}: not installed"


def neighbor_list_rows():
    rows = []
    for system, make in [("water box", water_box), ("Pt(111)/water slab", pt_water_slab)]:
        for n in SIZES:
            positions, cell, _ = make(n)
            pbc = np.array([True, True, system == "water box"])
            reps = repeats_for(n)
            ours = median_time(lambda: neighbor_list(positions, cell, pbc, CUTOFF, full_list=False,
                                                     backend="cpu"), reps)
            row = {"system": system, "atoms": len(positions), "ours_ms": 1e3 * ours}

            def vesin_fn():
                from vesin import NeighborList
                calc = NeighborList(cutoff=CUTOFF, full_list=False)
                return lambda: calc.compute(positions, cell, pbc, "ijSdD")

            def matscipy_fn():
                from matscipy.neighbours import neighbour_list
                return lambda: neighbour_list("ijSdD", positions=positions, cell=cell, pbc=pbc,
                                              cutoff=CUTOFF)

            def ase_fn():
                from ase.neighborlist import primitive_neighbor_list
                return lambda: primitive_neighbor_list("ijSdD", pbc, cell, positions, CUTOFF,
                                                       self_interaction=False)

            fns = {"vesin": anchor("vesin", vesin_fn), "matscipy": anchor("matscipy", matscipy_fn)}
            if n <= 10000:  # ASE at 1e5 atoms takes minutes and GBs
                fns["ASE"] = anchor("ASE", ase_fn)
            for name, fn in fns.items():
                row[name] = fn if isinstance(fn, str) else ours / median_time(fn, reps)
            if not isinstance(fns["vesin"], str):
                pairs = len(neighbor_list(positions, cell, pbc, CUTOFF, full_list=False).i)
                row["same pairs as vesin"] = pairs == len(fns["vesin"]()[0])
            rows.append(row)
            print(row, flush=True)
    return rows


def peak_rss_mb():
    """Peak resident memory (MB) of this process image: VmHWM, which execve resets.

    Not ``ru_maxrss``: Linux carries that over fork + exec from the parent, so a child
    of this benchmark reported the parent's peak (2.9 GB in the first run), not its own.
    """
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def neighbor_list_peak_memory():
    """Fresh process building the 1e5-atom half list: pairs, MB before (imports,
    positions), MB peak, MB of the returned arrays."""
    code = ("import numba; numba.set_num_threads(1);"
            "from benchmarks.bench_kernels import water_box, peak_rss_mb;"
            "from mlpec_lab.kernels.neighbor_list import neighbor_list;"
            "p, c, _ = water_box(100000); base = peak_rss_mb();"
            "nl = neighbor_list(p, c, True, 6.0, full_list=False);"
            "print(len(nl.i), base, peak_rss_mb(), sum(a.nbytes for a in nl) / 2**20)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1], check=True).stdout.split()
    return int(out[0]), *map(float, out[1:])


def descriptor_rows():
    import torch
    torch.set_num_threads(1)
    spec = default_spec(n_odd=0)  # matched to TorchANI/dscribe, which have no odd functions
    rows = []
    for n in [s for s in SIZES if s <= 10000]:
        positions, cell, symbols = water_box(n)
        reps = repeats_for(n)
        n = len(positions)
        weights = np.random.default_rng(0).normal(size=(n, 160))

        def ours_fn():
            result = symmetry_functions(positions, cell, True, symbols, spec, backend="cpu")
            return descriptor_forces(weights, result)

        ours = median_time(ours_fn, reps) / n
        ours_forward = median_time(lambda: symmetry_functions(positions, cell, True, symbols,
                                                              spec, backend="cpu"), reps) / n
        row = {"atoms": n, "ours_us_per_atom": 1e6 * ours}

        def torchani_fn():
            from torchani.aev import AEVComputer
            aev = AEVComputer.from_constants(
                radial_cutoff=6.0, angular_cutoff=4.0, radial_eta=spec["radial_etas"][0],
                radial_shifts=spec["radial_shifts"], angular_eta=0.3, angular_zeta=4.0,
                angular_shifts=[1.0, 2.5], sections=np.linspace(0, np.pi, 4).tolist(),
                num_species=5, neighborlist="cell_list").double()
            elem = torch.tensor([[spec["species"].index(s) for s in symbols]])
            coords = torch.tensor(positions[None])
            box, pbc = torch.tensor(cell), torch.tensor([True, True, True])
            grad = torch.tensor(np.random.default_rng(0).normal(size=(1, n, 160)))

            def run():
                c = coords.clone().requires_grad_(True)
                aev(elem, c, box, pbc).backward(grad)
                return c.grad
            return run

        def dscribe_fn():
            from ase import Atoms
            from dscribe.descriptors import ACSF
            acsf = ACSF(r_cut=6.0, species=spec["species"], periodic=True,
                        g2_params=list(zip(spec["radial_etas"], spec["radial_shifts"])),
                        g5_params=list(zip(spec["angular_etas"], spec["angular_zetas"],
                                           spec["angular_lambdas"])))
            atoms = Atoms(symbols, positions, cell=cell, pbc=True)
            return lambda: acsf.create(atoms)

        for name, fn, mine in [("TorchANI AEV fwd+bwd", anchor("torchani", torchani_fn), ours),
                               ("dscribe ACSF fwd", anchor("dscribe", dscribe_fn), ours_forward)]:
            row[name] = fn if isinstance(fn, str) else mine / (median_time(fn, reps) / n)
        rows.append(row)
        print(row, flush=True)
    return rows


EDGE_TOLERANCE = 1e-5  # Å; float32 coordinates of a ~50 Å box are good to ~2e-6 Å


def float64_pair_counts(positions, length, r_max, n_bins):
    """Ground truth: ordered-pair counts per bin from float64 minimum-image distances
    (cubic box, ``length > 2 r_max``), pairs by scipy's KD-tree, bins by np.histogram;
    and the interior bin edges (indices) closer than EDGE_TOLERANCE to each pair's distance."""
    from scipy.spatial import cKDTree
    tree = cKDTree(positions % length, boxsize=length)
    i, j = tree.query_pairs(r_max + 1e-6, output_type="ndarray").T
    d = positions[j] - positions[i]
    d = np.linalg.norm(d - length * np.round(d / length), axis=1)
    d = d[d < r_max]
    edges = np.linspace(0.0, r_max, n_bins + 1)
    nearest = np.clip(np.rint(d / edges[1]).astype(int), 1, n_bins - 1)
    return 2 * np.histogram(d, bins=edges)[0], nearest[np.abs(d - edges[nearest]) < EDGE_TOLERANCE]


def rdf_rows():
    """Timings, and each histogram against the float64 ground truth: pairs put in another
    bin (unordered), and whether that is explained by rounding: no more of them than
    near-edge pairs, each changed bin bordering an edge with such a pair."""
    rows = []
    for n in [s for s in SIZES if s <= 10000]:
        positions, cell, symbols = water_box(n)
        oxygen = positions[np.array(symbols) == "O"]
        types = np.zeros(len(oxygen), np.int64)
        reps, n_bins = repeats_for(n), 120
        length = cell[0, 0]
        truth, near_edges = float64_pair_counts(oxygen, length, CUTOFF, n_bins)
        truth32, _ = float64_pair_counts(oxygen.astype(np.float32).astype(np.float64), length,
                                         CUTOFF, n_bins)
        ours_counts = pair_histogram(oxygen, cell, True, types, CUTOFF, n_bins, backend="cpu")[0, 0]
        ours = median_time(lambda: pair_histogram(oxygen, cell, True, types, CUTOFF, n_bins,
                                                  backend="cpu"), reps)
        row = {"O atoms": len(oxygen), "ours_ms": 1e3 * ours,
               "ours = float64": bool(np.array_equal(ours_counts, truth)),
               f"pairs < {EDGE_TOLERANCE:g} Å from an edge": len(near_edges)}

        def freud_fn():
            import freud
            freud.parallel.set_num_threads(1)
            rdf = freud.density.RDF(bins=n_bins, r_max=CUTOFF)
            box = freud.box.Box.from_matrix(cell.T)
            points = oxygen - cell.diagonal() / 2

            def run():
                rdf.compute((box, points), reset=True)
                return rdf.bin_counts
            return run

        def mdanalysis_fn():
            import MDAnalysis as mda
            from MDAnalysis.analysis.rdf import InterRDF
            u = mda.Universe.empty(len(oxygen), trajectory=True)
            u.atoms.positions = oxygen  # stored as float32
            u.dimensions = [*cell.diagonal(), 90, 90, 90]

            def run():
                rdf = InterRDF(u.atoms, u.atoms, nbins=n_bins, range=(0.0, CUTOFF),
                               exclusion_block=(1, 1)).run()
                return rdf.results.count
            return run

        for name, build in [("freud", freud_fn), ("MDAnalysis", mdanalysis_fn)]:
            fn = anchor(name, build)
            if isinstance(fn, str):
                row[name] = fn
                continue
            row[name] = ours / median_time(fn, reps)
            diff = np.asarray(fn()).astype(np.int64) - truth
            moved = np.nonzero(diff)[0]
            row[f"{name} pairs moved"] = int(np.abs(diff).sum()) // 4
            row[f"{name} moves at edges"] = bool(
                np.abs(diff).sum() // 4 <= len(near_edges)
                and all(b in near_edges or b + 1 in near_edges for b in moved))
            if name == "MDAnalysis":
                row["MDAnalysis = float64 of float32 coords"] = bool(np.array_equal(fn(), truth32))
        rows.append(row)
        print(row, flush=True)
    return rows


def table(rows):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main():
    nl, desc, rdf = neighbor_list_rows(), descriptor_rows(), rdf_rows()
    section = [
        "## Kernels", "",
        f"`python benchmarks/bench_kernels.py`, one thread, medians; {time.strftime('%Y-%m-%d')}.",
        "Anchor columns are ratios ours / anchor time (< 1: ours faster).", "",
        f"### Neighbor list, half list, cutoff {CUTOFF} Å (i, j, shifts, d, vectors)", "",
        table(nl), "",
    ]
    if not QUICK:
        pairs, before, peak, arrays = neighbor_list_peak_memory()
        section += [f"Peak memory (VmHWM) of a fresh process building the 1e5-atom water half "
                    f"list ({pairs} pairs, {arrays:.0f} MB of returned arrays): {peak:.0f} MB, "
                    f"of which {before:.0f} MB before the call (imports, positions). The "
                    "2.9 GB of the first run was ru_maxrss, which Linux carries over fork + "
                    "exec: it was this benchmark's own peak, inherited by the child. Measured "
                    "with VmHWM, the old grow-by-doubling serial kernel also peaked only "
                    "~270 MB above its baseline (its oversized buffers were never touched).", ""]
    section += [
        "### Symmetry functions + force contraction vs TorchANI AEV forward + backward",
        "(matched: rc_radial 6 Å, rc_angular 4 Å, 160 features, 5 species; dscribe has "
        "one cutoff for both, 6 Å, and is timed forward only against our forward)", "",
        table(desc), "",
        f"### Partial g(r) pair counts, O-O in water, {CUTOFF} Å, 120 bins, per frame", "",
        "Ground truth: float64 minimum-image distances (scipy KD-tree pairs, np.histogram "
        "bins). 'pairs moved': unordered pairs an anchor puts in another bin than the "
        "ground truth; 'moves at edges': all of them explained by pairs closer than "
        f"{EDGE_TOLERANCE:g} Å to a bin edge.", "",
        table(rdf), "",
        "At 3333 O (seeded box, so reproducible) freud moves 2 pairs: O835-O1046, "
        "5.4999996534 Å in float64, is 5.5000004768 Å in freud's float32 (bin 109 -> 110), "
        "and O1440-O1441, 3.1500004873 Å, is 3.1499996185 Å (bin 63 -> 62; freud's edges are "
        "float32 too, 3.1500000954 Å). MDAnalysis moves the first of them: its Universe stores "
        "coordinates as float32 (rounding them changes distances in this 46 Å box by up to "
        "5.3e-6 Å), and its counts equal the float64 ground truth of the float32-rounded "
        "coordinates exactly. Ours equals the float64 ground truth; at 333 O no pair lies "
        "close enough to an edge, so all three agreed there.", "",
    ]
    text = "\n".join(section)
    print(text)
    if not QUICK:
        path = Path(__file__).with_name("RESULTS.md")
        old = path.read_text() if path.exists() else "# Benchmarks\n\n"
        old = re.sub(r"## Kernels\n.*?(?=\n## |\Z)", "", old, flags=re.S).rstrip() + "\n\n"
        path.write_text(old + text)


if __name__ == "__main__":
    main()
