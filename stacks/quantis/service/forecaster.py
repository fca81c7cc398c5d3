"""A small real forecaster: additive Holt-Winters (level, trend, weekly season) in numpy.

Fitted on a store's history at request time (a few hundred points, well under a
millisecond per parameter set), with a residual-based prediction interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEASON = 7


@dataclass(frozen=True)
class Forecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def holt_winters(series: np.ndarray, horizon: int, alpha: float = 0.3, beta: float = 0.02,
                 gamma: float = 0.2, z: float = 1.96) -> Forecast:
    """Forecast ``horizon`` steps after ``series`` (needs at least two seasons)."""
    y = np.asarray(series, dtype=np.float64)
    if y.shape[0] < 2 * SEASON:
        raise ValueError(f"need at least {2 * SEASON} points of history, got {y.shape[0]}")
    level = y[:SEASON].mean()
    trend = (y[SEASON:2 * SEASON].mean() - level) / SEASON
    season = y[:SEASON] - level
    residuals = np.empty(y.shape[0] - SEASON)
    for t in range(SEASON, y.shape[0]):
        s = season[t % SEASON]
        predicted = level + trend + s
        residuals[t - SEASON] = y[t] - predicted
        new_level = alpha * (y[t] - s) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        season[t % SEASON] = gamma * (y[t] - new_level) + (1 - gamma) * s
        level = new_level
    steps = np.arange(1, horizon + 1)
    n = y.shape[0]
    mean = level + steps * trend + season[(n + steps - 1) % SEASON]
    spread = z * residuals.std() * np.sqrt(1 + 0.05 * steps)
    return Forecast(mean=mean, lower=mean - spread, upper=mean + spread)
