"""Model selection on training-distribution protocols only (held-out cases are never
loaded): train on part of the training design, score on the rest (the ``_1`` pulse and
drive seeds, the ``cold5`` pulse trains and all partial CC discharges).

    python -m mlpec_lab.battery.validate [VARIANT ...]   (EPOCHS=30; DRIVE=1 to include
    drive cycles, which model v2's choice left out while their pairs were rebuilding)

Used to choose model v2 (new features + linear skip, whole-case bootstrap) over the v1
feature set; printed numbers are the validation RMSE (mV) per case. The recorded runs
(30 epochs) had no revision-2 drive cycles yet: v1 features vs new features + skip on
the 40 pairs then cached (validation mean 12.8 vs 4.7 mV), whole-case bootstrap on 65
(mean 3.4 mV, spread widening to 5 mV on the worst case)."""
import json, sys, time
import numpy as np, torch
from mlpec_lab.battery import dataset, physics, features
from mlpec_lab.battery.correction import train_committee
from mlpec_lab.battery.train import training_arrays, evaluate


def main():
    torch.set_num_threads(1)
    cap = physics.nominal_capacity_Ah()
    cases = dataset.training_cases()
    cases = [c for c in cases if c["kind"] != "drive_cycle" or __import__("os").environ.get("DRIVE")]
    pairs = dataset.load_cases(cases, "out/battery/cache")
    print("loaded", len(pairs), "of", len(cases))
    VAL = lambda n: n.endswith("_1") or n.endswith("cold5") or n.startswith("cc_dis_part")
    tr = {k: v for k, v in pairs.items() if not VAL(k)}
    va = {k: v for k, v in pairs.items() if VAL(k)}
    OLD = ["c_rate", "c_rate_ema_10s", "c_rate_ema_60s", "c_rate_ema_300s", "c_rate_ema_1200s",
           "voltage_spme", "sto_n_avg", "sto_p_avg", "sto_n_surf", "sto_p_surf", "c_e_n", "c_e_p",
           "log_c_e_n", "log_c_e_p", "inv_temperature_cell", "inv_temperature_ambient"]
    class Sub:
        def __init__(s, m, cols): s.m, s.cols = m, cols
        def predict(s, x): return s.m.predict(x[:, s.cols])
    variants = {
     "old_feats": dict(cols=[features.FEATURE_NAMES.index(f) for f in OLD]),
     "new_feats": dict(),
     "new_skip": dict(linear_skip=True),
     "new_skip_1500": dict(linear_skip=True, max_per_case=1500),
     "new_skip_1500_grp": dict(linear_skip=True, max_per_case=1500, grp=True),
     "new_1500_grp": dict(max_per_case=1500, grp=True),
     "new_1500": dict(max_per_case=1500),
    }
    chosen = sys.argv[1:] or list(variants)
    epochs = int(__import__("os").environ.get("EPOCHS", 60))
    for name in chosen:
        v = dict(variants[name]); cols = v.pop("cols", list(range(len(features.FEATURE_NAMES))))
        mpc = v.pop("max_per_case", 600)
        x, y, g = training_arrays(tr, cap, max_per_case=mpc, with_groups=True)
        if v.pop("grp", False): v["groups"] = g
        t0 = time.time()
        m = train_committee(x[:, cols], y, seed=0, epochs=epochs, batch=1024, progress=False, **v)
        r = evaluate(va, Sub(m, cols), cap)
        s = [r[k]["spme_rmse_mV"] for k in sorted(r)]; h = [r[k]["hybrid_rmse_mV"] for k in sorted(r)]
        print(f"== {name}: train {time.time()-t0:.0f}s n={len(y)}  val mean SPMe {np.mean(s):.2f} hybrid {np.mean(h):.2f} worst hybrid {np.max(h):.2f}")
        for k in sorted(r):
            print(f"   {k:22s} {r[k]['spme_rmse_mV']:8.2f} {r[k]['hybrid_rmse_mV']:8.2f} max {r[k]['hybrid_max_abs_mV']:7.1f} std {r[k]['mean_committee_std_mV']:.2f}")


if __name__ == "__main__":
    main()
