"""HTTP alert rules (http_alerts.yml): the share of server errors and the p95 response time of
each service instrumented with obscode (instrumentation-http), at a warning and a critical
level. One rule per service and level, so ``service`` and ``owner`` come from the job."""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, at_two_levels, with_runbooks
from .config import CONFIG, Job, QuantisConfig


def _http_jobs(config: QuantisConfig) -> list[Job]:
    """The scrape jobs whose targets emit instrumentation-http."""
    jobs = {job.name: job for job in (config.api, config.model_service, config.database, config.node)}
    return [jobs[name] for name, catalogs in config.job_catalogs if "instrumentation-http" in catalogs]


def error_ratio_rules(config: QuantisConfig, job: Job) -> list[AlertRule]:
    t, f = config.thresholds, config.for_
    sel = f'job="{job.name}"'
    errors = f'sum by (job) (rate(http_requests_total{{{sel}, status=~"{t.server_error_status}"}}[5m]))'
    total = f"sum by (job) (rate(http_requests_total{{{sel}}}[5m]))"
    return at_two_levels(
        "HighHttpErrorRatio", t.error_ratio_warning, t.error_ratio_critical,
        expr=lambda ratio: f"{errors} / {total} > {ratio:g}",
        for_=f.http_errors,
        labels=lambda severity: _labels(severity, "system", job.name, job.owner),
        summary="Server errors on {{ $labels.job }}",
        description=lambda ratio: f"More than {ratio * 100:g}% of the requests to {job.name} failed with status "
                                  f"{t.server_error_status} for {_human(f.http_errors)}",
    )


def latency_rules(config: QuantisConfig, job: Job) -> list[AlertRule]:
    t, f = config.thresholds, config.for_
    buckets = f'rate(http_request_duration_seconds_bucket{{job="{job.name}"}}[5m])'
    return at_two_levels(
        "SlowHttpResponses", t.api_p95_seconds_warning, t.api_p95_seconds_critical,
        expr=lambda seconds: f"histogram_quantile(0.95, sum by (job, le) ({buckets})) > {seconds:g}",
        for_=f.slow_http,
        labels=lambda severity: _labels(severity, "system", job.name, job.owner),
        summary="Slow responses from {{ $labels.job }}",
        description=lambda seconds: f"95th percentile response time of {job.name} is above "
                                    f"{round(seconds * 1000)}ms for {_human(f.slow_http)}",
    )


def http_alerts(config: QuantisConfig = CONFIG) -> RuleFile:
    jobs = _http_jobs(config)
    return with_runbooks(config, RuleFile(name="http_alerts", groups=[RuleGroup(name="http", rules=[
        *(rule for job in jobs for rule in error_ratio_rules(config, job)),
        *(rule for job in jobs for rule in latency_rules(config, job)),
    ])]))
