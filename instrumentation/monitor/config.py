"""Configuration of a :class:`~instrumentation.monitor.ModelMonitor`.

The field names accept the seed ``model_monitor.py`` config dict unchanged
(``metrics_port``, ``min_samples_for_drift``, ``drift_method``, ``drift_threshold``,
``alert_on_drift``, ``alert_webhook``, ``performance_endpoint``, ``monitoring_interval``).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from instrumentation.catalog import PREDICTION_BUCKETS

#: Default family-wise significance level of the ``ks`` and chi-square tests.
DEFAULT_ALPHA = 0.05
#: Default drift thresholds of the score methods (``ks`` uses ``alpha`` instead).
DEFAULT_SCORE_THRESHOLDS: dict[str, float] = {"js": 0.1, "psi": 0.2}
#: Most bounds ``prediction_buckets`` may have (each is one series per model).
MAX_PREDICTION_BUCKETS = 64


class MonitorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Serve ``/metrics`` from the monitor's pipeline on this port when started (None: don't).
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_addr: str = "0.0.0.0"

    #: Rows per model kept for drift checks; memory is ``window_size x features x 8`` bytes.
    window_size: int = Field(default=10_000, ge=10)
    #: A feature with fewer finite current values than this is not tested.
    min_samples_for_drift: int = Field(default=100, ge=1)
    drift_method: Literal["ks", "js", "psi"] = "ks"
    #: Family-wise significance level of the ``ks`` (and chi-square) tests.
    alpha: float = Field(default=DEFAULT_ALPHA, gt=0.0, lt=1.0)
    #: Threshold of ``drift_method``: alpha for ``ks``, the score threshold for ``js`` and
    #: ``psi``. None (and for other methods): ``alpha`` for ``ks``, DEFAULT_SCORE_THRESHOLDS for the others.
    drift_threshold: float | None = Field(default=None, gt=0.0)
    correction: Literal["bonferroni", "bh", "none"] = "bonferroni"
    #: Reference-quantile bins for ``js`` and ``psi`` (plus a bin below and above the range).
    n_bins: int = Field(default=10, ge=2, le=1000)
    #: Threads computing KS statistics in one drift check.
    drift_threads: int = Field(default=1, ge=1, le=64)
    #: Single predictions with actuals kept for the error gauges of the next cycle.
    evaluation_window: int = Field(default=1_000, ge=1)

    alert_on_drift: bool = True
    alert_webhook: str | None = None
    webhook_headers: dict[str, str] = Field(default_factory=dict)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0.0)
    webhook_max_retries: int = Field(default=5, ge=0)
    webhook_backoff_seconds: float = Field(default=0.5, ge=0.0)
    webhook_backoff_max_seconds: float = Field(default=30.0, ge=0.0)
    #: The same alert type for the same model is sent at most once per this many seconds.
    alert_dedup_seconds: float = Field(default=3600.0, ge=0.0)
    alert_queue_size: int = Field(default=100, ge=1)

    #: Optional ``GET {performance_endpoint}/models/{model_id}/performance`` each cycle.
    performance_endpoint: str | None = None
    api_headers: dict[str, str] = Field(default_factory=dict)
    http_timeout_seconds: float = Field(default=5.0, gt=0.0)

    #: Seconds between monitoring cycles of :meth:`ModelMonitor.start`.
    monitoring_interval: float = Field(default=300.0, gt=0.0)

    #: Bucket bounds of ``model_prediction_value`` (at most MAX_PREDICTION_BUCKETS, finite,
    #: increasing): set them to the range your model predicts. One set per metrics pipeline.
    prediction_buckets: tuple[float, ...] = PREDICTION_BUCKETS

    @field_validator("prediction_buckets")
    @classmethod
    def _bounded_buckets(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not 1 <= len(value) <= MAX_PREDICTION_BUCKETS:
            raise ValueError(f"prediction_buckets needs 1 to {MAX_PREDICTION_BUCKETS} bounds, got {len(value)}")
        if not all(math.isfinite(bound) for bound in value):
            raise ValueError(f"prediction_buckets must be finite numbers (+Inf is always added), got {value}")
        if any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError(f"prediction_buckets must be strictly increasing, got {value}")
        return tuple(float(bound) for bound in value)

    @model_validator(mode="after")
    def _window_holds_min_samples(self) -> MonitorConfig:
        if self.min_samples_for_drift > self.window_size:
            raise ValueError(
                f"min_samples_for_drift ({self.min_samples_for_drift}) is larger than window_size "
                f"({self.window_size}): drift could never be checked; raise window_size or lower it"
            )
        return self

    def threshold_for(self, method: str) -> float:
        """The decision threshold ``detect_drift`` uses for ``method`` by default."""
        if self.drift_threshold is not None and method == self.drift_method:
            return self.drift_threshold
        return self.alpha if method == "ks" else DEFAULT_SCORE_THRESHOLDS[method]
