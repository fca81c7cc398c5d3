'''``obscode init NAME``: write a new stack package that generates and checks clean.'''

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import click

from obscode.errors import UsageError
from obscode.loader import STACKS_DIR
from obscode.output import read_tree, write_atomic

#: A stack folder is imported as a Python package and becomes generated/<name>/: no dots.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
#: The service is a job name and a label value written into PromQL strings.
_SERVICE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")

CONFIG = '''\
"""Every threshold, selector and address of the $name stack, in one place.

Read this first: the rest of the stack is built from these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """When an alert fires; the dashboard colours its panels at the same values."""

    error_ratio_warning: float = 0.01          # share of requests answered with a 5xx status
    error_ratio_critical: float = 0.05
    p95_latency_seconds_warning: float = 0.5   # 95th percentile request duration
    p95_latency_seconds_critical: float = 1.0


@dataclass(frozen=True)
class For:
    """How long a condition must hold before its alert fires."""

    errors: str = "5m"
    latency: str = "10m"
    target_down: str = "2m"


@dataclass(frozen=True)
class Config:
    thresholds: Thresholds = field(default_factory=Thresholds)
    for_: For = field(default_factory=For)
    rate_window: str = "5m"                    # rate() window of alerts and panels
    server_error_status: str = "5.."           # http_requests_total{status=~...} counted as errors
    # Prometheus
    scrape_interval: str = "15s"
    evaluation_interval: str = "15s"
    service_job: str = "$service"
    service_targets: tuple[str, ...] = ("$service:$service_port",)
    node_job: str = "node"
    node_targets: tuple[str, ...] = ("node-exporter:9100",)
    alertmanager_targets: tuple[str, ...] = ("alertmanager:9093",)
    # Alertmanager
    group_by: tuple[str, ...] = ("alertname", "job")
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"
    resolve_timeout: str = "5m"
    smtp_smarthost: str = "smtp.example.com:587"
    smtp_from: str = "alertmanager@example.com"
    smtp_auth_username: str = "alertmanager"
    team_email: str = "team@example.com"
    # Secrets are files on the Alertmanager host, never values in this repository.
    smtp_auth_password_file: str = "/etc/alertmanager/secrets/smtp-password"
    pagerduty_routing_key_file: str = "/etc/alertmanager/secrets/pagerduty-routing-key"
    # Grafana
    dashboard_refresh: str = "30s"
    dashboard_time_from: str = "now-6h"


CONFIG = Config()
'''

INIT = '''\
"""The $name stack: scrape jobs, alerts, routing and a dashboard for the $service service.

Thresholds and addresses live in ``config.py``; this module assembles them.
``obscode generate --profile local`` runs it on 127.0.0.1 (obscode's generic local profile;
define ``profiles = {"local": ...}`` here to adjust it, see docs/init.md).
"""

from obscode import Stack

from .alerts import alert_rules
from .config import CONFIG
from .dashboard import dashboard
from .routing import alertmanager
from .scrape import prometheus

stack = Stack(
    name="$name",
    prometheus=prometheus(CONFIG),
    rule_files=[alert_rules(CONFIG)],
    alertmanager=alertmanager(CONFIG),
    dashboards=[dashboard(CONFIG)],
    # What each scrape job's targets emit; every alert and panel query is checked against these.
    job_catalogs={
        CONFIG.service_job: ["instrumentation-http"],   # a FastAPI service using `import instrumentation`
        CONFIG.node_job: ["node-exporter"],
    },
    allowed_severities=["critical", "warning"],
)
'''

SCRAPE = '''\
"""Prometheus: what is scraped, how often, and where alerts go."""

from __future__ import annotations

from obscode import AlertmanagerEndpoint, GlobalConfig, PrometheusConfig, ScrapeConfig, StaticConfig

from .config import CONFIG, Config


def prometheus(config: Config = CONFIG) -> PrometheusConfig:
    return PrometheusConfig(
        global_=GlobalConfig(scrape_interval=config.scrape_interval, evaluation_interval=config.evaluation_interval),
        alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=list(config.alertmanager_targets))])],
        scrape_configs=[
            ScrapeConfig(job_name=config.service_job, static_configs=[StaticConfig(targets=list(config.service_targets))]),
            ScrapeConfig(job_name=config.node_job, static_configs=[StaticConfig(targets=list(config.node_targets))]),
        ],
    )
'''

