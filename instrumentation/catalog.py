"""Every metric the ``instrumentation`` package emits, as plain data.

This module is the single source of truth: the runtime builds its OpenTelemetry
instruments from these entries, and ``obscode`` reads them (without importing
OpenTelemetry) to check that dashboards and alerts only query what is emitted.

It must stay importable with nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MetricType = Literal["counter", "gauge", "histogram"]
Instrument = Literal["counter", "up_down_counter", "histogram", "gauge"]

#: Histogram buckets in seconds, 5 ms to 10 s (never the SDK's millisecond defaults).
SECONDS_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)

# OpenTelemetry unit -> suffix the Prometheus exporter appends to the name.
_UNIT_SUFFIX = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "", "": ""}


@dataclass(frozen=True)
class MetricSpec:
    """One metric family: the OTel instrument to build and what Prometheus will see.

    ``name`` is the OpenTelemetry instrument name; :attr:`prometheus_name` is the
    family name after the exporter adds the unit suffix (and ``_total`` on the
    samples of counters).
    """

    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...] = ()
    unit: str = ""
    instrument: Instrument | None = None
    buckets: tuple[float, ...] | None = None
    #: Known values per label, where the set is closed (e.g. ``metric_type``).
    label_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def instrument_kind(self) -> Instrument:
        if self.instrument is not None:
            return self.instrument
        return {"counter": "counter", "histogram": "histogram", "gauge": "gauge"}[self.type]

    @property
    def prometheus_unit(self) -> str:
        """The unit as the Prometheus exporter names it (``seconds`` for ``s``), or ``""``."""
        return _UNIT_SUFFIX.get(self.unit, self.unit)

    @property
    def prometheus_name(self) -> str:
        """Family name as exposed (without the ``_total``/``_bucket`` sample suffixes)."""
        suffix = self.prometheus_unit
        if suffix and not self.name.endswith("_" + suffix):
            return f"{self.name}_{suffix}"
        return self.name


HTTP_LABELS = ("method", "path", "status")

#: ``path`` of requests that matched no route (so random URLs cannot create series).
UNMATCHED_PATH = "<unmatched>"
#: Value of the collapsed labels on a metric's overflow series (past its series limit).
OVERFLOW_VALUE = "<overflow>"
#: ``method`` of requests whose method is not a standard HTTP method.
OTHER_METHOD = "_OTHER"

HTTP_REQUESTS = MetricSpec(
    name="http_requests",
    type="counter",
    help="HTTP requests served, by method, route template and status code.",
    labels=HTTP_LABELS,
)
HTTP_REQUEST_DURATION = MetricSpec(
    name="http_request_duration",
    type="histogram",
    unit="s",
    help="HTTP request duration in seconds, by method and route template.",
    labels=("method", "path"),
    buckets=SECONDS_BUCKETS,
)
HTTP_REQUESTS_IN_PROGRESS = MetricSpec(
    name="http_requests_in_progress",
    type="gauge",
    instrument="up_down_counter",
    help="HTTP requests currently being served, by method.",
    labels=("method",),
)
INSTRUMENTATION_ERRORS = MetricSpec(
    name="obscode_instrumentation_errors",
    type="counter",
    help="Failures inside the instrumentation (exporter, log sink, hook) that were contained.",
    labels=("component",),
)

MODEL_LABELS = ("model_id", "model_version")

MODEL_PREDICTIONS = MetricSpec(
    name="model_predictions",
    type="counter",
    help="Predictions served, by model.",
    labels=MODEL_LABELS,
)
MODEL_PREDICTION_LATENCY = MetricSpec(
    name="model_prediction_latency",
    type="histogram",
    unit="s",
    help="Prediction latency in seconds, by model.",
    labels=MODEL_LABELS,
    buckets=SECONDS_BUCKETS,
)
MODEL_PREDICTION_ERROR = MetricSpec(
    name="model_prediction_error",
    type="gauge",
    help="Forecast error of the last evaluated batch, by metric type (MAPE, WAPE, sMAPE and bias_percent "
    "in percent; bias is the signed mean of prediction - actual).",
    labels=MODEL_LABELS + ("metric_type",),
    label_values={"metric_type": ("mae", "mape", "rmse", "r2", "wape", "smape", "mse", "bias", "bias_percent")},
)
MODEL_ABSOLUTE_ERROR = MetricSpec(
    name="model_absolute_error",
    type="counter",
    help="Sum of |prediction - actual| over evaluated predictions.",
    labels=MODEL_LABELS,
)
MODEL_SQUARED_ERROR = MetricSpec(
    name="model_squared_error",
    type="counter",
    help="Sum of (prediction - actual)^2 over evaluated predictions.",
    labels=MODEL_LABELS,
)
MODEL_ABSOLUTE_ACTUAL = MetricSpec(
    name="model_absolute_actual",
    type="counter",
    help="Sum of |actual| over evaluated predictions (WAPE denominator).",
    labels=MODEL_LABELS,
)
MODEL_EVALUATED = MetricSpec(
    name="model_evaluated_predictions",
    type="counter",
    help="Predictions evaluated against an actual value.",
    labels=MODEL_LABELS,
)
MODEL_ZERO_ACTUALS = MetricSpec(
    name="model_zero_actuals",
    type="counter",
    help="Evaluated predictions whose actual was zero, left out of MAPE.",
    labels=MODEL_LABELS,
)
MODEL_INTERVAL_COVERAGE = MetricSpec(
    name="model_prediction_interval_coverage",
    type="gauge",
    help="Share of actuals inside the prediction interval in the last evaluated batch (0-1).",
    labels=MODEL_LABELS,
)
MODEL_FEATURE_IMPORTANCE = MetricSpec(
    name="model_feature_importance",
    type="gauge",
    help="Feature importance score, by feature.",
    labels=MODEL_LABELS + ("feature_name",),
)
MODEL_DRIFT_SCORE = MetricSpec(
    name="model_drift_score",
    type="gauge",
    help="Drift statistic of the last check, by feature (KS D, Jensen-Shannon distance base 2, or PSI).",
    labels=MODEL_LABELS + ("feature_name",),
)
MODEL_DRIFT_P_VALUE = MetricSpec(
    name="model_drift_p_value",
    type="gauge",
    help="p-value of the last drift test, by feature (KS and chi-square only).",
    labels=MODEL_LABELS + ("feature_name",),
)
MODEL_FEATURE_DRIFTED = MetricSpec(
    name="model_feature_drifted",
    type="gauge",
    help="1 when this feature drifted in the last check (after the multiple-testing correction), else 0.",
    labels=MODEL_LABELS + ("feature_name",),
)
MODEL_DRIFT_DETECTED = MetricSpec(
    name="model_drift_detected",
    type="gauge",
    help="1 when the last drift check found drift in any feature after correction, else 0.",
    labels=MODEL_LABELS,
)
MODEL_INVALID_FEATURE_VALUES = MetricSpec(
    name="model_invalid_feature_values",
    type="counter",
    help="Feature values left out of drift tests because they were NaN or infinite.",
    labels=MODEL_LABELS + ("feature_name", "reason"),
    label_values={"reason": ("nan", "inf")},
)
MODEL_FEATURE_MISSING_SHARE = MetricSpec(
    name="model_feature_missing_share",
    type="gauge",
    help="Share of the current window's rows whose feature value is missing (NaN or None), by feature (0-1).",
    labels=MODEL_LABELS + ("feature_name",),
)
MODEL_FEATURE_OUT_OF_RANGE_SHARE = MetricSpec(
    name="model_feature_out_of_range_share",
    type="gauge",
    help="Share of the current window's rows whose feature value is outside the reference's [min, max] "
         "(or a category the reference lacks), by feature (0-1).",
    labels=MODEL_LABELS + ("feature_name",),
)
MODEL_FEATURE_SCHEMA_CHANGES = MetricSpec(
    name="model_feature_schema_changes",
    type="counter",
    help="Recorded feature frames that differ from the reference schema, by column and change.",
    labels=MODEL_LABELS + ("feature_name", "change"),
    label_values={"change": ("missing", "extra", "retyped")},
)
MODEL_FEATURE_IMPORTANCE_RANK_CORRELATION = MetricSpec(
    name="model_feature_importance_rank_correlation",
    type="gauge",
    help="Spearman rank correlation of the current feature importances with the reference importances (-1 to 1).",
    labels=MODEL_LABELS,
)
#: Default bounds of ``model_prediction_value`` (MonitorConfig.prediction_buckets sets a model's own).
PREDICTION_BUCKETS: tuple[float, ...] = (
    0.0, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 25000.0,
    50000.0, 100000.0,
)
#: Rows per recorded batch, 1 to 50,000.
BATCH_SIZE_BUCKETS: tuple[float, ...] = (
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 50000.0,
)

# Prediction statistics (instrumentation.monitor.model_stats).
MODEL_PREDICTION_VALUE = MetricSpec(
    name="model_prediction_value",
    type="histogram",
    help="Distribution of the predicted values (buckets from MonitorConfig.prediction_buckets).",
    labels=MODEL_LABELS,
    buckets=PREDICTION_BUCKETS,
)
MODEL_PREDICTION_DRIFT_SCORE = MetricSpec(
    name="model_prediction_drift_score",
    type="gauge",
    help="Drift statistic of the recent predictions against the reference predictions "
    "(KS D, Jensen-Shannon distance base 2, or PSI, as the monitor's drift_method).",
    labels=MODEL_LABELS,
)
MODEL_PREDICTION_DRIFT_P_VALUE = MetricSpec(
    name="model_prediction_drift_p_value",
    type="gauge",
    help="p-value of the last prediction drift test (KS only).",
    labels=MODEL_LABELS,
)
MODEL_PREDICTION_DRIFTED = MetricSpec(
    name="model_prediction_drifted",
    type="gauge",
    help="1 when the last check found the predictions drifted from the reference predictions, else 0.",
    labels=MODEL_LABELS,
)
MODEL_INTERVAL_WIDTH = MetricSpec(
    name="model_prediction_interval_width",
    type="gauge",
    help="Mean width (upper - lower) of the prediction intervals of the last batch that had bounds.",
    labels=MODEL_LABELS,
)
MODEL_ANOMALY_SCORE = MetricSpec(
    name="model_anomaly_score",
    type="gauge",
    help="Score the model's registered anomaly scorer gave the last scored batch (its own scale).",
    labels=MODEL_LABELS,
)
MODEL_LOAD_DURATION = MetricSpec(
    name="model_load_duration",
    type="gauge",
    unit="s",
    help="Seconds the last successful load of the model took (ModelMonitor.model_loading).",
    labels=MODEL_LABELS,
)
MODEL_MEMORY = MetricSpec(
    name="model_memory",
    type="gauge",
    unit="By",
    help="Memory of the model in bytes, as its registered source reports it (a fixed estimate, "
    "a callable, or estimate_nbytes of the model object).",
    labels=MODEL_LABELS,
)
MODEL_BATCH_SIZE = MetricSpec(
    name="model_batch_size",
    type="histogram",
    help="Rows per recorded prediction batch.",
    labels=MODEL_LABELS,
    buckets=BATCH_SIZE_BUCKETS,
)
MODEL_BATCH_ROWS = MetricSpec(
    name="model_batch_rows",
    type="counter",
    help="Rows of recorded prediction batches (rate: batch throughput in rows per second).",
    labels=MODEL_LABELS,
)
MODEL_BATCH_DURATION = MetricSpec(
    name="model_batch_duration",
    type="histogram",
    unit="s",
    help="Seconds the model took per batch, when the caller passes duration= (rows / this sum: "
    "rows per second of model time).",
    labels=MODEL_LABELS,
    buckets=SECONDS_BUCKETS,
)
MODEL_HOOK_ERRORS = MetricSpec(
    name="model_monitor_hook_errors",
    type="counter",
    help="Exceptions raised by a model's registered hooks (anomaly scorer, memory source), by hook.",
    labels=MODEL_LABELS + ("hook",),
    label_values={"hook": ("anomaly_score", "memory")},
)
#: What model_stats adds to MODEL_METRICS.
MODEL_STATS_METRICS: tuple[MetricSpec, ...] = (
    MODEL_PREDICTION_VALUE,
    MODEL_PREDICTION_DRIFT_SCORE,
    MODEL_PREDICTION_DRIFT_P_VALUE,
    MODEL_PREDICTION_DRIFTED,
    MODEL_INTERVAL_WIDTH,
    MODEL_ANOMALY_SCORE,
    MODEL_LOAD_DURATION,
    MODEL_MEMORY,
    MODEL_BATCH_SIZE,
    MODEL_BATCH_ROWS,
    MODEL_BATCH_DURATION,
    MODEL_HOOK_ERRORS,
)
MODEL_MONITOR_ALERTS = MetricSpec(
    name="model_monitor_alerts",
    type="counter",
    help="Model-monitor webhook alerts, by outcome.",
    labels=("model_id", "alert_type", "outcome"),
    label_values={"outcome": ("sent", "failed", "dropped", "deduplicated", "retried")},
)

#: Deployment events, recorded by ``ModelMonitor.record_deployment`` (see docs/mlops.md).
DEPLOYMENT_KINDS: tuple[str, ...] = ("deploy", "rollback")
DEPLOYMENT_OUTCOMES: tuple[str, ...] = ("success", "failure")
MODEL_DEPLOYMENTS = MetricSpec(
    name="model_deployments",
    type="counter",
    help="Deployments and rollbacks of a model, by kind and outcome (the version deployed is model_info's).",
    # No model_version label: a series per target version would start at 1, and increase()
    # cannot see a first sample. These start at 0 when the model is registered.
    labels=("model_id", "kind", "outcome"),
    label_values={"kind": DEPLOYMENT_KINDS, "outcome": DEPLOYMENT_OUTCOMES},
)
MODEL_INFO = MetricSpec(
    name="model_info",
    type="gauge",
    help="1 for the model version the monitor serves now, 0 for versions it served before.",
    labels=MODEL_LABELS,
)

#: The semantic conventions' ``http.client.request.duration``, recorded by the HTTP client
#: instrumentation (``instrumentation.clients``) for every outgoing httpx or requests call.
HTTP_CLIENT_REQUEST_DURATION = MetricSpec(
    name="http_client_request_duration",
    type="histogram",
    unit="s",
    help="Outgoing HTTP request duration in seconds (until the response headers), "
    "by method, server, status code and error type.",
    labels=("http_request_method", "server_address", "server_port", "http_response_status_code", "error_type"),
    buckets=SECONDS_BUCKETS,
)

#: Windows of ``active_users`` (``instrumentation.activity``): 5 minutes, 1 hour, 1 day.
ACTIVE_USER_WINDOWS: tuple[str, ...] = ("5m", "1h", "1d")
#: Session durations in seconds, 10 s to 8 h.
SESSION_BUCKETS: tuple[float, ...] = (
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0,
)

ACTIVE_USERS = MetricSpec(
    name="active_users",
    type="gauge",
    help="Distinct users seen in the window, estimated in process by a HyperLogLog sketch "
    "(relative standard error 1.04/sqrt(4096), about 1.6%).",
    labels=("window",),
    label_values={"window": ACTIVE_USER_WINDOWS},
)
API_USAGE = MetricSpec(
    name="api_usage",
    type="counter",
    help="API requests by route template and plan (a declared set; other and none otherwise).",
    labels=("path", "plan"),
)
FEATURE_USAGE = MetricSpec(
    name="feature_usage",
    type="counter",
    help="Uses of a declared product feature, by feature and plan.",
    labels=("feature", "plan"),
)
SESSION_DURATION = MetricSpec(
    name="user_session_duration",
    type="histogram",
    unit="s",
    help="Duration of ended user sessions in seconds.",
    buckets=SESSION_BUCKETS,
)

#: Value a bounded audit label takes for anything outside its declared values.
OTHER_VALUE = "other"

AUDIT_AUTHENTICATIONS = MetricSpec(
    name="audit_authentication_events",
    type="counter",
    help="Authentication attempts, by method and outcome (instrumentation.audit).",
    labels=("auth_method", "outcome"),
    label_values={
        "auth_method": ("password", "api_key", "token", "oauth", "session", "mfa", "certificate", OTHER_VALUE),
        "outcome": ("success", "failure", "unknown"),
    },
)
AUDIT_AUTHORIZATIONS = MetricSpec(
    name="audit_authorization_decisions",
    type="counter",
    help="Authorization decisions, by decision and the service's declared resource and action.",
    labels=("decision", "resource", "action"),
    label_values={"decision": ("allow", "deny")},
)
AUDIT_RATE_LIMIT_HITS = MetricSpec(
    name="audit_rate_limit_hits",
    type="counter",
    help="Requests the service's own rate limiter refused, by declared limit.",
    labels=("limit",),
)
AUDIT_RATE_LIMITED_RESPONSES = MetricSpec(
    name="audit_rate_limited_responses",
    type="counter",
    help="HTTP 429 responses, by method and route template.",
    labels=("method", "path"),
)
AUDIT_DATA_ACCESSES = MetricSpec(
    name="audit_data_access_events",
    type="counter",
    help="Data-access events, by the service's declared resource, action and outcome.",
    labels=("resource", "action", "outcome"),
    label_values={"outcome": ("success", "failure", "unknown")},
)
AUDIT_FAILED_LOGINS_TOP_CLIENT = MetricSpec(
    name="audit_authentication_failures_top_client",
    type="gauge",
    help="Failed authentications of the one client with the most of them over the last 5 minutes "
    "(no client label: the client is never exported).",
)

#: The process's own resources (``instrumentation.process_metrics``), under the names every
#: Prometheus client library uses; with several workers, sums over the live workers.
PROCESS_CPU_SECONDS = MetricSpec(
    name="process_cpu_seconds",
    type="counter",
    unit="s",
    help="Total user and system CPU time spent in seconds.",
)
PROCESS_RESIDENT_MEMORY = MetricSpec(
    name="process_resident_memory",
    type="gauge",
    unit="By",
    help="Resident memory size in bytes.",
)
PROCESS_VIRTUAL_MEMORY = MetricSpec(
    name="process_virtual_memory",
    type="gauge",
    unit="By",
    help="Virtual memory size in bytes.",
)
PROCESS_OPEN_FDS = MetricSpec(
    name="process_open_fds",
    type="gauge",
    help="Number of open file descriptors.",
)
PROCESS_MAX_FDS = MetricSpec(
    name="process_max_fds",
    type="gauge",
    help="Maximum number of open file descriptors.",
)
PROCESS_METRICS: tuple[MetricSpec, ...] = (
    PROCESS_CPU_SECONDS,
    PROCESS_RESIDENT_MEMORY,
    PROCESS_VIRTUAL_MEMORY,
    PROCESS_OPEN_FDS,
    PROCESS_MAX_FDS,
)

#: Training and validation runs, pushed to a Prometheus Pushgateway by
#: ``instrumentation.training`` (prometheus_client, not OpenTelemetry; grouped by model_id and kind).
RUN_KINDS: tuple[str, ...] = ("training", "validation")
#: Validation metrics a run may report (``run.metric(name, value)``); MAPE, WAPE and sMAPE in percent.
VALIDATION_METRICS: tuple[str, ...] = ("mae", "mape", "mse", "rmse", "r2", "smape", "wape")
TRAINING_LABELS = ("model_id", "kind", "model_version", "dataset_version")
TRAINING_RUN_DURATION = MetricSpec(
    name="training_run_duration",
    type="gauge",
    unit="s",
    help="Wall-clock duration of the model's latest training or validation run in seconds.",
    labels=TRAINING_LABELS,
    label_values={"kind": RUN_KINDS},
)
TRAINING_RUN_SUCCESS = MetricSpec(
    name="training_run_success",
    type="gauge",
    help="1 when the model's latest run of this kind succeeded, 0 when it failed.",
    labels=TRAINING_LABELS,
    label_values={"kind": RUN_KINDS},
)
TRAINING_RUN_FINISHED = MetricSpec(
    name="training_run_finished_timestamp",
    type="gauge",
    unit="s",
    help="Unix time the model's latest run of this kind ended, successful or not.",
    labels=TRAINING_LABELS,
    label_values={"kind": RUN_KINDS},
)
TRAINING_LAST_SUCCESS = MetricSpec(
    name="training_last_success_timestamp",
    type="gauge",
    unit="s",
    help="Unix time the model's latest successful run of this kind ended (kept when a later run fails).",
    labels=TRAINING_LABELS,
    label_values={"kind": RUN_KINDS},
)
TRAINING_LOSS = MetricSpec(
    name="training_loss",
    type="gauge",
    help="Last loss the model's latest run reported.",
    labels=TRAINING_LABELS,
    label_values={"kind": RUN_KINDS},
)
TRAINING_VALIDATION_METRIC = MetricSpec(
    name="training_validation_metric",
    type="gauge",
    help="Validation metrics of the model's latest run, by metric (MAPE, WAPE and sMAPE in percent).",
    labels=TRAINING_LABELS + ("metric",),
    label_values={"kind": RUN_KINDS, "metric": VALIDATION_METRICS},
)
TRAINING_METRICS: tuple[MetricSpec, ...] = (
    TRAINING_RUN_DURATION,
    TRAINING_RUN_SUCCESS,
    TRAINING_RUN_FINISHED,
    TRAINING_LAST_SUCCESS,
    TRAINING_LOSS,
    TRAINING_VALIDATION_METRIC,
)

#: What an instrumented FastAPI service emits.
HTTP_METRICS: tuple[MetricSpec, ...] = (
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS_IN_PROGRESS,
    INSTRUMENTATION_ERRORS,
    *PROCESS_METRICS,
)

#: What a process running a ``ModelMonitor`` emits.
MODEL_METRICS: tuple[MetricSpec, ...] = (
    MODEL_PREDICTIONS,
    MODEL_PREDICTION_LATENCY,
    MODEL_PREDICTION_ERROR,
    MODEL_ABSOLUTE_ERROR,
    MODEL_SQUARED_ERROR,
    MODEL_ABSOLUTE_ACTUAL,
    MODEL_EVALUATED,
    MODEL_ZERO_ACTUALS,
    MODEL_INTERVAL_COVERAGE,
    MODEL_FEATURE_IMPORTANCE,
    MODEL_DRIFT_SCORE,
    MODEL_DRIFT_P_VALUE,
    MODEL_FEATURE_DRIFTED,
    MODEL_DRIFT_DETECTED,
    MODEL_INVALID_FEATURE_VALUES,
    MODEL_MONITOR_ALERTS,
    MODEL_DEPLOYMENTS,
    MODEL_INFO,
    MODEL_FEATURE_MISSING_SHARE,
    MODEL_FEATURE_OUT_OF_RANGE_SHARE,
    MODEL_FEATURE_SCHEMA_CHANGES,
    MODEL_FEATURE_IMPORTANCE_RANK_CORRELATION,
    *MODEL_STATS_METRICS,
)

#: What an instrumented service adds once it makes outgoing HTTP calls (httpx, requests).
HTTP_CLIENT_METRICS: tuple[MetricSpec, ...] = (HTTP_CLIENT_REQUEST_DURATION,)

#: What a service counting user activity emits (``instrumentation.activity``; its ``specs()``
#: gives these with the service's declared plans and features as label values).
ACTIVITY_METRICS: tuple[MetricSpec, ...] = (ACTIVE_USERS, API_USAGE, FEATURE_USAGE, SESSION_DURATION)

#: What a service using ``instrumentation.audit`` adds.
AUDIT_METRICS: tuple[MetricSpec, ...] = (
    AUDIT_AUTHENTICATIONS,
    AUDIT_AUTHORIZATIONS,
    AUDIT_RATE_LIMIT_HITS,
    AUDIT_RATE_LIMITED_RESPONSES,
    AUDIT_DATA_ACCESSES,
    AUDIT_FAILED_LOGINS_TOP_CLIENT,
)

#: Every metric the package can create.
ALL_METRICS: tuple[MetricSpec, ...] = (
    HTTP_METRICS + HTTP_CLIENT_METRICS + MODEL_METRICS + AUDIT_METRICS + ACTIVITY_METRICS
    + TRAINING_METRICS
)


def by_name(name: str) -> MetricSpec:
    """Return the spec whose instrument or Prometheus name is ``name``."""
    for spec in ALL_METRICS:
        if name in (spec.name, spec.prometheus_name):
            return spec
    raise KeyError(f"no metric named {name!r} in instrumentation.catalog")
