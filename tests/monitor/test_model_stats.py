"""Prediction statistics of the model monitor: every exported value checked against numpy/scipy."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor, MonitorConfig, MonitorError, UnknownModelError
from instrumentation.monitor.model_stats import estimate_nbytes

MODEL = "tft-sales"
KEY = frozenset({("model_id", MODEL), ("model_version", "1.0.0")})
BUCKETS = (0.0, 50.0, 100.0, 150.0, 200.0)


def make(pipeline: MetricsPipeline, **config) -> ModelMonitor:
    monitor = ModelMonitor({"window_size": 500, "min_samples_for_drift": 200, "prediction_buckets": BUCKETS,
                            **config}, pipeline=pipeline)
    monitor.register_model(MODEL, "1.0.0")
    return monitor


@pytest.fixture
def monitor(pipeline: MetricsPipeline) -> ModelMonitor:
    return make(pipeline)


def error_gauges(scrape) -> dict[str, float]:
    return {dict(k)["metric_type"]: v for k, v in scrape("model_prediction_error").items()}


def test_batch_exports_bias_mse_and_interval_width_as_numpy_computes_them(monitor, scrape) -> None:
    rng = np.random.default_rng(3)
    actuals = rng.normal(100.0, 10.0, 50)
    predictions = actuals + rng.normal(4.0, 3.0, 50)
    lower, upper = predictions - rng.uniform(5, 15, 50), predictions + rng.uniform(5, 15, 50)
    monitor.record_batch_metrics(MODEL, predictions, actuals, lower=lower, upper=upper)
    gauges = error_gauges(scrape)
    assert gauges["bias"] == pytest.approx(np.mean(predictions - actuals), rel=1e-12)
    assert gauges["mse"] == pytest.approx(np.mean((predictions - actuals) ** 2), rel=1e-12)
    assert gauges["bias_percent"] == pytest.approx(100 * np.sum(predictions - actuals) / np.sum(np.abs(actuals)))
    assert scrape("model_prediction_interval_width")[KEY] == pytest.approx(np.mean(upper - lower), rel=1e-12)


def test_bias_is_signed_and_leaves_out_non_finite_pairs(monitor, scrape) -> None:
    monitor.record_batch_metrics(MODEL, [90.0, 80.0, np.nan, 5.0], [100.0, 100.0, 3.0, np.inf])
    gauges = error_gauges(scrape)
    assert gauges["bias"] == -15.0 and gauges["mse"] == 250.0 and gauges["bias_percent"] == -15.0


def test_bias_percent_is_not_exported_when_every_actual_is_zero(monitor, scrape) -> None:
    monitor.record_batch_metrics(MODEL, [1.0, -1.0, 3.0], [0.0, 0.0, 0.0])
    gauges = error_gauges(scrape)
    assert gauges["bias"] == 1.0 and "bias_percent" not in gauges


def test_single_predictions_get_bias_and_mse_in_the_cycle(monitor, scrape) -> None:
    for prediction, actual in ((12.0, 10.0), (7.0, 10.0), (10.0, 10.0)):
        monitor.record_prediction(MODEL, None, prediction, actual=actual)
    assert "bias" not in error_gauges(scrape)
    monitor.run_monitoring_cycle()
    gauges = error_gauges(scrape)
    assert gauges["bias"] == pytest.approx(-1 / 3) and gauges["mse"] == pytest.approx(13 / 3)


def test_prediction_histogram_counts_like_numpy_with_the_configured_buckets(monitor, scrape) -> None:
    rng = np.random.default_rng(5)
    first, second = rng.normal(100, 60, 300), np.array([50.0, 200.0, 250.0, np.nan, np.inf, -5.0])
    monitor.record_batch_metrics(MODEL, first, None)
    monitor.record_batch_metrics(MODEL, second, None)
    values = np.concatenate([first, second])
    values = values[np.isfinite(values)]
    buckets = {dict(k)["le"]: v for k, v in scrape("model_prediction_value_bucket").items()}
    expected = {str(b): float(np.count_nonzero(values <= b)) for b in BUCKETS} | {"+Inf": float(values.size)}
    assert buckets == expected  # a value on a bound (50.0, 200.0) counts in that bound
    assert scrape("model_prediction_value_count")[KEY] == values.size
    assert scrape("model_prediction_value_sum")[KEY] == pytest.approx(values.sum(), rel=1e-12)


def test_batch_size_rows_and_duration(monitor, scrape) -> None:
    monitor.record_batch_metrics(MODEL, np.ones(14), None, duration=0.02)
    monitor.record_batch_metrics(MODEL, np.ones(300), None, duration=0.3)
    monitor.record_prediction(MODEL, None, 1.0)  # one prediction is not a batch
    assert scrape("model_batch_rows_total")[KEY] == 314.0
    sizes = {dict(k)["le"]: v for k, v in scrape("model_batch_size_bucket").items()}
    assert sizes["10.0"] == 0 and sizes["25.0"] == 1 and sizes["250.0"] == 1 and sizes["500.0"] == 2
    assert scrape("model_batch_size_sum")[KEY] == 314.0
    assert scrape("model_batch_duration_seconds_sum")[KEY] == pytest.approx(0.32)
    assert scrape("model_batch_duration_seconds_count")[KEY] == 2
    assert scrape("model_prediction_value_count")[KEY] == 315.0


def test_prediction_drift_equals_scipy_ks_2samp_on_the_recent_predictions(pipeline, scrape) -> None:
    monitor = make(pipeline, drift_method="ks")
    rng = np.random.default_rng(11)
    reference = rng.normal(100.0, 10.0, 2000)
    monitor.load_reference_predictions(MODEL, reference)
    recent = rng.normal(100.0, 10.0, 500)
    monitor.record_batch_metrics(MODEL, recent, None)
    monitor.run_monitoring_cycle()
    expected = stats.ks_2samp(reference, recent)
    assert scrape("model_prediction_drift_score")[KEY] == expected.statistic
    assert scrape("model_prediction_drift_p_value")[KEY] == expected.pvalue
    assert scrape("model_prediction_drifted")[KEY] == (1.0 if expected.pvalue <= 0.05 else 0.0)

    shifted = recent * 1.2
    monitor.record_batch_metrics(MODEL, shifted, None)  # replaces the whole 500-row window
    result = monitor.detect_prediction_drift(MODEL)
    expected = stats.ks_2samp(reference, shifted)
    assert result is not None and result.drifted and result.p_value == expected.pvalue
    assert scrape("model_prediction_drifted")[KEY] == 1.0


def test_prediction_drift_waits_for_min_samples_and_a_reference(pipeline, scrape) -> None:
    monitor = make(pipeline, drift_method="psi")
    monitor.record_batch_metrics(MODEL, np.arange(300.0), None)
    monitor.run_monitoring_cycle()
    assert monitor.detect_prediction_drift(MODEL) is None  # no reference
    monitor.load_reference_predictions(MODEL, np.arange(1000.0))
    monitor.record_batch_metrics(MODEL, np.arange(100.0), None)  # window was reset: 100 < 200 rows
    monitor.run_monitoring_cycle()
    assert scrape("model_prediction_drift_score") == {}


def test_reference_predictions_without_a_finite_value_are_refused(monitor) -> None:
    with pytest.raises(MonitorError, match="reference predictions of model 'tft-sales' have no finite value"):
        monitor.load_reference_predictions(MODEL, [np.nan, np.inf])


def test_anomaly_scorer_runs_in_the_cycle_once_per_batch(monitor, scrape) -> None:
    seen: list[tuple[np.ndarray, np.ndarray | None]] = []

    def scorer(predictions: np.ndarray, actuals: np.ndarray | None) -> float:
        seen.append((predictions, actuals))
        return float(np.max(np.abs(predictions - actuals))) if actuals is not None else -1.0

    monitor.set_anomaly_scorer(MODEL, scorer)
    predictions = np.array([1.0, 2.0, 3.0])
    monitor.record_batch_metrics(MODEL, predictions, [1.0, 2.5, 3.0])
    monitor.record_batch_metrics(MODEL, [4.0, 9.0], [4.0, 5.0])
    predictions[0] = 100.0  # the caller reusing its array does not change what was queued
    assert seen == [] and scrape("model_anomaly_score") == {}
    monitor.run_monitoring_cycle()
    assert [p.tolist() for p, _ in seen] == [[1.0, 2.0, 3.0], [4.0, 9.0]]
    assert scrape("model_anomaly_score")[KEY] == 4.0


def test_a_failing_anomaly_scorer_is_counted_and_logged(monitor, scrape, caplog) -> None:
    monitor.set_anomaly_scorer(MODEL, lambda predictions, actuals: 1 / 0)
    monitor.record_batch_metrics(MODEL, [1.0], [1.0])
    with caplog.at_level(logging.ERROR):
        monitor.run_monitoring_cycle()
    assert "anomaly scorer of model tft-sales failed" in caplog.text
    assert scrape("model_monitor_hook_errors_total")[KEY | {("hook", "anomaly_score")}] == 1.0


def test_anomaly_scorer_must_be_callable(monitor) -> None:
    with pytest.raises(MonitorError, match=r"anomaly scorer of model 'tft-sales' must be callable .* got float"):
        monitor.set_anomaly_scorer(MODEL, 0.5)  # type: ignore[arg-type]


def test_model_loading_exports_the_seconds_the_block_took(monitor, scrape) -> None:
    with monitor.model_loading(MODEL):
        inner = time.perf_counter()
        np.linalg.inv(np.eye(50) * 2.0)
        inner = time.perf_counter() - inner
    assert scrape("model_load_duration_seconds")[KEY] >= inner > 0


def test_a_failed_load_raises_and_exports_nothing(monitor, scrape, caplog) -> None:
    with caplog.at_level(logging.ERROR), pytest.raises(OSError, match="weights missing"):
        with monitor.model_loading(MODEL):
            raise OSError("weights missing")
    assert scrape("model_load_duration_seconds") == {}
    assert "loading model tft-sales failed" in caplog.text


def test_model_loading_needs_a_registered_model(monitor) -> None:
    with pytest.raises(UnknownModelError, match=r"model 'other' is not registered: call register_model"):
        with monitor.model_loading("other"):
            pass


def test_memory_from_a_number_at_once_and_from_a_callable_each_cycle(monitor, scrape) -> None:
    monitor.track_memory(MODEL, 4096)
    assert scrape("model_memory_bytes")[KEY] == 4096.0
    weights = np.zeros(10_000)
    monitor.track_memory(MODEL, lambda: estimate_nbytes(weights))
    monitor.run_monitoring_cycle()
    assert scrape("model_memory_bytes")[KEY] == estimate_nbytes(weights)


def test_a_failing_memory_source_is_counted(monitor, scrape) -> None:
    monitor.track_memory(MODEL, lambda: {}["missing"])
    monitor.run_monitoring_cycle()
    assert scrape("model_monitor_hook_errors_total")[KEY | {("hook", "memory")}] == 1.0


@pytest.mark.parametrize("source", [-1, "1GB", True])
def test_memory_must_be_bytes_or_a_callable(monitor, source) -> None:
    with pytest.raises(MonitorError, match="memory of model 'tft-sales' must be a number of bytes >= 0 or a callable"):
        monitor.track_memory(MODEL, source)


def test_estimate_nbytes_counts_array_buffers_once() -> None:
    weights = np.zeros((100, 100))
    model = {"weights": weights, "view": weights[:10], "again": weights, "bias": np.ones(100)}
    estimate = estimate_nbytes(model)
    assert weights.nbytes + 800 < estimate < weights.nbytes + 800 + 4096  # headers, the dict, the keys


def test_hooks_and_reference_survive_a_new_version(monitor, scrape) -> None:
    monitor.load_reference_predictions(MODEL, np.arange(100.0))
    monitor.track_memory(MODEL, lambda: 10)
    monitor.register_model(MODEL, "1.1.0")
    monitor.run_monitoring_cycle()
    assert scrape("model_memory_bytes")[frozenset({("model_id", MODEL), ("model_version", "1.1.0")})] == 10.0


def test_registering_the_same_version_again_keeps_one_histogram_series(monitor, scrape) -> None:
    monitor.record_batch_metrics(MODEL, [10.0], None)
    monitor.register_model(MODEL, "1.0.0")
    monitor.record_batch_metrics(MODEL, [20.0], None)
    assert scrape("model_prediction_value_count") == {KEY: 2.0}


@pytest.mark.parametrize(("buckets", "message"), [
    ((1.0, 1.0), "strictly increasing"),
    ((1.0, float("inf")), "finite numbers"),
    (tuple(range(65)), "1 to 64 bounds, got 65"),
    ((), "1 to 64 bounds, got 0"),
])
def test_prediction_buckets_are_bounded(buckets, message) -> None:
    with pytest.raises(ValidationError, match=message):
        MonitorConfig(prediction_buckets=buckets)


def test_monitors_sharing_a_pipeline_need_the_same_buckets(pipeline, monitor) -> None:
    monitor.record_batch_metrics(MODEL, [1.0], None)
    other = make(pipeline, prediction_buckets=(1.0, 2.0))
    with pytest.raises(MonitorError, match="need the same prediction_buckets"):
        other.record_batch_metrics(MODEL, [1.0], None)


def test_single_predictions_are_counted_in_the_histogram_and_scored(monitor, scrape) -> None:
    scored: list[tuple[list[float], list[float] | None]] = []
    monitor.set_anomaly_scorer(MODEL, lambda p, a: scored.append((p.tolist(), None if a is None else a.tolist())) or 0.5)
    for value in (50.0, 120.0, np.nan, 500.0):
        monitor.record_prediction(MODEL, None, value, actual=100.0 if value == 120.0 else None)
    buckets = {dict(k)["le"]: v for k, v in scrape("model_prediction_value_bucket").items()}
    assert buckets == {"0.0": 0, "50.0": 1, "100.0": 1, "150.0": 2, "200.0": 2, "+Inf": 3}
    assert scrape("model_prediction_value_sum")[KEY] == 670.0
    monitor.run_monitoring_cycle()
    assert scored[:2] == [([50.0], None), ([120.0], [100.0])] and len(scored) == 4
    assert scrape("model_anomaly_score")[KEY] == 0.5
