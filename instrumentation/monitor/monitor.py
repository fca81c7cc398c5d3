"""``ModelMonitor``: forecast errors, drift and alerts for served models.

Typical use (the seed's loop, with :meth:`ModelMonitor.start` running it)::

    monitor = ModelMonitor({"metrics_port": 8002, "alert_webhook": "http://alerts:8080/api/alerts"})
    monitor.register_model("tft-sales", "1.0.0")
    monitor.load_reference_data("tft-sales", "data/reference/sales_reference.csv")
    monitor.start()                      # /metrics, the alert worker and the cycle loop
    ...
    monitor.record_batch_metrics("tft-sales", predictions, actuals, features_df)

``record_*`` calls only update counters and copy features into a fixed-size ring
buffer; they never do network I/O or statistics, so they stay fast however slow the
webhook or the drift check is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from instrumentation.metrics import MetricsPipeline, default_pipeline
from instrumentation.monitor.alerts import Alert, AlertDispatcher, WebhookSettings
from instrumentation.monitor.config import MonitorConfig
from instrumentation.monitor.drift import DriftMethod, DriftReport, check_drift
from instrumentation.monitor.forecast_metrics import ForecastErrors, forecast_errors
from instrumentation.monitor.metrics import MonitorMetrics
from instrumentation.monitor.model_stats import ModelStatsMixin, PredictionStats
from instrumentation.monitor.quality import QualityState, schema_changes, window_quality
from instrumentation.monitor.reference import ReferenceProfile
from instrumentation.monitor.window import FeatureWindow

logger = logging.getLogger(__name__)


class MonitorError(Exception):
    """A misuse of the monitor the caller can fix (the message says how)."""


class UnknownModelError(MonitorError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass
class _Model:
    model_id: str
    version: str
    metadata: dict[str, Any]
    registered_at: str
    labels: dict[str, str]
    reference: ReferenceProfile | None = None
    window: FeatureWindow | None = None
    pending_predictions: list[float] = field(default_factory=list)
    pending_actuals: list[float] = field(default_factory=list)
    last_report: DriftReport | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    quality: QualityState = field(default_factory=QualityState)
    stats: PredictionStats = None  # type: ignore[assignment]  # set by register_model


class ModelMonitor(ModelStatsMixin):
    """Monitors registered models; see the module docstring."""

    def __init__(
        self,
        config: MonitorConfig | Mapping[str, Any] | None = None,
        *,
        pipeline: MetricsPipeline | None = None,
    ) -> None:
        self.config = config if isinstance(config, MonitorConfig) else MonitorConfig(**dict(config or {}))
        self.pipeline = pipeline if pipeline is not None else default_pipeline()
        self.metrics = MonitorMetrics(self.pipeline)
        self._models: dict[str, _Model] = {}
        self._alerts: AlertDispatcher | None = None
        if self.config.alert_webhook:
            self._alerts = AlertDispatcher(
                WebhookSettings(
                    url=self.config.alert_webhook,
                    headers=self.config.webhook_headers,
                    timeout_seconds=self.config.webhook_timeout_seconds,
                    max_retries=self.config.webhook_max_retries,
                    backoff_seconds=self.config.webhook_backoff_seconds,
                    backoff_max_seconds=self.config.webhook_backoff_max_seconds,
                    dedup_seconds=self.config.alert_dedup_seconds,
                    queue_size=self.config.alert_queue_size,
                ),
                on_outcome=self._count_alert,
            )
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self._server: Any = None

    # -- registration ---------------------------------------------------------------

    def register_model(self, model_id: str, model_version: str, metadata: Mapping[str, Any] | None = None) -> None:
        """Start monitoring ``model_id``; registering again switches its version label."""
        previous = self._models.get(model_id)
        model = _Model(
            model_id=model_id,
            version=str(model_version),
            metadata=dict(metadata or {}),
            registered_at=datetime.now(UTC).isoformat(),
            labels={"model_id": model_id, "model_version": str(model_version)},
        )
        if previous is not None and previous.reference is not None:
            model.reference = previous.reference
            model.window = FeatureWindow(len(previous.reference.features), self.config.window_size)
        model.stats = PredictionStats.create(self.config.window_size, previous.stats if previous else None)
        if previous is not None:  # a new version is compared with the same reference importances
            model.quality = previous.quality
        self._models[model_id] = model
        self._start_schema_counters(model)
        if previous is not None and previous.version != model.version:
            self.metrics.info.set(0, previous.labels)
        self.metrics.info.set(1, model.labels)
        if previous is None:
            self._start_deployment_counts(model_id)
        logger.info("registered model %s version %s for monitoring", model_id, model_version)

    def record_deployment(self, model_id: str, model_version: str, *, kind: str = "deploy",
                          success: bool = True) -> None:
        """Count a deployment or rollback of ``model_id`` to ``model_version``
        (``model_deployments_total``); a successful one switches the monitored version, and
        ``model_info``, to it."""
        from instrumentation.catalog import DEPLOYMENT_KINDS

        if kind not in DEPLOYMENT_KINDS:
            raise MonitorError(f"unknown deployment kind {kind!r}; use one of: {', '.join(DEPLOYMENT_KINDS)}")
        model = self._model(model_id)
        self.metrics.deployments.add(1, {"model_id": model_id, "kind": kind,
                                         "outcome": "success" if success else "failure"})
        logger.info("%s of model %s to version %s: %s", kind, model_id, model_version,
                    "success" if success else "failure")
        if success and str(model_version) != model.version:
            self.register_model(model_id, str(model_version), model.metadata)

    def _start_deployment_counts(self, model_id: str) -> None:
        """Every deployment series at 0, so the first deployment or rollback is an increase."""
        from instrumentation.catalog import DEPLOYMENT_KINDS, DEPLOYMENT_OUTCOMES

        for kind in DEPLOYMENT_KINDS:
            for outcome in DEPLOYMENT_OUTCOMES:
                self.metrics.deployments.add(0, {"model_id": model_id, "kind": kind, "outcome": outcome})

    def load_reference_data(self, model_id: str, path_or_dataframe: Any) -> bool:
        """Prepare the drift reference from a CSV path, a DataFrame or a column mapping.

        Returns False (and logs why) when the file cannot be read or has no columns,
        like the seed; the window for current data is (re)created empty.
        """
        model = self._model(model_id)
        try:
            data = _read_table(path_or_dataframe)
            profile = ReferenceProfile.from_columns(data, n_bins=self.config.n_bins)
        except (OSError, ValueError, ImportError) as exc:
            logger.error("could not load reference data for model %s: %s", model_id, exc)
            return False
        with model.lock:
            model.reference = profile
            model.window = FeatureWindow(len(profile.features), self.config.window_size)
        self._start_schema_counters(model)
        logger.info("loaded reference data for model %s: %d features", model_id, len(profile.features))
        return True

    # -- recording (hot path: counters and a ring-buffer copy only) -------------------

    def record_prediction(
        self,
        model_id: str,
        features: Mapping[str, Any] | None,
        prediction: float,
        actual: float | None = None,
        latency: float | None = None,
    ) -> None:
        """Count one prediction, observe its latency (seconds), keep its features for
        drift, and add its error to the running sums when ``actual`` is known."""
        model = self._model(model_id)
        labels = model.labels
        self.metrics.predictions.add(1, labels)
        if latency is not None and np.isfinite(latency) and latency >= 0:
            self.metrics.latency.record(float(latency), labels)
        if features is not None:
            self._ingest(model, {k: [v] for k, v in features.items()}, 1)
        self._record_single_prediction(model, prediction, actual)
        if actual is not None:
            errors = forecast_errors([prediction], [actual])
            self._add_sums(model, errors)
            if errors.n:
                with model.lock:
                    model.pending_predictions.append(float(prediction))
                    model.pending_actuals.append(float(actual))
                    overflow = len(model.pending_actuals) - self.config.evaluation_window
                    if overflow > 0:
                        del model.pending_predictions[:overflow]
                        del model.pending_actuals[:overflow]

    def record_batch_metrics(
        self,
        model_id: str,
        predictions: Any,
        actuals: Any,
        features_df: Any = None,
        *,
        lower: Any = None,
        upper: Any = None,
        latencies: Any = None,
        duration: float | None = None,
    ) -> ForecastErrors | None:
        """Count a batch of predictions, set the error gauges from it (when ``actuals``
        is given), add to the running error sums, and keep ``features_df`` (a DataFrame,
        a column mapping, or an array with the reference's columns) for drift.

        ``lower``/``upper`` are the prediction intervals (coverage and mean width) and
        ``duration`` the seconds the model took for the batch (``model_batch_duration_seconds``);
        the predictions also go to the prediction histogram and drift window (``model_stats``)."""
        model = self._model(model_id)
        labels = model.labels
        n = int(np.shape(predictions)[0]) if predictions is not None else _n_rows(features_df)
        self.metrics.predictions.add(n, labels)
        if latencies is not None:
            for value in np.asarray(latencies, dtype=np.float64).reshape(-1):
                if np.isfinite(value) and value >= 0:
                    self.metrics.latency.record(float(value), labels)
        errors = None
        if actuals is not None and predictions is not None:
            errors = forecast_errors(predictions, actuals, lower, upper)
            self._add_sums(model, errors)
            self._set_gauges(model, errors)
        if predictions is not None:  # histogram, batch size and rows, bias, mse, interval width
            self._record_prediction_stats(model, predictions, actuals, errors, lower, upper, duration)
        if features_df is not None:
            self._ingest(model, features_df, _n_rows(features_df))
        return errors

    def record_feature_importance(self, model_id: str, importances: Mapping[str, float]) -> None:
        """Set ``model_feature_importance`` per feature (non-finite scores are skipped).

        The first importances recorded for a model are its reference importances (unless
        :meth:`set_reference_importance` set them); each cycle exports the rank correlation
        of the latest importances with them."""
        model = self._model(model_id)
        finite: dict[str, float] = {}
        for name, value in importances.items():
            score = float(value)
            if not np.isfinite(score):
                logger.warning("skipping non-finite importance %r of feature %s (model %s)", value, name, model_id)
                continue
            self.metrics.feature_importance.set(score, {**model.labels, "feature_name": str(name)})
            finite[str(name)] = score
        model.quality.record_importance(finite)

    def set_reference_importance(self, model_id: str, importances: Mapping[str, float]) -> None:
        """Compare later importances with these (e.g. the validated model's) instead of the first recorded."""
        model = self._model(model_id)
        model.quality.set_reference_importance(
            {str(name): float(v) for name, v in importances.items() if np.isfinite(float(v))})

    # -- drift ------------------------------------------------------------------------

    def detect_drift(self, model_id: str, method: DriftMethod | None = None, threshold: float | None = None) -> DriftReport:
        """Test every reference feature against the current window and export the result.

        ``threshold`` is the family-wise alpha for ``ks`` and the score threshold for
        ``js``/``psi`` (defaults from the config). Features with fewer than
        ``min_samples_for_drift`` finite current values are reported, not tested.
        """
        model = self._model(model_id)
        if model.reference is None or model.window is None:
            raise MonitorError(
                f"no reference data for model {model_id!r}: call load_reference_data({model_id!r}, ...) first"
            )
        method = method or self.config.drift_method
        if method not in ("ks", "js", "psi"):
            raise MonitorError(f"unknown drift method {method!r} for model {model_id!r}: use 'ks', 'js' or 'psi'")
        decision = threshold if threshold is not None else self.config.threshold_for(method)
        snapshot = model.window.snapshot()
        features = check_drift(
            model.reference,
            snapshot,
            method=method,
            threshold=decision,
            correction=self.config.correction,
            min_samples=self.config.min_samples_for_drift,
            threads=self.config.drift_threads,
        )
        report = DriftReport(
            model_id=model_id,
            model_version=model.version,
            method=method,
            correction=self.config.correction,
            threshold=decision,
            window_rows=int(snapshot.shape[1]),
            features=tuple(features),
        )
        self._export_drift(model, report)
        model.last_report = report
        return report

    def _export_drift(self, model: _Model, report: DriftReport) -> None:
        for feature in report.features:
            if feature.score is None:
                continue
            labels = {**model.labels, "feature_name": feature.feature}
            self.metrics.set(self.metrics.drift_score, feature.score, labels)
            if feature.p_value is not None:
                self.metrics.set(self.metrics.drift_p_value, feature.p_value, labels)
            self.metrics.feature_drifted.set(1 if feature.drifted else 0, labels)
        self.metrics.drift_detected.set(1 if report.drift_detected else 0, model.labels)
        if report.drift_detected:
            logger.warning("drift detected for model %s in features %s", model.model_id, report.drifted_features)

    # -- the cycle ----------------------------------------------------------------------

    def run_monitoring_cycle(self) -> dict[str, DriftReport]:
        """One pass over every model: error gauges from pending single predictions, a
        drift check once the window holds ``min_samples_for_drift`` rows, a drift alert
        when enabled, and the optional performance endpoint. One model's failure is
        logged and does not stop the others."""
        reports: dict[str, DriftReport] = {}
        for model_id, model in list(self._models.items()):
            try:
                self._evaluate_pending(model)
                self._prediction_cycle(model)
                self._export_quality(model)
                if model.window is not None and model.window.filled >= self.config.min_samples_for_drift:
                    report = self.detect_drift(model_id)
                    reports[model_id] = report
                    if report.drift_detected and self.config.alert_on_drift:
                        self.send_alert(
                            model_id,
                            "drift",
                            f"Data drift detected for model {model_id} in {', '.join(report.drifted_features)}",
                            details={"method": report.method, "drifted_features": report.drifted_features},
                        )
                if self.config.performance_endpoint:
                    self._fetch_performance(model)
            except Exception:
                logger.exception("monitoring cycle failed for model %s", model_id)
        return reports

    def send_alert(self, model_id: str, alert_type: str, message: str, details: Mapping[str, Any] | None = None) -> bool:
        """Queue a webhook alert (no-op without ``alert_webhook``). Never blocks."""
        model = self._model(model_id)
        logger.warning("ALERT %s for model %s: %s", alert_type, model_id, message)
        if self._alerts is None:
            return False
        return self._alerts.submit(Alert(model_id, model.version, alert_type, message, dict(details or {})))

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Serve ``/metrics`` (if ``metrics_port`` is set) and run a cycle every
        ``monitoring_interval`` seconds on a daemon thread until :meth:`stop`."""
        if self._loop is not None and self._loop.is_alive():
            return
        if self.config.metrics_port is not None and self._server is None:
            from prometheus_client import start_http_server

            self._server, _ = start_http_server(
                self.config.metrics_port, addr=self.config.metrics_addr, registry=self.pipeline.registry
            )
            logger.info("serving model metrics on %s:%s", self.config.metrics_addr, self.metrics_port)
        self._stop.clear()
        self._loop = threading.Thread(target=self._run_loop, name="model-monitor", daemon=True)
        self._loop.start()

    @property
    def metrics_port(self) -> int | None:
        """The bound metrics port (useful with ``metrics_port=0``)."""
        return int(self._server.server_port) if self._server is not None else self.config.metrics_port

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop, the alert worker and the metrics server."""
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout)
            self._loop = None
        if self._alerts is not None:
            self._alerts.stop(timeout)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for_alerts(self, timeout: float) -> bool:
        """Block until queued alerts are delivered or given up on (tests, shutdown)."""
        return self._alerts.wait_idle(timeout) if self._alerts is not None else True

    def _run_loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_monitoring_cycle()
            logger.info("completed monitoring cycle in %.3fs", time.monotonic() - started)
            self._stop.wait(self.config.monitoring_interval)

    # -- internals ------------------------------------------------------------------------

    def _model(self, model_id: str) -> _Model:
        model = self._models.get(model_id)
        if model is None:
            raise UnknownModelError(
                f"model {model_id!r} is not registered: call register_model({model_id!r}, version) first"
            )
        return model

    def _ingest(self, model: _Model, columns: Any, n_rows: int) -> None:
        if model.reference is None or model.window is None or n_rows == 0:
            return
        if isinstance(columns, np.ndarray):
            if any(f.kind == "categorical" for f in model.reference.features):
                raise MonitorError(
                    f"model {model.model_id!r} has categorical features: pass features as a DataFrame "
                    "or a column mapping, not a numpy array"
                )
            block = np.asarray(columns, dtype=np.float64).reshape(n_rows, -1)
            invalid = _invalid_counts(block, model.reference.names)
        else:
            self._check_schema(model, columns)
            block, invalid = model.reference.encode(columns, n_rows)
        model.window.append(block)
        for name, (n_nan, n_inf) in invalid.items():
            labels = {**model.labels, "feature_name": name}
            if n_nan:
                self.metrics.invalid_values.add(n_nan, {**labels, "reason": "nan"})
            if n_inf:
                self.metrics.invalid_values.add(n_inf, {**labels, "reason": "inf"})

    def _start_schema_counters(self, model: _Model) -> None:
        """Export the schema-change series of the reference columns at 0, so the first bad
        frame is an increase Prometheus sees (a series born at 1 shows no increase)."""
        for name in model.reference.names if model.reference is not None else ():
            for change in ("missing", "retyped"):
                self.metrics.schema_changes.add(0, {**model.labels, "feature_name": name, "change": change})

    def _check_schema(self, model: _Model, columns: Any) -> None:
        if model.reference is None:
            return
        for change in schema_changes(model.reference, columns):
            label = model.quality.label_of(change)
            self.metrics.schema_changes.add(1, {**model.labels, "feature_name": label, "change": change.change})
            if model.quality.first_time(label, change):
                logger.warning("schema change in features of model %s: %s", model.model_id, change.describe(),
                               extra={"model_id": model.model_id, "feature_name": change.feature,
                                      "change": change.change, "expected_kind": change.expected,
                                      "got_kind": change.got})

    def _export_quality(self, model: _Model) -> None:
        """Missing and out-of-range shares of the window, and the importance rank correlation."""
        if model.reference is not None and model.window is not None:
            for feature in window_quality(model.reference, model.window.snapshot()):
                labels = {**model.labels, "feature_name": feature.feature}
                self.metrics.set(self.metrics.missing_share, feature.missing_share, labels)
                if feature.out_of_range_share is not None:
                    self.metrics.set(self.metrics.out_of_range_share, feature.out_of_range_share, labels)
        correlation = model.quality.importance_correlation()
        if correlation is not None:
            self.metrics.set(self.metrics.importance_rank_correlation, correlation, model.labels)

    def _add_sums(self, model: _Model, errors: ForecastErrors) -> None:
        labels = model.labels
        if errors.n == 0:
            return
        self.metrics.evaluated.add(errors.n, labels)
        self.metrics.add(self.metrics.absolute_error, errors.sum_absolute_error, labels)
        self.metrics.add(self.metrics.squared_error, errors.sum_squared_error, labels)
        self.metrics.add(self.metrics.absolute_actual, errors.sum_absolute_actual, labels)
        if errors.zero_actuals:
            self.metrics.zero_actuals.add(errors.zero_actuals, labels)

    def _set_gauges(self, model: _Model, errors: ForecastErrors) -> None:
        for metric_type, value in errors.gauges().items():
            self.metrics.error.set(value, {**model.labels, "metric_type": metric_type})
        if errors.coverage is not None:
            self.metrics.coverage.set(errors.coverage, model.labels)

    def _evaluate_pending(self, model: _Model) -> None:
        with model.lock:
            predictions, actuals = model.pending_predictions, model.pending_actuals
            model.pending_predictions, model.pending_actuals = [], []
        if actuals:
            errors = forecast_errors(predictions, actuals)
            self._set_gauges(model, errors)
            self._set_pending_error_stats(model, predictions, actuals, errors)

    def _fetch_performance(self, model: _Model) -> None:
        import httpx

        from instrumentation.catalog import MODEL_PREDICTION_ERROR

        url = f"{self.config.performance_endpoint}/models/{model.model_id}/performance"
        response = httpx.get(url, headers=self.config.api_headers, timeout=self.config.http_timeout_seconds)
        if response.status_code != 200:
            logger.warning("performance endpoint %s returned HTTP %d", url, response.status_code)
            return
        body = response.json()
        known = MODEL_PREDICTION_ERROR.label_values["metric_type"]
        for metric_type, value in (body.get("metrics") or {}).items():
            if metric_type in known and isinstance(value, int | float):
                self.metrics.set(self.metrics.error, float(value), {**model.labels, "metric_type": metric_type})
        if isinstance(body.get("feature_importance"), dict):
            self.record_feature_importance(model.model_id, body["feature_importance"])

    def _count_alert(self, model_id: str, alert_type: str, outcome: str) -> None:
        self.metrics.alerts.add(1, {"model_id": model_id, "alert_type": alert_type, "outcome": outcome})


def _n_rows(columns: Any) -> int:
    if columns is None:
        return 0
    if hasattr(columns, "shape"):
        return int(columns.shape[0])
    first = next(iter(columns.values()), [])
    return len(first)


def _invalid_counts(block: np.ndarray, names: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    if block.shape[1] != len(names):
        raise MonitorError(f"feature array has {block.shape[1]} columns, the reference has {len(names)}: {names}")
    n_nan = np.count_nonzero(np.isnan(block), axis=0)
    n_inf = np.count_nonzero(np.isinf(block), axis=0)
    return {name: (int(a), int(b)) for name, a, b in zip(names, n_nan, n_inf, strict=True) if a or b}


def _read_table(source: Any) -> Any:
    if isinstance(source, str | Path):
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("reading reference CSV files needs pandas: pip install pandas") from exc
        return pd.read_csv(source)
    return source
