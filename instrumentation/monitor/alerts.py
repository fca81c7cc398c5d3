"""Webhook alerts posted from a background worker, so a slow or dead receiver never
blocks the code that raised the alert.

:meth:`AlertDispatcher.submit` only de-duplicates and enqueues: it never waits on
the network. The worker posts JSON with a timeout and retries connection errors,
timeouts, HTTP 429 and 5xx with exponential backoff and jitter. Every outcome is
counted in ``model_monitor_alerts_total{model_id, alert_type, outcome}``:
``sent``, ``failed`` (retries exhausted or a non-retryable status), ``retried``,
``deduplicated`` (same model and alert type within the de-duplication window) and
``dropped`` (queue full).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

Outcome = str
OutcomeHook = Callable[[str, str, Outcome], None]


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 5.0
    max_retries: int = 5
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    dedup_seconds: float = 3600.0
    queue_size: int = 100


@dataclass(frozen=True)
class Alert:
    model_id: str
    model_version: str
    alert_type: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    timestamp: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def payload(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "model_version": self.model_version,
            "alert_type": self.alert_type,
            "message": self.message,
            "timestamp": self.timestamp,
            "details": dict(self.details),
        }


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Delay before retry ``attempt`` (0-based): half of ``min(cap, base * 2**attempt)``
    fixed, the other half random, so retries from many processes spread out."""
    ceiling = min(cap, base * (2.0**attempt))
    return ceiling / 2.0 + rng.uniform(0.0, ceiling / 2.0)


class AlertDispatcher:
    """De-duplicates, queues and posts alerts on one daemon thread."""

    def __init__(
        self,
        settings: WebhookSettings,
        on_outcome: OutcomeHook | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._on_outcome = on_outcome or (lambda model_id, alert_type, outcome: None)
        self._clock = clock
        self._queue: queue.Queue[Alert] = queue.Queue(maxsize=settings.queue_size)
        self._last_submitted: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.Random()

    def submit(self, alert: Alert) -> bool:
        """Queue ``alert`` for delivery; False when de-duplicated or dropped. Never blocks."""
        key = (alert.model_id, alert.alert_type)
        now = self._clock()
        with self._lock:
            last = self._last_submitted.get(key)
            if last is not None and now - last < self.settings.dedup_seconds:
                self._count(alert, "deduplicated")
                return False
            try:
                self._queue.put_nowait(alert)
            except queue.Full:
                self._count(alert, "dropped")
                logger.warning("alert queue full (%d): dropped %s alert for model %s",
                               self.settings.queue_size, alert.alert_type, alert.model_id)
                return False
            self._last_submitted[key] = now
        self._ensure_started()
        return True

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="model-monitor-alerts", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued alert has been sent or given up on (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker; an alert still being retried after ``timeout`` is abandoned."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=self.settings.timeout_seconds) as client:
            while not self._stopping.is_set():
                try:
                    alert = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                try:
                    self._deliver(client, alert)
                except Exception:  # a bug here must not kill the worker
                    logger.exception("unexpected error delivering %s alert", alert.alert_type)
                    self._count(alert, "failed")
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, alert: Alert) -> None:
        payload = alert.payload()
        for attempt in range(self.settings.max_retries + 1):
            retryable, reason = self._post(client, payload)
            if reason is None:
                self._count(alert, "sent")
                return
            if not retryable or attempt == self.settings.max_retries:
                logger.warning("alert webhook %s gave up on %s alert for model %s: %s",
                               self.settings.url, alert.alert_type, alert.model_id, reason)
                self._count(alert, "failed")
                return
            self._count(alert, "retried")
            delay = backoff_delay(attempt, self.settings.backoff_seconds,
                                  self.settings.backoff_max_seconds, self._rng)
            if self._stopping.wait(delay):
                self._count(alert, "failed")
                return

    def _post(self, client: httpx.Client, payload: dict[str, Any]) -> tuple[bool, str | None]:
        """(retryable, reason) — reason is None on success."""
        try:
            response = client.post(self.settings.url, json=payload, headers=dict(self.settings.headers))
        except httpx.TimeoutException as exc:
            return True, f"timed out after {self.settings.timeout_seconds}s ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            return True, f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return False, None
        retryable = response.status_code == 429 or response.status_code >= 500
        return retryable, f"HTTP {response.status_code}"

    def _count(self, alert: Alert, outcome: Outcome) -> None:
        try:
            self._on_outcome(alert.model_id, alert.alert_type, outcome)
        except Exception:
            logger.exception("alert outcome hook failed")
