"""Synthetic sensor families for training and judging the bundled forecasters.

A forecaster that serves "any sensor" is judged on series it has never seen the like of: the
families in HELD_OUT are generators none of whose series is trained on (a sine of a period no
training sine has, a Gaussian random walk, a sawtooth, a quasi-periodic AR(2) cycle); TRAIN are
the generators training draws from, besides the statsmodels series. Every series is put at a
random level and scale, since the models normalise each window by its own mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

#: Training sines never have a period in this band, so the held-out sine of period 17 is new.
HELD_OUT_PERIODS = (14.0, 20.0)


def _period(rng: np.random.Generator, lo: float = 4.0, hi: float = 60.0) -> float:
    while True:
        p = float(rng.uniform(lo, hi))
        if not HELD_OUT_PERIODS[0] <= p <= HELD_OUT_PERIODS[1]:
            return p


def _sine_mix(rng, n):
    t = np.arange(n)
    x = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        x += rng.uniform(0.2, 1.0) * np.sin(2 * np.pi * t / _period(rng) + rng.uniform(0, 2 * np.pi))
    return x + rng.uniform(0.0, 0.3) * x.std() * rng.standard_normal(n)


def _triangle(rng, n):
    p = float(rng.uniform(8, 60))
    phase = (np.arange(n) / p + rng.uniform()) % 1.0
    return 2 * np.abs(2 * phase - 1) + rng.uniform(0, 0.2) * rng.standard_normal(n)


def _square(rng, n):
    p = float(rng.uniform(8, 60))
    phase = (np.arange(n) / p + rng.uniform()) % 1.0
    return np.where(phase < rng.uniform(0.3, 0.7), 1.0, -1.0) + rng.uniform(0, 0.2) * rng.standard_normal(n)


def _trend_season(rng, n):
    t = np.arange(n)
    season = rng.uniform(0.2, 1.0) * np.sin(2 * np.pi * t / _period(rng, 6, 60) + rng.uniform(0, 6.3))
    return rng.uniform(-0.02, 0.02) * t + season + rng.uniform(0, 0.2) * rng.standard_normal(n)


def _charge_reset(rng, n):
    """A capacitor-like exponential ramp towards a level, reset every period (up or down); slow
    charges are nearly linear ramps."""
    p = float(rng.uniform(8, 60))
    phase = (np.arange(n) / p + rng.uniform()) % 1.0
    rate = rng.uniform(0.1, 5)
    x = (1 - np.exp(-phase * rate)) / (1 - np.exp(-rate))
    return rng.choice([-1.0, 1.0]) * x + rng.uniform(0, 0.05) * rng.standard_normal(n)


def _ar1(rng, n):
    phi = rng.uniform(0.3, 0.95)
    e = rng.standard_normal(n)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def _integrated_ar1(rng, n):
    """ARIMA(1,1,0) whose steps are clearly correlated (|phi| >= 0.3: never a plain random walk)."""
    phi = rng.uniform(0.3, 0.8) * rng.choice([-1.0, 1.0])
    e = rng.standard_normal(n)
    d = np.zeros(n)
    for i in range(1, n):
        d[i] = phi * d[i - 1] + e[i]
    return np.cumsum(d)


def _t_walk(rng, n):
    """A walk with heavy-tailed (Student-t, 2.5-6 dof) steps, drifting slightly in half."""
    drift = rng.uniform(-0.1, 0.1) if rng.uniform() < 0.5 else 0.0
    return np.cumsum(rng.standard_t(rng.uniform(2.5, 6), n) + drift)


def _local_level(rng, n):
    """A walk seen through observation noise (the local-level model)."""
    return np.cumsum(rng.standard_normal(n)) + rng.uniform(0.3, 3) * rng.standard_normal(n)


def _level_shifts(rng, n):
    x = np.zeros(n)
    level, i = 0.0, 0
    while i < n:
        run = int(rng.integers(10, 80))
        x[i : i + run] = level
        level += rng.standard_normal() * 3
        i += run
    return x + rng.standard_normal(n)


def _white_noise(rng, n):
    return rng.standard_normal(n)


def _sine17(rng, n):
    t = np.arange(n)
    return np.sin(2 * np.pi * t / 17 + rng.uniform(0, 6.3)) + rng.uniform(0.05, 0.2) * rng.standard_normal(n)


def _random_walk(rng, n):
    return np.cumsum(rng.standard_normal(n))


def _sawtooth(rng, n):
    p = rng.uniform(12, 40)
    return (np.arange(n) / p + rng.uniform()) % 1.0 + rng.uniform(0, 0.03) * rng.standard_normal(n)


def _ar2_cycle(rng, n):
    """AR(2) with complex roots: a noisy cycle whose period and phase drift."""
    r, period = rng.uniform(0.85, 0.97), rng.uniform(8, 30)
    a1, a2 = 2 * r * np.cos(2 * np.pi / period), -r * r
    e = rng.standard_normal(n)
    x = np.zeros(n)
    for i in range(2, n):
        x[i] = a1 * x[i - 1] + a2 * x[i - 2] + e[i]
    return x


@dataclass(frozen=True)
class Family:
    name: str
    make: Callable[[np.random.Generator, int], np.ndarray]
    seasonal: bool
    description: str
    jumps: bool = False  # jumps are part of the family (alerts on them are no false alarms)
    weight: int = 1  # series drawn per training series of a family of weight 1


TRAIN = (
    Family("sine-mix", _sine_mix, True, "1-3 sines, periods 4-60 outside 14-20, noise 0-30%"),
    Family("triangle", _triangle, True, "triangle wave, period 8-60, small noise"),
    Family("square", _square, True, "square wave, period 8-60, small noise", True),
    Family("charge-reset", _charge_reset, True, "exponential ramp (rate 0.1-5: nearly linear "
           "to sharply bent) reset every period (8-60), up or down", True),
    Family("trend-season", _trend_season, True, "linear trend plus a sine, noise"),
    Family("ar1", _ar1, False, "AR(1), phi 0.3-0.95"),
    Family("integrated-ar1", _integrated_ar1, False, "ARIMA(1,1,0), |phi| 0.3-0.8", weight=2),
    Family("t-walk", _t_walk, False, "walk with Student-t(2.5-6) steps, half drifting", True, 2),
    Family("local-level", _local_level, False, "Gaussian walk plus observation noise", weight=2),
    Family("level-shifts", _level_shifts, False, "piecewise constant levels plus noise", True),
    Family("white-noise", _white_noise, False, "Gaussian white noise"),
)

HELD_OUT = (
    Family("sine17-noise", _sine17, True, "sine of period 17, Gaussian noise 5-20% of amplitude"),
    Family("random-walk", _random_walk, False, "Gaussian random walk"),
    Family("sawtooth", _sawtooth, True, "sawtooth, period 12-40, noise 0-3%"),
    Family("ar2-cycle", _ar2_cycle, False, "AR(2) with complex roots (period 8-30)"),
)


def draw(family: Family, seed: int, n: int = 300) -> np.ndarray:
    """One series of the family at a random level and scale (float64)."""
    rng = np.random.default_rng(seed)
    x = family.make(rng, n)
    return rng.uniform(-100, 100) + rng.uniform(0.1, 50) * x


def series(families, count: int, seed: int, n: int = 300) -> dict[str, np.ndarray]:
    """`count` x weight series of every family: name#i → values; seeds derived from `seed`."""
    out = {}
    for fi, fam in enumerate(families):
        for i in range(count * fam.weight):
            out[f"{fam.name}#{i}"] = draw(fam, seed * 100_003 + fi * 1_009 + i, n)
    return out


def with_spikes(values: np.ndarray, seed: int, window: int, magnitude: float,
                count: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A copy with `count` isolated spikes of +-magnitude, at least a window apart and never in the
    first window; and their indices."""
    rng = np.random.default_rng(seed)
    n = len(values)
    slots = np.arange(window + 1, n - 1, max(window + 2, (n - window) // (count + 1)))
    idx = np.sort(rng.choice(slots, size=min(count, len(slots)), replace=False))
    out = values.copy()
    out[idx] += magnitude * rng.choice([-1.0, 1.0], size=len(idx))
    return out, idx