ALERTS = '''\
"""Alerts on the service's HTTP metrics and on every target being up.

Errors and latency are defined at two severities under one name: Alertmanager's inhibit
rule (routing.py) mutes the warning while the critical one fires.
"""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .config import CONFIG, Config


def error_ratio(config: Config) -> str:
    job, window = config.service_job, config.rate_window
    return (f'sum by (job) (rate(http_requests_total{{job="{job}", status=~"{config.server_error_status}"}}[{window}]))'
            f' / sum by (job) (rate(http_requests_total{{job="{job}"}}[{window}]))')


def p95_latency(config: Config) -> str:
    return (f"histogram_quantile(0.95, sum by (job, le) "
            f'(rate(http_request_duration_seconds_bucket{{job="{config.service_job}"}}[{config.rate_window}])))')


def alert_rules(config: Config = CONFIG) -> RuleFile:
    t, f = config.thresholds, config.for_
    high_errors = [
        AlertRule(
            alert="HighErrorRate",
            expr=f"{error_ratio(config)} > {limit}",
            for_=f.errors,
            labels={"severity": severity},
            annotations={
                "summary": "{{ $$labels.job }} answers too many requests with errors",
                "description": f"More than {limit * 100:g}% of requests failed with a 5xx status "
                               "(now {{ $$value | humanizePercentage }}).",
            },
        )
        for severity, limit in (("warning", t.error_ratio_warning), ("critical", t.error_ratio_critical))
    ]
    slow = [
        AlertRule(
            alert="HighLatency",
            expr=f"{p95_latency(config)} > {limit}",
            for_=f.latency,
            labels={"severity": severity},
            annotations={
                "summary": "{{ $$labels.job }} responds slowly",
                "description": f"95th percentile request duration is above {limit}s "
                               "(now {{ $$value | humanizeDuration }}).",
            },
        )
        for severity, limit in (("warning", t.p95_latency_seconds_warning),
                                ("critical", t.p95_latency_seconds_critical))
    ]
    down = AlertRule(
        alert="TargetDown",
        expr="up == 0",
        for_=f.target_down,
        labels={"severity": "critical"},
        annotations={
            "summary": "{{ $$labels.job }} target {{ $$labels.instance }} is down",
            "description": "Prometheus could not scrape {{ $$labels.instance }} for " + f.target_down + ".",
        },
    )
    return RuleFile(name="alerts", groups=[
        RuleGroup(name="$service", rules=[*high_errors, *slow]),
        RuleGroup(name="targets", rules=[down]),
    ])
'''

ROUTING = '''\
"""Alertmanager: who hears about what."""

from __future__ import annotations

from obscode import (
    AlertmanagerConfig, AlertmanagerGlobal, EmailConfig, InhibitRule, PagerdutyConfig, Receiver, Route, SecretRef,
)

from .config import CONFIG, Config


def alertmanager(config: Config = CONFIG) -> AlertmanagerConfig:
    return AlertmanagerConfig(
        global_=AlertmanagerGlobal(
            resolve_timeout=config.resolve_timeout,
            smtp_smarthost=config.smtp_smarthost,
            smtp_from=config.smtp_from,
            smtp_auth_username=config.smtp_auth_username,
            smtp_auth_password=SecretRef(file=config.smtp_auth_password_file),
        ),
        route=Route(
            receiver="team-email",
            group_by=list(config.group_by),
            group_wait=config.group_wait,
            group_interval=config.group_interval,
            repeat_interval=config.repeat_interval,
            routes=[
                # Critical alerts page; warnings reach the team by email.
                Route(matchers=['severity="critical"'], receiver="pager"),
                Route(matchers=['severity="warning"'], receiver="team-email"),
            ],
        ),
        receivers=[
            Receiver(name="team-email", email_configs=[EmailConfig(to=config.team_email, send_resolved=True)]),
            Receiver(name="pager", pagerduty_configs=[
                PagerdutyConfig(routing_key=SecretRef(file=config.pagerduty_routing_key_file), send_resolved=True),
            ]),
        ],
        inhibit_rules=[
            # A critical alert mutes the warning of the same name on the same job.
            InhibitRule(source_matchers=['severity="critical"'], target_matchers=['severity="warning"'],
                        equal=["alertname", "job"]),
        ],
    )
'''

