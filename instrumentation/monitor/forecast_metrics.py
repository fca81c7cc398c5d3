"""Forecast error metrics of one batch, defined so that none can be inf or NaN.

A metric that is undefined for the batch is ``None`` (and is not exported):

* pairs where the prediction or the actual is not finite are left out and counted;
* MAPE leaves out zero actuals (counted in ``zero_actuals``), None if all are zero;
* WAPE (``sum|e| / sum|a|``) is None when every actual is zero;
* sMAPE (``mean(2|e| / (|p| + |a|))``) counts a pair with ``p == a == 0`` as 0 error;
* R² is None with fewer than two pairs or constant actuals;
* coverage (share of actuals within ``[lower, upper]``) only when bounds are given.

MAPE, WAPE and sMAPE are in percent, as on the Quantis dashboards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ForecastErrors:
    n: int
    invalid: int
    zero_actuals: int
    sum_absolute_error: float
    sum_squared_error: float
    sum_absolute_actual: float
    mae: float | None
    rmse: float | None
    mape: float | None
    wape: float | None
    smape: float | None
    r2: float | None
    coverage: float | None

    def gauges(self) -> dict[str, float]:
        """The defined metrics by ``metric_type`` label value."""
        values = {"mae": self.mae, "rmse": self.rmse, "mape": self.mape, "wape": self.wape,
                  "smape": self.smape, "r2": self.r2}
        return {k: v for k, v in values.items() if v is not None and math.isfinite(v)}


def forecast_errors(predictions: Any, actuals: Any, lower: Any = None, upper: Any = None) -> ForecastErrors:
    """Error metrics of predictions against actuals (any array-likes of equal length)."""
    pred = np.asarray(predictions, dtype=np.float64).reshape(-1)
    act = np.asarray(actuals, dtype=np.float64).reshape(-1)
    if pred.shape != act.shape:
        raise ValueError(f"predictions and actuals differ in length: {pred.shape[0]} != {act.shape[0]}")
    valid = np.isfinite(pred) & np.isfinite(act)
    n_all = pred.shape[0]
    if not valid.all():
        pred, act = pred[valid], act[valid]
    n = int(pred.shape[0])
    error = pred - act
    abs_error = np.abs(error)
    abs_actual = np.abs(act)
    sae = float(abs_error.sum())
    sse = float(np.dot(error, error))
    saa = float(abs_actual.sum())
    nonzero = abs_actual > 0
    zero_actuals = int(n - np.count_nonzero(nonzero))

    mae = sae / n if n else None
    rmse = float(np.sqrt(sse / n)) if n else None
    mape = float(np.mean(abs_error[nonzero] / abs_actual[nonzero]) * 100.0) if n - zero_actuals else None
    wape = sae / saa * 100.0 if saa > 0 else None
    smape = _smape(abs_error, np.abs(pred) + abs_actual) if n else None
    r2 = _r2(sse, act)
    coverage = _coverage(act, valid, lower, upper) if lower is not None and upper is not None else None
    return ForecastErrors(
        n=n, invalid=n_all - n, zero_actuals=zero_actuals,
        sum_absolute_error=sae, sum_squared_error=sse, sum_absolute_actual=saa,
        mae=mae, rmse=rmse, mape=mape, wape=wape, smape=smape, r2=r2, coverage=coverage,
    )


def _smape(abs_error: np.ndarray, scale: np.ndarray) -> float:
    terms = np.zeros_like(abs_error)
    np.divide(2.0 * abs_error, scale, out=terms, where=scale > 0)
    return float(terms.mean() * 100.0)


def _r2(sse: float, act: np.ndarray) -> float | None:
    if act.shape[0] < 2:
        return None
    centred = act - act.mean()
    total = float(np.dot(centred, centred))
    if total <= 0.0:
        return None
    r2 = 1.0 - sse / total
    return r2 if np.isfinite(r2) else None


def _coverage(act: np.ndarray, valid: np.ndarray, lower: Any, upper: Any) -> float | None:
    lo = np.asarray(lower, dtype=np.float64).reshape(-1)
    hi = np.asarray(upper, dtype=np.float64).reshape(-1)
    if lo.shape != valid.shape or hi.shape != valid.shape:
        raise ValueError("lower and upper bounds must have one value per prediction")
    lo, hi = lo[valid], hi[valid]
    bounded = ~(np.isnan(lo) | np.isnan(hi))
    if not bounded.any():
        return None
    inside = (act[bounded] >= lo[bounded]) & (act[bounded] <= hi[bounded])
    return float(inside.mean())
