"""Current protocols (A, discharge positive, as PyBaMM): pure functions of their
arguments and a seed. A protocol is a :class:`Profile`: time (s) and current (A)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROTOCOL_KINDS = ("cc_discharge", "cc_charge", "pulse_rest", "drive_cycle")


@dataclass(frozen=True)
class Profile:
    """time_s: (n,) s strictly increasing from 0; current_A: (n,) A, linear between."""
    time_s: np.ndarray
    current_A: np.ndarray
    name: str = "profile"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        t = np.asarray(self.time_s, float)
        i = np.asarray(self.current_A, float)
        if t.ndim != 1 or t.shape != i.shape or t.size < 2:
            raise ValueError("a profile needs matching 1-D time and current with >= 2 samples")
        if not np.all(np.diff(t) > 0):
            raise ValueError("profile time must be strictly increasing")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(i))):
            raise ValueError("profile time and current must be finite")
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "current_A", i)

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0])


def _steps(levels_A, durations_s, dt_s: float, name: str, meta=None) -> Profile:
    """Piecewise-constant current sampled every dt_s; each step edge is a 0.1 s ramp."""
    t, i, t0 = [0.0], [float(levels_A[0])], 0.0
    for level, dur in zip(levels_A, durations_s):
        n = max(1, int(round(dur / dt_s)))
        edge = t0 + 0.1 if t0 > 0 else None
        if edge is not None:
            t.append(edge)
            i.append(float(level))
        grid = t0 + np.linspace(dur / n, dur, n)
        t.extend(grid.tolist())
        i.extend([float(level)] * n)
        t0 += dur
    return Profile(np.array(t), np.array(i), name, dict(meta or {}))


def constant_current(c_rate: float, duration_s: float, capacity_Ah: float,
                     dt_s: float = 10.0, rest_after_s: float = 0.0) -> Profile:
    """Constant current at c_rate (1/h, > 0 discharge, < 0 charge), then an optional rest."""
    levels, durs = [c_rate * capacity_Ah], [duration_s]
    if rest_after_s > 0:
        levels.append(0.0)
        durs.append(rest_after_s)
    kind = "cc_discharge" if c_rate > 0 else "cc_charge"
    return _steps(levels, durs, dt_s, f"{kind}_{abs(c_rate):.2f}C",
                  {"kind": kind, "c_rate": float(c_rate)})


def pulse_rest(seed: int, capacity_Ah: float, n_pulses: int = 12, max_c_rate: float = 2.0,
               max_charge_c_rate: float = 1.0, dt_s: float = 1.0) -> Profile:
    """Pulse train with rests: random discharge/charge pulses (5-120 s) separated by
    rests (20-300 s); amplitudes uniform up to the given C-rates; seeded."""
    rng = np.random.default_rng(seed)
    levels, durs = [0.0], [10.0]
    for _ in range(n_pulses):
        if rng.random() < 0.65:
            c = rng.uniform(0.2, max_c_rate)
        else:
            c = -rng.uniform(0.2, max_charge_c_rate)
        levels += [c * capacity_Ah, 0.0]
        durs += [float(rng.uniform(5, 120)), float(rng.uniform(20, 300))]
    return _steps(levels, durs, dt_s, f"pulse_rest_seed{seed}",
                  {"kind": "pulse_rest", "seed": int(seed), "c_rate": float(max_c_rate)})


def vehicle_speed(seed: int, duration_s: float, dt_s: float = 1.0) -> np.ndarray:
    """Synthetic speed trace (m/s) on a dt grid: stops, accelerations, cruising with
    Ornstein-Uhlenbeck fluctuations and decelerations; ~70 % urban, 30 % highway legs."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s / dt_s)) + 1
    v = np.zeros(n)
    k, speed = 0, 0.0
    while k < n - 1:
        if speed < 0.1:                                   # stop
            for _ in range(int(rng.uniform(5, 40) / dt_s)):
                if k >= n - 1:
                    break
                k += 1
                v[k] = 0.0
        highway = rng.random() < 0.3
        target = rng.uniform(22, 33) if highway else rng.uniform(8, 17)
        accel = rng.uniform(0.6, 2.2) * (0.7 if highway else 1.0)
        while speed < target and k < n - 1:               # accelerate
            speed = min(target, speed + accel * dt_s * rng.uniform(0.7, 1.1))
            k += 1
            v[k] = speed
        mean, dev = target, 0.0
        for _ in range(int(rng.uniform(20, 180) / dt_s)):  # cruise
            if k >= n - 1:
                break
            dev += -dev * dt_s / 20.0 + 0.35 * np.sqrt(dt_s) * rng.normal()
            speed = max(0.0, mean + dev)
            k += 1
            v[k] = speed
        stop = rng.random() < 0.7
        end = 0.0 if stop else speed * rng.uniform(0.4, 0.8)
        decel = rng.uniform(0.8, 2.8)
        while speed > end and k < n - 1:                  # brake (regenerative)
            speed = max(end, speed - decel * dt_s * rng.uniform(0.8, 1.1))
            k += 1
            v[k] = speed
    return v


