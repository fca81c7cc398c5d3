"""ModelMonitor end to end: exported metrics, bounded memory, the seed's loop, errors."""

from __future__ import annotations

import gc
import math
import time
import tracemalloc

import httpx
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor, MonitorConfig, MonitorError, UnknownModelError

LABELS = {("model_id", "tft-sales"), ("model_version", "1.0.0")}


def features(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({
        "price": rng.normal(shift, 1.0, n),
        "promo": rng.normal(0.0, 1.0, n),
        "store": rng.choice(["a", "b", "c"], n),
    })


@pytest.fixture
def monitor(pipeline: MetricsPipeline) -> ModelMonitor:
    m = ModelMonitor({"window_size": 2000, "min_samples_for_drift": 100}, pipeline=pipeline)
    m.register_model("tft-sales", "1.0.0")
    assert m.load_reference_data("tft-sales", features(np.random.default_rng(0), 5000))
    return m


def test_batch_sets_error_gauges_and_monotonic_sums(monitor: ModelMonitor, scrape) -> None:
    rng = np.random.default_rng(1)
    monitor.record_batch_metrics("tft-sales", [110.0, 90.0, 1.0], [100.0, 100.0, 0.0], features(rng, 3))
    monitor.record_batch_metrics("tft-sales", [5.0], [4.0], features(rng, 1))
    gauges = {dict(k)["metric_type"]: v for k, v in scrape("model_prediction_error").items()}
    assert gauges["mae"] == 1.0 and gauges["mape"] == pytest.approx(25.0)
    assert scrape("model_predictions_total") == {frozenset(LABELS): 4.0}
    assert scrape("model_absolute_error_total")[frozenset(LABELS)] == pytest.approx(22.0)
    assert scrape("model_squared_error_total")[frozenset(LABELS)] == pytest.approx(202.0)
    assert scrape("model_absolute_actual_total")[frozenset(LABELS)] == pytest.approx(204.0)
    assert scrape("model_evaluated_predictions_total")[frozenset(LABELS)] == 4.0
    assert scrape("model_zero_actuals_total")[frozenset(LABELS)] == 1.0


def test_zero_and_negative_actuals_never_export_inf_or_nan(monitor: ModelMonitor, pipeline) -> None:
    monitor.record_batch_metrics("tft-sales", [1.0, -2.0], [0.0, 0.0], None)
    monitor.record_batch_metrics("tft-sales", [-1.0, np.nan], [-2.0, 1.0], None)
    monitor.record_prediction("tft-sales", {"price": np.inf}, 3.0, actual=0.0, latency=0.02)
    monitor.run_monitoring_cycle()
    text = pipeline.exposition().decode()
    assert "model_prediction_error" in text
    for line in text.splitlines():
        if not line.startswith("#"):
            assert math.isfinite(float(line.rsplit(" ", 1)[1])), line


def test_single_predictions_feed_latency_sums_and_cycle_gauges(monitor: ModelMonitor, scrape) -> None:
    for i in range(10):
        monitor.record_prediction("tft-sales", {"price": 0.1, "promo": 0.0, "store": "a"}, 10.0 + i, 10.0, 0.03)
    assert scrape("model_prediction_latency_seconds_count") == {frozenset(LABELS): 10.0}
    monitor.run_monitoring_cycle()
    gauges = {dict(k)["metric_type"]: v for k, v in scrape("model_prediction_error").items()}
    assert gauges["mae"] == pytest.approx(4.5)  # all ten, not the last one only


def test_drift_metrics_and_report(monitor: ModelMonitor, scrape) -> None:
    rng = np.random.default_rng(2)
    monitor.record_batch_metrics("tft-sales", np.zeros(1000), None, features(rng, 1000, shift=1.0))
    report = monitor.detect_drift("tft-sales")
    assert report.drift_detected and report.drifted_features == ["price"]
    scores = {dict(k)["feature_name"]: v for k, v in scrape("model_drift_score").items()}
    p_values = {dict(k)["feature_name"]: v for k, v in scrape("model_drift_p_value").items()}
    assert scores["price"] == pytest.approx(report.feature("price").statistic)
    assert p_values["promo"] == pytest.approx(report.feature("promo").p_value)
    assert set(scores) == {"price", "promo", "store"}
    assert scrape("model_drift_detected") == {frozenset(LABELS): 1.0}
    drifted = {dict(k)["feature_name"]: v for k, v in scrape("model_feature_drifted").items()}
    assert drifted == {"price": 1.0, "promo": 0.0, "store": 0.0}


def test_nan_features_are_counted_in_the_data_quality_metric(monitor: ModelMonitor, scrape) -> None:
    rng = np.random.default_rng(3)
    frame = features(rng, 100)
    frame.loc[:9, "price"] = np.nan
    frame.loc[10:12, "promo"] = np.inf
    frame.loc[13, "store"] = None
    monitor.record_batch_metrics("tft-sales", np.zeros(100), None, frame)
    counted = {(dict(k)["feature_name"], dict(k)["reason"]): v for k, v in scrape("model_invalid_feature_values_total").items()}
    assert counted == {("price", "nan"): 10.0, ("promo", "inf"): 3.0, ("store", "nan"): 1.0}


def test_window_memory_is_bounded_however_long_the_stream(pipeline: MetricsPipeline) -> None:
    monitor = ModelMonitor({"window_size": 500, "min_samples_for_drift": 10}, pipeline=pipeline)
    monitor.register_model("m", "1")
    rng = np.random.default_rng(4)
    monitor.load_reference_data("m", {f"f{i}": rng.normal(size=1000) for i in range(5)})
    batch = rng.normal(size=(200, 5))

    def retained_after(batches: int) -> int:
        for _ in range(batches):
            monitor.record_batch_metrics("m", batch[:, 0], batch[:, 1], batch)
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        base = retained_after(10)
        short = retained_after(50) - base
        long = retained_after(500) - base
    finally:
        tracemalloc.stop()
    window = monitor._models["m"].window
    assert window is not None and window.filled == 500 and window.total_rows == 112_000
    assert window.nbytes == 500 * 5 * 8
    # Ten times the rows retain no more memory (the seed's list of dicts grew ~1 KB per row).
    assert long < max(short, 0) + 32_000, (short, long)


def test_seed_config_loop_serves_metrics_and_stops(pipeline: MetricsPipeline) -> None:
    config = {
        "metrics_port": 0, "metrics_addr": "127.0.0.1", "min_samples_for_drift": 100,
        "drift_method": "ks", "drift_threshold": 0.05, "alert_on_drift": True, "monitoring_interval": 0.05,
    }
    monitor = ModelMonitor(config, pipeline=pipeline)
    monitor.register_model("tft-sales", "1.0.0", {"description": "TFT model for sales forecasting"})
    monitor.load_reference_data("tft-sales", features(np.random.default_rng(5), 2000))
    monitor.record_batch_metrics("tft-sales", np.ones(300), np.ones(300), features(np.random.default_rng(6), 300, 2.0))
    monitor.start()
    try:
        url = f"http://127.0.0.1:{monitor.metrics_port}/metrics"
        deadline = time.monotonic() + 10
        body = ""
        while "model_drift_detected{" not in body and time.monotonic() < deadline:
            body = httpx.get(url, timeout=2).text
            time.sleep(0.02)
        assert 'model_drift_detected{model_id="tft-sales",model_version="1.0.0"} 1.0' in body
    finally:
        monitor.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_reference_from_csv_path(tmp_path, pipeline: MetricsPipeline) -> None:
    path = tmp_path / "ref.csv"
    features(np.random.default_rng(7), 300).to_csv(path, index=False)
    monitor = ModelMonitor(pipeline=pipeline)
    monitor.register_model("m", "1")
    assert monitor.load_reference_data("m", path)
    assert not monitor.load_reference_data("m", tmp_path / "missing.csv")


def test_unregistered_model_error_says_what_to_do(monitor: ModelMonitor) -> None:
    with pytest.raises(UnknownModelError, match=r"model 'nope' is not registered: call register_model\('nope', version\) first"):
        monitor.record_prediction("nope", {}, 1.0)


def test_drift_without_reference_error_says_what_to_do(pipeline: MetricsPipeline) -> None:
    monitor = ModelMonitor(pipeline=pipeline)
    monitor.register_model("m", "1")
    with pytest.raises(MonitorError, match=r"no reference data for model 'm': call load_reference_data\('m', \.\.\.\) first"):
        monitor.detect_drift("m")


def test_array_features_with_categorical_reference_are_refused(monitor: ModelMonitor) -> None:
    with pytest.raises(MonitorError, match="has categorical features: pass features as a DataFrame"):
        monitor.record_batch_metrics("tft-sales", np.zeros(2), None, np.zeros((2, 3)))


def test_config_rejects_a_window_smaller_than_min_samples() -> None:
    with pytest.raises(ValidationError, match=r"min_samples_for_drift \(500\) is larger than window_size \(100\)"):
        MonitorConfig(window_size=100, min_samples_for_drift=500)


def test_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="drift_treshold"):
        MonitorConfig(drift_treshold=0.1)  # type: ignore[call-arg]
