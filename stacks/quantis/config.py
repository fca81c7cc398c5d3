"""Every threshold, selector and address of the Quantis stack, in one place.

Read this first: the rest of the stack is built from these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Job:
    name: str
    targets: tuple[str, ...]
    interval: str | None = None  # None: the global scrape_interval
    owner: str = "platform-team"  # the owner label of the alerts about this job's targets


@dataclass(frozen=True)
class Thresholds:
    cpu_idle_ratio_below: float = 0.2          # HighCpuUsage: idle < 20% = busy > 80%
    memory_used_ratio_above: float = 0.9       # HighMemoryUsage (warning)
    memory_used_ratio_critical: float = 0.97   # HighMemoryUsage (critical: pages; mutes the warning)
    model_mape_percent_above: float = 15       # HighModelError
    # Drift panels draw the seed's line on the drift score for the eye. DataDriftDetected does
    # not compare scores: it fires on the monitor's per-feature decision (model_feature_drifted),
    # made with the monitor's own method and threshold (the service's ModelMonitor config).
    drift_score_above: float = 0.05
    prediction_p95_seconds_above: float = 0.5  # SlowPredictions
    # Each pair below is one alert at two severities: the critical one mutes the warning
    # (the inhibit rule's equal alertname and service). Panels colour by the same values.
    disk_used_ratio_warning: float = 0.8       # DiskSpaceLow: share of a filesystem used
    disk_used_ratio_critical: float = 0.9
    ignored_filesystems: str = "tmpfs|overlay|squashfs|ramfs"  # fstype regex left out of disk space
    server_error_status: str = "5.."           # http_requests_total{status=~...} counted as errors
    error_ratio_warning: float = 0.01          # HighHttpErrorRatio: 5xx share of requests
    error_ratio_critical: float = 0.05
    api_p95_seconds_warning: float = 0.5       # SlowHttpResponses: p95 of http_request_duration_seconds
    api_p95_seconds_critical: float = 1.0
    connection_use_warning: float = 0.7        # PostgresConnectionsSaturated: connections / max_connections
    connection_use_critical: float = 0.9
    deadlocks_above: float = 0                 # PostgresDeadlocks: deadlocks in the window below
    deadlock_window: str = "10m"
    replication_lag_seconds_warning: float = 30    # PostgresReplicationLag
    replication_lag_seconds_critical: float = 300
    cache_hit_ratio_warning: float = 0.95      # PostgresLowCacheHitRatio fires below; the panel turns yellow
    cache_hit_ratio_good: float = 0.99         # ...and the panel green from here up
    cache_hit_window: str = "10m"
    # Databases the cache-hit alert leaves out: PostgreSQL's templates, which only autovacuum reads
    # (its first visits of a fresh cluster miss the cache and would fire the alert by themselves).
    ignored_databases: str = "template0|template1"
    interface_error_ratio_above: float = 0.01  # NetworkInterfaceErrors: errors / packets, per direction
    interface_drop_ratio_above: float = 0.01   # NetworkInterfaceDrops: drops / packets, per direction
    ignored_network_devices: str = "lo"        # device regex the network alerts and panels leave out


@dataclass(frozen=True)
class For:
    """How long a condition must hold before the alert fires."""

    high_cpu: str = "5m"
    high_memory: str = "5m"
    service_down: str = "1m"
    high_model_error: str = "30m"
    data_drift: str = "1h"
    slow_predictions: str = "15m"
    disk_space: str = "5m"
    http_errors: str = "5m"
    slow_http: str = "10m"
    connections: str = "5m"
    deadlocks: str = "1m"
    replication_lag: str = "5m"
    cache_hit: str = "15m"
    interface_errors: str = "10m"


@dataclass(frozen=True)
class DashboardSettings:
    """Grafana dashboards: time ranges, refresh and the thresholds panels colour by.

    Panels colour by the alert thresholds above (``Thresholds``), so a panel turns orange or
    red exactly when its alert's condition holds.
    """

    refresh: str = "30s"
    time_from: str = "now-6h"
    model_time_from: str = "now-24h"   # the seed's Model Performance range
    rate_window: str = "5m"            # the seed's rate() window for request and prediction rates


@dataclass(frozen=True)
class Objectives:
    """Service level objectives (percent of good events over 30 days) and their SLI settings."""

    api_availability: str = "99.9"        # non-5xx responses of the API
    api_latency: str = "99"               # API requests answered within the bound below
    api_latency_seconds: str = "0.5"      # a bucket bound of http_request_duration_seconds
    prediction_success: str = "99.5"      # forecasts (POST /api/forecast) that do not fail
    forecast_path: str = "/api/forecast"


# Issue 18: one section per monitoring area. Each is filled by the module that uses it
# (named in its docstring); a threshold lives here, never in the alert or panel code.


@dataclass(frozen=True)
class DataQuality:
    """Data alerts from the model monitor (data_quality_alerts.py, dashboards/data_quality.py)."""

    # HighMissingValueShare: share of the monitor's window (its last rows) missing a feature.
    missing_share_warning: float = 0.05
    for_missing_values: str = "15m"
    # HighOutlierShare: share of the window outside the reference's [min, max] (or unseen categories).
    outlier_share_warning: float = 0.05
    for_outliers: str = "15m"
    # FeatureSchemaChanged: any recorded frame lacked, added or retyped a column within this window.
    schema_change_window: str = "10m"
    for_schema_change: str = "0s"   # one bad frame is already a broken pipeline
    # FeatureImportanceShift: Spearman rank correlation of current against reference importances below this.
    importance_rank_correlation_below: float = 0.5
    for_importance_shift: str = "30m"
    # Dashboard: invalid (NaN or infinite) values per second of one feature drawn red from here.
    invalid_values_per_second_warning: float = 0.1


@dataclass(frozen=True)
class ModelHealth:
    """Model metrics beyond the seed's errors (model_health_alerts.py, dashboards/model_performance.py)."""

    # HighPredictionBias: |bias_percent| of the last evaluated batch, 100 * sum(prediction - actual)
    # / sum|actual| (signed: over- and under-forecasting both count). The pair mutes as Thresholds' pairs.
    bias_percent_warning: float = 15
    bias_percent_critical: float = 40
    for_bias: str = "15m"
    # PredictionDriftDetected fires on the monitor's decision (model_prediction_drifted), made
    # with its own drift_method and threshold on the predictions against the reference predictions.
    for_prediction_drift: str = "30m"
    # Panels only: the load-time and memory stats turn orange from here (no alert: see model-monitoring.md).
    load_seconds_warning: float = 60
    memory_bytes_warning: float = 2 * 1024**3
    # The demo service's MonitorConfig.prediction_buckets: its daily sales forecasts, 0 to 1000 units.
    prediction_buckets: tuple[float, ...] = tuple(float(b) for b in range(0, 1001, 50))


