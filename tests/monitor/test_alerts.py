"""Webhook alerts against a real local HTTP server that fails, then is slow, then recovers."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor
from instrumentation.monitor.alerts import backoff_delay


class FlakyReceiver:
    """Answers 503 to the first ``failures`` posts, sleeps ``slow_seconds`` on the next
    ``slow`` ones (longer than the client timeout), then answers 200."""

    def __init__(self, failures: int, slow: int, slow_seconds: float) -> None:
        self.failures, self.slow, self.slow_seconds = failures, slow, slow_seconds
        self.received: list[tuple[float, int, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    attempt = len(receiver.received)
                    receiver.received.append((time.monotonic(), attempt, body))
                if attempt < receiver.failures:
                    status = 503
                elif attempt < receiver.failures + receiver.slow:
                    time.sleep(receiver.slow_seconds)
                    status = 200
                else:
                    status = 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def attempts(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    r = FlakyReceiver(failures=2, slow=1, slow_seconds=1.5)
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def drifting_monitor(pipeline: MetricsPipeline, url: str, **overrides: object) -> ModelMonitor:
    config = {
        "alert_webhook": url, "webhook_timeout_seconds": 0.3, "webhook_max_retries": 5,
        "webhook_backoff_seconds": 0.05, "webhook_backoff_max_seconds": 0.2,
        "min_samples_for_drift": 50, "window_size": 1000, **overrides,
    }
    monitor = ModelMonitor(config, pipeline=pipeline)
    rng = np.random.default_rng(0)
    monitor.register_model("tft-sales", "1.0.0")
    monitor.load_reference_data("tft-sales", {"x": rng.normal(size=2000)})
    monitor.record_batch_metrics("tft-sales", np.zeros(500), None, {"x": rng.normal(3.0, 1.0, 500)})
    return monitor


def test_failing_then_slow_webhook_is_retried_without_blocking_record_calls(
    receiver: FlakyReceiver, pipeline: MetricsPipeline, scrape
) -> None:
    monitor = drifting_monitor(pipeline, receiver.url)
    try:
        reports = monitor.run_monitoring_cycle()
        assert reports["tft-sales"].drift_detected
        # While the worker is failing, waiting and timing out, record_* stays fast.
        rng = np.random.default_rng(1)
        batch = {"x": rng.normal(size=100)}
        slowest = 0.0
        deadline = time.monotonic() + 10
        while receiver.attempts() < 4 and time.monotonic() < deadline:
            started = time.perf_counter()
            monitor.record_batch_metrics("tft-sales", np.ones(100), np.ones(100), batch)
            monitor.record_prediction("tft-sales", {"x": 0.1}, 1.0, 1.0, 0.01)
            slowest = max(slowest, time.perf_counter() - started)
            # A service records once per request, not in a loop that never lets go of the GIL:
            # such a loop makes every socket call of the worker wait a switch interval for it.
            time.sleep(0.001)
        assert receiver.attempts() >= 4, "the worker never got past the failures and the slow answer"
        assert slowest < 0.1, f"a record call took {slowest:.3f}s while the webhook was down or slow"
        assert monitor.wait_for_alerts(10)
    finally:
        monitor.stop()
    attempts = [a for _, a, _ in receiver.received]
    assert attempts == [0, 1, 2, 3]  # 503, 503, too slow (timed out), 200
    body = receiver.received[-1][2]
    assert body["model_id"] == "tft-sales" and body["alert_type"] == "drift"
    assert body["details"]["drifted_features"] == ["x"]
    outcomes = {dict(k)["outcome"]: v for k, v in scrape("model_monitor_alerts_total").items()}
    assert outcomes == {"retried": 3.0, "sent": 1.0}
    gaps = np.diff([t for t, _, _ in receiver.received])
    assert all(g >= 0.025 for g in gaps)  # at least half the backoff before every retry


def test_same_alert_is_deduplicated_within_the_window(
    receiver: FlakyReceiver, pipeline: MetricsPipeline, scrape
) -> None:
    receiver.failures = receiver.slow = 0
    monitor = drifting_monitor(pipeline, receiver.url, alert_dedup_seconds=3600)
    try:
        for _ in range(3):
            monitor.run_monitoring_cycle()
        assert monitor.wait_for_alerts(5)
    finally:
        monitor.stop()
    assert receiver.attempts() == 1
    outcomes = {dict(k)["outcome"]: v for k, v in scrape("model_monitor_alerts_total").items()}
    assert outcomes == {"sent": 1.0, "deduplicated": 2.0}


def test_full_queue_drops_and_counts_instead_of_blocking(pipeline: MetricsPipeline, scrape) -> None:
    slow = FlakyReceiver(failures=0, slow=100, slow_seconds=1.0)
    slow.thread.start()
    monitor = drifting_monitor(pipeline, slow.url, alert_queue_size=1, alert_dedup_seconds=0,
                               webhook_max_retries=0, webhook_timeout_seconds=2)
    try:
        started = time.perf_counter()
        results = [monitor.send_alert("tft-sales", f"type{i}", "test") for i in range(5)]
        assert time.perf_counter() - started < 0.1
    finally:
        monitor.stop(timeout=0.1)
        slow.server.shutdown()
        slow.server.server_close()
    dropped = sum(v for k, v in scrape("model_monitor_alerts_total").items() if dict(k)["outcome"] == "dropped")
    assert results.count(False) == dropped >= 3


def test_non_retryable_status_fails_without_retries(pipeline: MetricsPipeline, scrape) -> None:
    class Gone(BaseHTTPRequestHandler):
        hits = 0

        def do_POST(self) -> None:  # noqa: N802
            Gone.hits += 1
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monitor = drifting_monitor(pipeline, f"http://127.0.0.1:{server.server_port}/")
    try:
        monitor.send_alert("tft-sales", "drift", "test")
        assert monitor.wait_for_alerts(5)
    finally:
        monitor.stop()
        server.shutdown()
        server.server_close()
    assert Gone.hits == 1
    outcomes = {dict(k)["outcome"]: v for k, v in scrape("model_monitor_alerts_total").items()}
    assert outcomes == {"failed": 1.0}


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    rng = random.Random(0)
    for attempt in range(8):
        ceiling = min(10.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 10.0, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
