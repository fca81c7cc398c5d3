"""The synthetic sales world the demo service forecasts: daily sales per store and the
exogenous features (price, temperature, marketing spend) that drive them.

One generator serves three purposes, so they can never disagree: the committed drift
reference (``data/generate_reference.py``), the features the service sees at request
time, and the "actuals" that arrive after a forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Feature columns of the reference data set and of every recorded prediction.
FEATURES: tuple[str, ...] = ("price", "temperature", "marketing_spend")
STORES = 8
HISTORY_DAYS = 364
WEEKLY = np.array([0.85, 0.9, 0.95, 1.0, 1.1, 1.3, 1.2])


@dataclass(frozen=True)
class FeatureShift:
    """How the feature distribution moves in the drift scenario (upstream data change)."""

    price_factor: float = 1.0
    temperature_offset: float = 0.0
    marketing_factor: float = 1.0


NO_SHIFT = FeatureShift()
#: A price list in cents instead of euros would be worse; this is a plausible supplier change.
DRIFTED = FeatureShift(price_factor=1.6, temperature_offset=9.0, marketing_factor=2.5)


def sample_features(rng: np.random.Generator, n: int, shift: FeatureShift = NO_SHIFT) -> dict[str, np.ndarray]:
    """``n`` independent feature rows, as columns."""
    return {
        "price": np.round(rng.normal(20.0, 2.0, n) * shift.price_factor, 2),
        "temperature": np.round(rng.normal(15.0, 6.0, n) + shift.temperature_offset, 2),
        "marketing_spend": np.round(rng.gamma(4.0, 250.0, n) * shift.marketing_factor, 2),
    }


#: Share of the temperature values lost in the ``missing-data`` fault (a sensor feed dropping out).
MISSING_SHARE = 0.3


def with_missing(rng: np.random.Generator, features: dict[str, np.ndarray],
                 share: float = MISSING_SHARE) -> dict[str, np.ndarray]:
    """``features`` with about ``share`` of the temperature values replaced by NaN."""
    temperature = features["temperature"].copy()
    temperature[rng.random(temperature.shape[0]) < share] = np.nan
    return {**features, "temperature": temperature}


def schema_changed(features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The feed after an upstream schema change: ``temperature`` renamed ``temperature_c`` and
    ``price`` sent as text (its values still parse as numbers)."""
    return {"price": features["price"].astype(str), "temperature_c": features["temperature"],
            "marketing_spend": features["marketing_spend"]}


def demand(days: np.ndarray, store: int, features: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Sales on ``days`` (day index from the series start) under ``features``; ~4% noise."""
    level = 200.0 + 25.0 * store + 0.05 * days
    season = WEEKLY[days % 7]
    price_effect = (20.0 / features["price"]) ** 0.6
    warm = 1.0 + 0.005 * (features["temperature"] - 15.0)
    marketing = 1.0 + 0.00004 * (features["marketing_spend"] - 1000.0)
    noise = rng.normal(1.0, 0.04, days.shape[0])
    return level * season * price_effect * warm * marketing * noise


def history(store: int, seed: int = 7) -> np.ndarray:
    """The store's last :data:`HISTORY_DAYS` days of sales (deterministic per store)."""
    rng = np.random.default_rng(seed * 1000 + store)
    days = np.arange(HISTORY_DAYS)
    return demand(days, store, sample_features(rng, HISTORY_DAYS), rng)