def drive_cycle(seed: int, capacity_Ah: float, duration_s: float = 1800.0,
                peak_c_rate: float = 2.0, regen_c_rate: float = 1.0,
                dt_s: float = 1.0) -> Profile:
    """Synthetic drive cycle (seeded): speed trace -> road-load power of a 1500 kg car
    (drag, rolling, inertia, 90 % drivetrain, 600 W auxiliaries, 60 % regen capture)
    -> cell current scaled so the largest discharge is ``peak_c_rate``; regenerative
    charging capped at ``regen_c_rate``."""
    v = vehicle_speed(seed, duration_s, dt_s)
    a = np.gradient(v, dt_s)
    mass, cda, rho, crr, g = 1500.0, 0.62, 1.2, 0.010, 9.81
    wheel = mass * a * v + 0.5 * rho * cda * v**3 + crr * mass * g * v * (v > 0)
    power = np.where(wheel > 0, wheel / 0.9, wheel * 0.9 * 0.6) + 600.0
    current = power / power.max() * peak_c_rate * capacity_Ah
    current = np.maximum(current, -regen_c_rate * capacity_Ah)
    t = np.arange(v.size) * dt_s
    return Profile(t, current, f"drive_cycle_seed{seed}",
                   {"kind": "drive_cycle", "seed": int(seed), "c_rate": float(peak_c_rate)})


def standard_protocol(kind: str, c_rate: float, capacity_Ah: float, initial_soc: float = 1.0,
                      seed: int = 0, duration_s: float | None = None) -> Profile:
    """One protocol per panel choice: ``kind`` in PROTOCOL_KINDS at intensity c_rate.

    cc_discharge runs until ~95 % of the charge above SOC 0 is used (or duration_s,
    if shorter; then 10 min rest); cc_charge fills to SOC ~0.9; pulse_rest and drive_cycle use c_rate as peak."""
    if kind == "cc_discharge":
        dur = min(duration_s or np.inf, 0.95 * initial_soc / c_rate * 3600)
        return constant_current(c_rate, dur, capacity_Ah, dt_s=max(1.0, dur / 1500),
                                rest_after_s=600)
    if kind == "cc_charge":
        dur = duration_s or max(60.0 / 3600, 0.9 - initial_soc) / c_rate * 3600
        return constant_current(-c_rate, dur, capacity_Ah, dt_s=max(1.0, dur / 1500),
                                rest_after_s=600)
    if kind == "pulse_rest":
        n = 12 if duration_s is None else max(1, int(duration_s // 150))
        return pulse_rest(seed, capacity_Ah, n_pulses=n, max_c_rate=c_rate,
                          max_charge_c_rate=min(1.0, c_rate))
    if kind == "drive_cycle":
        return drive_cycle(seed, capacity_Ah, duration_s or 1800.0, peak_c_rate=c_rate,
                           regen_c_rate=min(1.0, c_rate))
    raise ValueError(f"unknown protocol {kind!r}: use one of {PROTOCOL_KINDS}")


HEADER = "time_s,current_A"


def read_profile_csv(path) -> Profile:
    """Read a ``time_s,current_A`` CSV (s, A, discharge positive); errors name the line."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if not lines or lines[0].strip().replace(" ", "") != HEADER:
        raise ValueError(f"{path}: line 1: expected header '{HEADER}', got "
                         f"{lines[0].strip()!r}" if lines else f"{path}: file is empty")
    times, currents = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(",")
        if len(parts) != 2:
            raise ValueError(f"{path}: line {number}: expected 2 fields (time_s,current_A), "
                             f"got {len(parts)}: {line.strip()!r}")
        try:
            t, i = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"{path}: line {number}: not a number: {line.strip()!r}") from None
        if not (np.isfinite(t) and np.isfinite(i)):
            raise ValueError(f"{path}: line {number}: non-finite value: {line.strip()!r}")
        if times and t <= times[-1]:
            raise ValueError(f"{path}: line {number}: time {t} s is not after the previous "
                             f"time {times[-1]} s")
        times.append(t)
        currents.append(i)
    if len(times) < 2:
        raise ValueError(f"{path}: needs at least 2 data lines, found {len(times)}")
    return Profile(np.array(times), np.array(currents), path.stem, {"kind": "file"})


def write_profile_csv(profile: Profile, path, comment: str | None = None) -> None:
    """Write a profile as ``time_s,current_A`` CSV; ``comment`` lines (``#``) follow the header."""
    rows = [HEADER]
    if comment:
        rows += [f"# {line}" for line in comment.splitlines()]
    rows += [f"{t:.3f},{i:.6f}" for t, i in zip(profile.time_s, profile.current_A)]
    Path(path).write_text("\n".join(rows) + "\n")
