"""The model monitor's OpenTelemetry instruments, built from ``instrumentation.catalog``.

Every instrument comes from a ``MODEL_*`` catalog entry through
:meth:`instrumentation.metrics.MetricsPipeline.instrument`, so the monitor can only
emit what the catalog (and therefore every dashboard and alert check) knows about.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from instrumentation import catalog
from instrumentation.metrics import MetricsPipeline


class MonitorMetrics:
    """Thin, NaN-proof wrappers over the model instruments of one pipeline."""

    def __init__(self, pipeline: MetricsPipeline) -> None:
        self.pipeline = pipeline
        get = pipeline.instrument
        self.predictions = get(catalog.MODEL_PREDICTIONS)
        self.latency = get(catalog.MODEL_PREDICTION_LATENCY)
        self.error = get(catalog.MODEL_PREDICTION_ERROR)
        self.absolute_error = get(catalog.MODEL_ABSOLUTE_ERROR)
        self.squared_error = get(catalog.MODEL_SQUARED_ERROR)
        self.absolute_actual = get(catalog.MODEL_ABSOLUTE_ACTUAL)
        self.evaluated = get(catalog.MODEL_EVALUATED)
        self.zero_actuals = get(catalog.MODEL_ZERO_ACTUALS)
        self.coverage = get(catalog.MODEL_INTERVAL_COVERAGE)
        self.feature_importance = get(catalog.MODEL_FEATURE_IMPORTANCE)
        self.drift_score = get(catalog.MODEL_DRIFT_SCORE)
        self.drift_p_value = get(catalog.MODEL_DRIFT_P_VALUE)
        self.feature_drifted = get(catalog.MODEL_FEATURE_DRIFTED)
        self.drift_detected = get(catalog.MODEL_DRIFT_DETECTED)
        self.invalid_values = get(catalog.MODEL_INVALID_FEATURE_VALUES)
        self.alerts = get(catalog.MODEL_MONITOR_ALERTS)
        self.deployments = get(catalog.MODEL_DEPLOYMENTS)
        self.info = get(catalog.MODEL_INFO)
        # Prediction statistics (model_stats); the prediction-value histogram takes the
        # monitor's configured buckets, so ModelStatsMixin builds it.
        self.prediction_drift_score = get(catalog.MODEL_PREDICTION_DRIFT_SCORE)
        self.prediction_drift_p_value = get(catalog.MODEL_PREDICTION_DRIFT_P_VALUE)
        self.prediction_drifted = get(catalog.MODEL_PREDICTION_DRIFTED)
        self.interval_width = get(catalog.MODEL_INTERVAL_WIDTH)
        self.anomaly_score = get(catalog.MODEL_ANOMALY_SCORE)
        self.load_duration = get(catalog.MODEL_LOAD_DURATION)
        self.memory = get(catalog.MODEL_MEMORY)
        self.batch_size = pipeline.histogram(catalog.MODEL_BATCH_SIZE)
        self.batch_rows = get(catalog.MODEL_BATCH_ROWS)
        self.batch_duration = pipeline.histogram(catalog.MODEL_BATCH_DURATION)
        self.hook_errors = get(catalog.MODEL_HOOK_ERRORS)
        self.missing_share = get(catalog.MODEL_FEATURE_MISSING_SHARE)
        self.out_of_range_share = get(catalog.MODEL_FEATURE_OUT_OF_RANGE_SHARE)
        self.schema_changes = get(catalog.MODEL_FEATURE_SCHEMA_CHANGES)
        self.importance_rank_correlation = get(catalog.MODEL_FEATURE_IMPORTANCE_RANK_CORRELATION)

    @staticmethod
    def add(counter: Any, amount: float, attributes: Mapping[str, str]) -> None:
        """Add a finite, positive amount (anything else would corrupt a monotonic sum)."""
        if amount > 0 and math.isfinite(amount):
            counter.add(amount, attributes)

    @staticmethod
    def set(gauge: Any, value: float, attributes: Mapping[str, str]) -> None:
        """Set a gauge, unless the value is NaN or infinite (never exported)."""
        if math.isfinite(value):
            gauge.set(value, attributes)
