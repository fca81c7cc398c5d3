"""Alert tests of the Quantis alerts (promtool's unit tests, typed): each alert fires on the
right series after its `for`, and only there. Thresholds and durations come from config.py;
obscode synthesises tests for the alerts these do not name (DataDriftDetected, SlowPredictions).
"""

from __future__ import annotations

from obscode import AlertExpectation, AlertTest, ExpectedAlert, InputSeries
from obscode.model.duration import parse_duration

from .alerts import _human, _labels, runbook_url
from .config import CONFIG, Job, QuantisConfig


def _at(seconds: float) -> str:
    """An evaluation time: 750 -> '750s'."""
    return f"{round(seconds)}s"


def _seconds(duration: str) -> float:
    return parse_duration(duration) / 1000


def _samples(config: QuantisConfig, until: float) -> int:
    """How many evaluation steps reach past ``until`` seconds."""
    return int(until // _seconds(config.evaluation_interval)) + 2


def _expected(config: QuantisConfig, alertname: str, labels: dict[str, str], summary: str,
              description: str) -> ExpectedAlert:
    """The alert ``alertname`` with ``labels``, its summary, description and runbook link."""
    return ExpectedAlert(exp_labels=labels, exp_annotations={
        "summary": summary, "description": description, "runbook_url": runbook_url(config, alertname)})


def _quiet_then_firing(alertname: str, quiet: float, firing: float, alerts: list[ExpectedAlert]) -> list[AlertExpectation]:
    """No ``alertname`` at ``quiet`` seconds (before its ``for`` has passed); exactly ``alerts`` at ``firing``."""
    return [AlertExpectation(eval_time=_at(quiet), alertname=alertname),
            AlertExpectation(eval_time=_at(firing), alertname=alertname, exp_alerts=alerts)]


def high_cpu(config: QuantisConfig = CONFIG) -> AlertTest:
    """A busy node (idle at half the threshold) alerts after `for`; a quiet one never does."""
    step, below = _seconds(config.evaluation_interval), config.thresholds.cpu_idle_ratio_below
    hold = _seconds(config.for_.high_cpu)
    end = _samples(config, 300 + hold + 120)
    busy, quiet = below / 2, (1 + below) / 2  # idle CPU seconds per second
    return AlertTest(
        name="high-cpu",
        input_series=[
            InputSeries(series='node_cpu_seconds_total{instance="busy:9100", cpu="0", mode="idle"}',
                        values=f"0+{busy * step:g}x{end}"),
            InputSeries(series='node_cpu_seconds_total{instance="quiet:9100", cpu="0", mode="idle"}',
                        values=f"0+{quiet * step:g}x{end}"),
        ],
        alert_rule_test=_quiet_then_firing("HighCpuUsage", hold - 60, 300 + hold + 120, [_expected(
            config, "HighCpuUsage",
            {**_labels("warning", "system", config.node.name, config.node.owner), "instance": "busy:9100"},
            "High CPU usage on busy:9100",
            f"CPU usage is above {round((1 - below) * 100)}% for {_human(config.for_.high_cpu)}")]),
    )


def high_memory(config: QuantisConfig = CONFIG) -> AlertTest:
    """A node between the two thresholds gets the warning; one above both gets the warning
    and the critical alert; a half-full node neither."""
    t, hold = config.thresholds, _seconds(config.for_.high_memory)
    total = 16 * 2**30
    used = {"half:9100": t.memory_used_ratio_above / 2,
            "tight:9100": (t.memory_used_ratio_above + t.memory_used_ratio_critical) / 2,
            "full:9100": (t.memory_used_ratio_critical + 1) / 2}
    end = _samples(config, hold + 120)
    series = []
    for instance, ratio in used.items():
        labels = f'instance="{instance}", job="{config.node.name}"'
        series += [InputSeries(series=f"node_memory_MemTotal_bytes{{{labels}}}", values=f"{total}x{end}"),
                   InputSeries(series=f"node_memory_MemAvailable_bytes{{{labels}}}",
                               values=f"{round(total * (1 - ratio))}x{end}")]

    def alert(instance: str, severity: str, ratio: float) -> ExpectedAlert:
        return _expected(
            config, "HighMemoryUsage",
            {**_labels(severity, "system", config.node.name, config.node.owner), "instance": instance,
             "job": config.node.name},
            f"High memory usage on {instance}",
            f"Memory usage is above {round(ratio * 100)}% for {_human(config.for_.high_memory)}")

    return AlertTest(
        name="high-memory",
        input_series=series,
        alert_rule_test=_quiet_then_firing("HighMemoryUsage", hold - 60, hold + 120, [
            alert("tight:9100", "warning", t.memory_used_ratio_above),
            alert("full:9100", "warning", t.memory_used_ratio_above),
            alert("full:9100", "critical", t.memory_used_ratio_critical),
        ]),
    )


def service_down(config: QuantisConfig = CONFIG) -> AlertTest:
    """The API goes down after 10 steps and alerts `for` later; the node exporter stays up."""
    step, hold = _seconds(config.evaluation_interval), _seconds(config.for_.service_down)
    down_at = 11 * step
    api, node = config.api, config.node
    end = _samples(config, down_at + hold + 120)
    return AlertTest(
        name="service-down",
        input_series=[
            InputSeries(series=f'up{{job="{api.name}", instance="{api.targets[0]}"}}', values=f"1x10 0x{end}"),
            InputSeries(series=f'up{{job="{node.name}", instance="{node.targets[0]}"}}', values=f"1x{end + 11}"),
        ],
        alert_rule_test=[
            AlertExpectation(eval_time=_at(down_at - step), alertname="ServiceDown"),
            AlertExpectation(eval_time=_at(down_at + hold - step), alertname="ServiceDown"),
            AlertExpectation(eval_time=_at(down_at + hold + 60), alertname="ServiceDown", exp_alerts=[ExpectedAlert(
                exp_labels={"severity": "critical", "category": "system", "service": api.name,
                            "owner": config.availability_owner, "job": api.name, "instance": api.targets[0]},
                exp_annotations={"summary": f"Service {api.name} is down",
                                 "description": f"Service has been down for more than "
                                                f"{_human(config.for_.service_down)}",
                                 "runbook_url": runbook_url(config, "ServiceDown")},
            )]),
        ],
    )


def high_model_error(config: QuantisConfig = CONFIG) -> AlertTest:
    """One model above the MAPE threshold alerts after `for`; one below does not, nor does a
    high error of another kind (MAE is not MAPE)."""
    above, hold = config.thresholds.model_mape_percent_above, _seconds(config.for_.high_model_error)
    end = _samples(config, hold + 300)
    model = config.model_service.name
    return AlertTest(
        name="high-model-error",
        input_series=[
            InputSeries(series='model_prediction_error{model_id="tft-sales", model_version="1.0.0", metric_type="mape"}',
                        values=f"{above + 5:g}x{end}"),
            InputSeries(series='model_prediction_error{model_id="prophet-demand", model_version="2.1.0", '
                               'metric_type="mape"}', values=f"{above / 3:g}x{end}"),
            InputSeries(series='model_prediction_error{model_id="prophet-demand", model_version="2.1.0", '
                               'metric_type="mae"}', values=f"{above * 10:g}x{end}"),
        ],
        alert_rule_test=_quiet_then_firing("HighModelError", hold - 600, hold + 300, [_expected(
            config, "HighModelError",
            {**_labels("warning", "model", model, config.model_service.owner), "model_id": "tft-sales",
             "model_version": "1.0.0", "metric_type": "mape"},
            "High error rate for model tft-sales",
            f"MAPE is above {above:g}% for {_human(config.for_.high_model_error)}")]),
    )


def disk_space_low(config: QuantisConfig = CONFIG) -> AlertTest:
    """A filesystem between the two thresholds gets the warning; one above both gets the
    warning and the critical alert (which the seed's inhibit rule lets mute the warning); a
    half-used one neither, nor a full tmpfs (left out like on the dashboards)."""
    t, hold = config.thresholds, _seconds(config.for_.disk_space)
    size = 10**12
    used = {("tight", "ext4", "/"): (t.disk_used_ratio_warning + t.disk_used_ratio_critical) / 2,
            ("full", "xfs", "/var/lib/postgresql"): (t.disk_used_ratio_critical + 1) / 2,
            ("half", "ext4", "/"): t.disk_used_ratio_warning / 2,
            ("full", "tmpfs", "/run"): 1.0}
    end = _samples(config, hold + 120)
    series = []
    for (host, fstype, mountpoint), ratio in used.items():
        labels = (f'instance="{host}:9100", job="{config.node.name}", device="/dev/{host}", fstype="{fstype}", '
                  f'mountpoint="{mountpoint}"')
        series += [InputSeries(series=f"node_filesystem_size_bytes{{{labels}}}", values=f"{size}x{end}"),
                   InputSeries(series=f"node_filesystem_avail_bytes{{{labels}}}",
                               values=f"{round(size * (1 - ratio))}x{end}")]

    def alert(host: str, fstype: str, mountpoint: str, severity: str, ratio: float) -> ExpectedAlert:
        now = used[(host, fstype, mountpoint)]
        return _expected(
            config, "DiskSpaceLow",
            {**_labels(severity, "system", config.node.name, config.node.owner), "instance": f"{host}:9100",
             "job": config.node.name, "device": f"/dev/{host}", "fstype": fstype, "mountpoint": mountpoint},
            f"Disk {mountpoint} on {host}:9100 is filling up",
            f"More than {round(ratio * 100)}% of the filesystem is used for "
            f"{_human(config.for_.disk_space)} ({now * 100:.4g}% now)")

    return AlertTest(
        name="disk-space-low",
        input_series=series,
        alert_rule_test=_quiet_then_firing("DiskSpaceLow", hold - 60, hold + 120, [
            alert("tight", "ext4", "/", "warning", t.disk_used_ratio_warning),
            alert("full", "xfs", "/var/lib/postgresql", "warning", t.disk_used_ratio_warning),
            alert("full", "xfs", "/var/lib/postgresql", "critical", t.disk_used_ratio_critical),
        ]),
    )


def _http_alert(config: QuantisConfig, alertname: str, job: Job, severity: str, summary: str,
                description: str) -> ExpectedAlert:
    return _expected(config, alertname, {**_labels(severity, "system", job.name, job.owner), "job": job.name},
                     summary, description)


def _http_job(config: QuantisConfig) -> Job:
    """The one Quantis job that answers HTTP requests (instrumentation-http): the API."""
    return config.api


def high_http_error_ratio(config: QuantisConfig = CONFIG, critical: bool = False) -> AlertTest:
    """The API failing between the two ratios gets the warning; failing above both (``critical``),
    the warning and the critical alert; neither before `for`."""
    t, hold, job = config.thresholds, _seconds(config.for_.http_errors), _http_job(config)
    end = _samples(config, hold + 120)
    ratio = t.error_ratio_critical * 2 if critical else (t.error_ratio_warning + t.error_ratio_critical) / 2
    labels = f'job="{job.name}", instance="{job.targets[0]}", method="POST", path="/api/forecast"'
    series = [InputSeries(series=f'http_requests_total{{{labels}, status="200"}}',
                          values=f"0+{round(1000 * (1 - ratio))}x{end}"),
              InputSeries(series=f'http_requests_total{{{labels}, status="500"}}',
                          values=f"0+{round(1000 * ratio)}x{end}")]

    def alert(severity: str, above: float) -> ExpectedAlert:
        return _http_alert(config, "HighHttpErrorRatio", job, severity, f"Server errors on {job.name}",
                           f"More than {above * 100:g}% of the requests to {job.name} failed with status "
                           f"{t.server_error_status} for {_human(config.for_.http_errors)}")

    expected = [alert("warning", t.error_ratio_warning)]
    if critical:
        expected.append(alert("critical", t.error_ratio_critical))
    return AlertTest(
        name="high-http-error-ratio" + ("-critical" if critical else ""),
        input_series=series,
        alert_rule_test=_quiet_then_firing("HighHttpErrorRatio", hold - 60, hold + 120, expected),
    )


def slow_http_responses(config: QuantisConfig = CONFIG, critical: bool = False) -> AlertTest:
    """Every API request takes between the two p95 bounds (warning), or longer than both
    (``critical``: warning and critical); neither before `for`."""
    t, hold, job = config.thresholds, _seconds(config.for_.slow_http), _http_job(config)
    end = _samples(config, hold + 120)
    warning, critical_bound = t.api_p95_seconds_warning, t.api_p95_seconds_critical
    bounds = (warning / 2, warning, critical_bound, critical_bound * 2.5, "+Inf")
    # The bucket just above each request's duration, so p95 lands inside it.
    first_bucket = 3 if critical else 2
    labels = f'job="{job.name}", instance="{job.targets[0]}", method="POST", path="/api/forecast"'
    series = []
    for index, bound in enumerate(bounds):
        le = bound if isinstance(bound, str) else f"{bound:g}"
        per_step = 10 if index >= first_bucket else 0
        series.append(InputSeries(series=f'http_request_duration_seconds_bucket{{{labels}, le="{le}"}}',
                                  values=f"0+{per_step}x{end}"))

    def alert(severity: str, seconds: float) -> ExpectedAlert:
        return _http_alert(config, "SlowHttpResponses", job, severity, f"Slow responses from {job.name}",
                           f"95th percentile response time of {job.name} is above {round(seconds * 1000)}ms "
                           f"for {_human(config.for_.slow_http)}")

    expected = [alert("warning", warning)]
    if critical:
        expected.append(alert("critical", critical_bound))
    return AlertTest(
        name="slow-http-responses" + ("-critical" if critical else ""),
        input_series=series,
        alert_rule_test=_quiet_then_firing("SlowHttpResponses", hold - 60, hold + 120, expected),
    )


def postgres_low_cache_hit_ratio(config: QuantisConfig = CONFIG) -> AlertTest:
    """A database reading from disk more often than the threshold allows alerts after `for`;
    one served from shared buffers does not, nor a template database autovacuum reads."""
    t, hold, db = config.thresholds, _seconds(config.for_.cache_hit), config.database
    end = _samples(config, hold + 600)
    hits = {"forecasts": t.cache_hit_ratio_warning - 0.05, "quantis": (t.cache_hit_ratio_warning + 1) / 2,
            "template1": t.cache_hit_ratio_warning - 0.05}
    series = []
    for datname, ratio in hits.items():
        labels = f'job="{db.name}", instance="{db.targets[0]}", datid="1", datname="{datname}", server="db:5432"'
        series += [InputSeries(series=f"pg_stat_database_blks_hit{{{labels}}}",
                               values=f"0+{round(1000 * ratio)}x{end}"),
                   InputSeries(series=f"pg_stat_database_blks_read{{{labels}}}",
                               values=f"0+{round(1000 * (1 - ratio))}x{end}")]
    return AlertTest(
        name="postgres-low-cache-hit-ratio",
        input_series=series,
        alert_rule_test=_quiet_then_firing("PostgresLowCacheHitRatio", hold - 60, hold + 600, [_expected(
            config, "PostgresLowCacheHitRatio",
            {**_labels("warning", "system", db.name, db.owner), "instance": db.targets[0], "datname": "forecasts"},
            f"Low cache hit ratio of database forecasts on {db.targets[0]}",
            f"Fewer than {t.cache_hit_ratio_warning * 100:g}% of the blocks read were found "
            f"in shared buffers for {_human(config.for_.cache_hit)}")]),
    )


def alert_tests(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    from . import alert_tests_data_model, alert_tests_mlops, alert_tests_probes, alert_tests_security_activity

    areas = (alert_tests_data_model, alert_tests_mlops, alert_tests_security_activity, alert_tests_probes)
    return [*_seed_and_infrastructure(config), *(test for area in areas for test in area.alert_tests(config))]


def _seed_and_infrastructure(config: QuantisConfig) -> list[AlertTest]:
    return [high_cpu(config), high_memory(config), service_down(config), high_model_error(config),
            disk_space_low(config), high_http_error_ratio(config), high_http_error_ratio(config, critical=True),
            slow_http_responses(config), slow_http_responses(config, critical=True),
            postgres_low_cache_hit_ratio(config)]