DASHBOARD = '''\
"""One Grafana dashboard (grafanalib): traffic, errors, latency and targets up."""

from __future__ import annotations

from grafanalib import core as g

from .alerts import error_ratio, p95_latency
from .config import CONFIG, Config


def _steps(warning: float, critical: float) -> list[g.Threshold]:
    return [g.Threshold("green", 0, 0.0), g.Threshold("orange", 1, warning), g.Threshold("red", 2, critical)]


def _target(expr: str, legend: str) -> g.Target:
    return g.Target(expr=expr, legendFormat=legend, refId="A")


def _panel(title: str, expr: str, legend: str, unit: str, x: int, y: int,
           thresholds: list[g.Threshold] | None = None) -> g.TimeSeries:
    return g.TimeSeries(
        title=title, targets=[_target(expr, legend)], unit=unit, gridPos=g.GridPos(h=8, w=12, x=x, y=y),
        thresholds=thresholds or [], thresholdsStyleMode="line" if thresholds else "off", maxDataPoints=None,
    )


def dashboard(config: Config = CONFIG) -> g.Dashboard:
    t, job, window = config.thresholds, config.service_job, config.rate_window
    panels = [
        _panel("Requests per second", f'sum by (job) (rate(http_requests_total{{job="{job}"}}[{window}]))',
               "{{job}}", "reqps", 0, 0),
        _panel("Error ratio", error_ratio(config), "{{job}}", "percentunit", 12, 0,
               _steps(t.error_ratio_warning, t.error_ratio_critical)),
        _panel("p95 request duration", p95_latency(config), "{{job}}", "s", 0, 8,
               _steps(t.p95_latency_seconds_warning, t.p95_latency_seconds_critical)),
        _panel("Targets up", "sum by (job) (up)", "{{job}}", "short", 12, 8),
    ]
    return g.Dashboard(
        title="$title", uid="$name-overview", description="Traffic, errors and latency of $service.",
        tags=["$name"], timezone="browser", refresh=config.dashboard_refresh, editable=False,
        time=g.Time(config.dashboard_time_from, "now"), panels=panels,
    )
'''

TEMPLATES = {
    "__init__.py": INIT,
    "config.py": CONFIG,
    "scrape.py": SCRAPE,
    "alerts.py": ALERTS,
    "routing.py": ROUTING,
    "dashboard.py": DASHBOARD,
}


def _suggest(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-_").lower()
    safe = re.sub(r"^[^a-z]+", "", safe)
    return f"; e.g. {safe!r}" if safe else ""


def check_name(name: str) -> str:
    """A stack name init can write: a folder, a Python package and generated/<name>/."""
    if not _NAME.match(name):
        raise UsageError(f"stack name {name!r} becomes a folder, a Python package and generated/<name>/: use "
                         f"letters, digits, '-' and '_', starting with a letter{_suggest(name)}")
    return name


def check_service(service: str) -> str:
    if not _SERVICE.match(service):
        raise UsageError(f"service name {service!r} becomes the job name the queries select: use letters, digits, "
                         f"'-', '_' and '.', starting with a letter{_suggest(service)}")
    return service


def render(name: str, service: str, service_port: int) -> dict[str, bytes]:
    """The files of a new stack package, by path relative to its folder."""
    values = {"name": name, "service": service, "service_port": str(service_port),
              "title": name.replace("-", " ").replace("_", " ").title()}
    return {path: Template(text).substitute(values).encode() for path, text in TEMPLATES.items()}


@click.command(name="init")
@click.argument("name")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The stack folder to write (its name must be NAME). Default: stacks/NAME.")
@click.option("--service", default=None, help="Job name of the instrumented HTTP service. Default: NAME.")
@click.option("--service-port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port the service serves /metrics on.")
@click.option("--force", is_flag=True, help="Write into an existing folder, replacing the files init writes "
                                            "(other files are kept).")
def command(name: str, out: Path | None, service: str | None, service_port: int, force: bool) -> None:
    """Write a new stack package NAME: config.py (every threshold first), scrape.py,
    alerts.py, routing.py, dashboard.py and __init__.py, ready for `obscode generate NAME`,
    `obscode check NAME` and `--profile local`."""
    check_name(name)
    service = check_service(service) if service is not None else name
    target = out if out is not None else STACKS_DIR / name
    if target.name != name:
        raise UsageError(f"--out {target} must be a folder named {name!r}: a stack's folder name is its name "
                         f"(the stack in it builds Stack(name={name!r}))")
    if target.exists() and not force:
        raise UsageError(f"{target} exists, so nothing is written: pick another NAME or --out, or pass --force to rewrite the files init writes (others are kept)")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file, not a folder; nothing written")
    files = render(name, service, service_port)
    # One replacement of the whole folder: an error part-way leaves it as it was.
    write_atomic(target, {**read_tree(target), **files})
    click.echo(f"{name}: wrote {len(files)} files to {target}")
    click.echo(f"next: obscode generate {target} && obscode check {target}")
