"""Forecast error metrics: defined for every batch, never inf or NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest

from instrumentation.monitor.forecast_metrics import forecast_errors


def test_standard_metrics_on_a_simple_batch() -> None:
    e = forecast_errors([110.0, 90.0, 100.0], [100.0, 100.0, 100.0])
    assert e.mae == pytest.approx(20 / 3)
    assert e.rmse == pytest.approx(math.sqrt(200 / 3))
    assert e.mape == pytest.approx(20 / 3)
    assert e.wape == pytest.approx(20 / 300 * 100)
    assert e.smape == pytest.approx((2 * 10 / 210 + 2 * 10 / 190) / 3 * 100)
    assert e.r2 is None  # constant actuals: R² undefined, not -inf


def test_zero_actuals_are_left_out_of_mape_and_counted() -> None:
    e = forecast_errors([1.0, 5.0, 0.0], [0.0, 4.0, 0.0])
    assert e.zero_actuals == 2
    assert e.mape == pytest.approx(25.0)
    assert e.mae == pytest.approx(2 / 3)
    assert e.smape == pytest.approx((2 * 1 / 1 + 2 * 1 / 9 + 0.0) / 3 * 100)


def test_all_zero_actuals_leave_mape_and_wape_undefined_not_inf() -> None:
    e = forecast_errors([1.0, 2.0], [0.0, 0.0])
    assert e.mape is None and e.wape is None
    assert set(e.gauges()) == {"mae", "rmse", "smape"}


def test_negative_actuals_use_absolute_values() -> None:
    e = forecast_errors([-90.0, -120.0], [-100.0, -100.0])
    assert e.mape == pytest.approx(15.0)
    assert e.wape == pytest.approx(30 / 200 * 100)
    assert e.sum_absolute_actual == 200.0


def test_r2_matches_its_definition() -> None:
    rng = np.random.default_rng(0)
    act = rng.normal(size=200)
    pred = act + rng.normal(0, 0.3, 200)
    e = forecast_errors(pred, act)
    assert e.r2 == pytest.approx(1 - np.sum((pred - act) ** 2) / np.sum((act - act.mean()) ** 2))


def test_non_finite_pairs_are_dropped_and_counted() -> None:
    e = forecast_errors([1.0, np.nan, np.inf, 2.0], [1.0, 1.0, 1.0, np.nan])
    assert (e.n, e.invalid) == (1, 3)
    assert all(math.isfinite(v) for v in e.gauges().values())


def test_interval_coverage_counts_actuals_inside_the_bounds() -> None:
    e = forecast_errors([1, 2, 3, 4], [1, 5, 3, 0], lower=[0, 0, 0, 1], upper=[2, 4, 3, 5])
    assert e.coverage == pytest.approx(0.5)


def test_mismatched_lengths_say_which() -> None:
    with pytest.raises(ValueError, match="predictions and actuals differ in length: 3 != 2"):
        forecast_errors([1, 2, 3], [1, 2])