@dataclass(frozen=True)
class MLOps:
    """Training, validation and deployment (mlops_alerts.py, dashboards/mlops.py)."""

    # TrainingRunFailed: the latest training or validation run of a model failed.
    for_training_failed: str = "5m"
    # StaleModel: no successful training run of a model for this long (a Prometheus duration).
    stale_after: str = "7d"
    for_stale_model: str = "1h"
    # ValidationRegression: the newest validation run's metric is worse (higher) than the
    # deployed version's last validation by more than this share (0.1: 10% higher).
    regression_metric: str = "mape"            # lower is better; one of catalog.VALIDATION_METRICS
    regression_margin: float = 0.1
    # How far back the deployed version's last validation is looked up (the retention).
    validation_lookback: str = "30d"
    for_validation_regression: str = "15m"
    # ModelRolledBack: a rollback within this window.
    rollback_window: str = "1h"
    for_rolled_back: str = "0m"


@dataclass(frozen=True)
class Security:
    """Authentication, authorization and rate limits (security_alerts.py, dashboards/security.py)."""

    owner: str = "security-team"                 # owner label of the security alerts
    # What the demo service's audit events may name (its AuditConfig): anything else is `other`.
    resources: tuple[str, ...] = ("forecast", "model")
    limits: tuple[str, ...] = ("login",)         # the demo service's rate limits
    # BruteForceSuspected: the one client with the most failed logins over 5 minutes
    # (audit_authentication_failures_top_client) failed more often than this.
    brute_force_failures_above: float = 20
    for_brute_force: str = "1m"
    # AuthorizationDenySpike: the share of denied authorization decisions over 5 minutes, and a
    # least number of denials per second, so a handful of denials at night does not fire it.
    deny_ratio_above: float = 0.5
    deny_rate_above: float = 0.05                # denials per second
    for_deny_spike: str = "5m"
    # RateLimitSaturation: the share of a route's requests answered 429 over 5 minutes.
    rate_limited_ratio_above: float = 0.25
    for_rate_limit: str = "5m"
    # The demo service's login limiter: at most this many attempts per client per window.
    login_attempts_per_window: int = 20
    login_window_seconds: float = 10.0


@dataclass(frozen=True)
class Activity:
    """User activity (activity_alerts.py, dashboards/user_activity.py)."""

    owner: str = "product-team"                  # owner label of the user-activity alerts
    # The demo service's declared label values (its UserActivity): any other plan reads `other`,
    # a request without one `none`; an undeclared feature is refused.
    plans: tuple[str, ...] = ("free", "pro", "enterprise")
    features: tuple[str, ...] = ("visit", "forecast", "backtest", "export")
    # The funnel: declared features in the order users are expected to reach them. Panels and
    # FunnelConversionLow compare the use rates of each step and the one before it.
    funnel: tuple[str, ...] = ("visit", "forecast", "export")
    funnel_window: str = "1h"                    # rate() window of the funnel ratios (alert and panels)
    # FunnelConversionLow: a step used less than this share as often as the step before it...
    funnel_conversion_below: float = 0.1
    funnel_min_rate: float = 0.01                # ...while the step before is used this often (per second)
    for_funnel_conversion: str = "30m"
    # ActiveUsersMissing: requests that say their plan (signed-in clients) arrive at this rate
    # (per second, over 5 minutes) while no user was seen in the last 5 minutes (active_users).
    identified_requests_min_rate: float = 0.05
    for_active_users_missing: str = "10m"
    # Session-duration quantiles on the dashboard.
    session_quantiles: tuple[float, ...] = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class Probes:
    """Blackbox probes and per-process resources (probe_alerts.py)."""

    # The blackbox exporter's prober module every target is probed with (the live stack writes
    # its module file, service/processes.py; production's exporter defines the same name).
    module: str = "http_2xx"
    # Scrape jobs whose targets are probed, each at http://<target><path>; ProbeFailed and
    # SlowProbe carry the job as service, and its owner.
    jobs: tuple[str, ...] = ("api", "model_service")
    path: str = "/health"
    # SlowProbe: probe_duration_seconds (DNS, connect, TLS and the response) above these.
    duration_seconds_warning: float = 0.5
    duration_seconds_critical: float = 2.0
    for_failed: str = "2m"       # ProbeFailed: probe_success == 0 this long (a restart takes less)
    for_slow: str = "10m"        # SlowProbe
    # HighProcessCpu: CPU seconds per second of a service's processes (1 = one core busy).
    cpu_cores_warning: float = 0.8
    cpu_cores_critical: float = 0.95
    cpu_window: str = "5m"
    for_cpu: str = "15m"
    # HighProcessMemory: resident memory of a service's processes, in bytes.
    resident_bytes_warning: float = 2 * 1024**3
    resident_bytes_critical: float = 4 * 1024**3
    for_memory: str = "15m"


@dataclass(frozen=True)
class QuantisConfig:
    scrape_interval: str = "15s"
    evaluation_interval: str = "15s"
    alertmanager_targets: tuple[str, ...] = ("alertmanager:9093",)
    # How long Prometheus keeps samples. Retention is a command-line flag of Prometheus
    # (--storage.tsdb.retention.time), not part of prometheus.yml: compose.yaml and the live
    # stack (service/processes.py) pass it; tests/quantis hold them to this value.
    prometheus_retention: str = "30d"
    api: Job = Job("api", ("api:8000",), "5s", owner="api-team")
    model_service: Job = Job("model_service", ("model-service:8001",), "10s", owner="data-science-team")
    database: Job = Job("database", ("db-exporter:9187",), owner="database-team")
    node: Job = Job("node", ("node-exporter:9100",), owner="platform-team")
    blackbox: Job = Job("blackbox", ("blackbox-exporter:9115",), owner="platform-team")  # probes: Probes.targets
    # Training jobs push their runs here; scraped with honor_labels (the pushed job label is kept).
    pushgateway: Job = Job("pushgateway", ("pushgateway:9091",), owner="data-science-team")
    kubelet_port: int = 10250
    node_exporter_port: int = 9100
    thresholds: Thresholds = field(default_factory=Thresholds)
    # What each scrape job's targets emit; every alert and panel query is checked against these.
    job_catalogs: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("pushgateway", ("instrumentation-training",)),
        ("api", ("instrumentation-http", "instrumentation-audit", "instrumentation-activity")),
        # The monitor's own port: model metrics and the process's, no HTTP requests (the API
        # answers those, and its job has them).
        ("model_service", ("instrumentation-model", "instrumentation-process")),
        ("database", ("postgres-exporter",)),
        ("node", ("node-exporter",)),
        ("blackbox", ("blackbox-exporter",)),
        ("kubernetes", ("node-exporter",)),  # relabelled to node-exporter on each node
    )
    allowed_severities: tuple[str, ...] = ("critical", "warning")
    require_runbook_url: bool = True  # every alert links its runbook (alerts/annotations checks it)
    # Every alert links its runbook: <runbook_base_url>/<alert name in kebab case>.
    runbook_base_url: str = "https://runbooks.quantis.example.com/alerts"
    availability_owner: str = "platform-team"  # owner of ServiceDown, whichever job is down
    for_: For = field(default_factory=For)
    objectives: Objectives = field(default_factory=Objectives)
    # Alertmanager
    group_by: tuple[str, ...] = ("alertname", "service")
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"
    resolve_timeout: str = "5m"
    smtp_smarthost: str = "smtp.quantis.example.com:587"
    smtp_from: str = "alertmanager@quantis.example.com"
    team_email: str = "team@quantis.example.com"
    slack_channel: str = "#data-science-alerts"
    # Secrets are files on the Alertmanager host, never values in this repository.
    pagerduty_service_key_file: str = "/etc/alertmanager/secrets/pagerduty-service-key"
    slack_webhook_url_file: str = "/etc/alertmanager/secrets/slack-webhook-url"
    # Grafana
    dashboards: DashboardSettings = field(default_factory=DashboardSettings)
    # Issue 18 areas (sections above)
    data_quality: DataQuality = field(default_factory=DataQuality)
    model_health: ModelHealth = field(default_factory=ModelHealth)
    mlops: MLOps = field(default_factory=MLOps)
    security: Security = field(default_factory=Security)
    activity: Activity = field(default_factory=Activity)
    probes: Probes = field(default_factory=Probes)


CONFIG = QuantisConfig()
