"""A small stack with SLOs for the rule, inhibit and check tests: job ``api`` described by the
instrumentation-http catalog, pages to ``pager`` and tickets to ``tickets``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from obscode import (
    SLO, AlertmanagerConfig, AlertmanagerEndpoint, EmailConfig, LatencySLI, PrometheusConfig, RatioSLI, Receiver,
    Route, ScrapeConfig, Stack, StaticConfig,
)
from obscode.checks import CheckContext, Problem, run_checks
from obscode.emit import render

TOTAL = 'http_requests_total{job="api"}'
ERRORS = 'http_requests_total{job="api", status=~"5.."}'
HISTOGRAM = 'http_request_duration_seconds{job="api"}'


def availability(**fields: Any) -> SLO:
    """API availability: 5xx responses over all, 99.9 % over 30 days."""
    return SLO(**{"name": "api-availability", "service": "api", "objective": Decimal("99.9"),
                  "sli": RatioSLI(total=TOTAL, bad=ERRORS), **fields})


def latency(threshold: str = "0.5", **fields: Any) -> SLO:
    """API latency: 99 % of requests under ``threshold`` seconds over 30 days."""
    return SLO(**{"name": "api-latency", "service": "api", "objective": Decimal("99"),
                  "sli": LatencySLI(histogram=HISTOGRAM, threshold=Decimal(threshold)), **fields})


def _email(name: str) -> Receiver:
    return Receiver(name=name, email_configs=[EmailConfig(to=f"{name}@example.com", smarthost="smtp:587",
                                                          from_="am@example.com")])


def slo_stack(*slos: SLO, **overrides: Any) -> Stack:
    """The stack ``s`` with ``slos``: job api (HTTP catalog), critical alerts to pager, warnings to tickets."""
    fields: dict[str, Any] = dict(
        name="s",
        prometheus=PrometheusConfig(
            global_={"scrape_interval": "15s", "evaluation_interval": "30s"},
            alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["alertmanager:9093"])])],
            scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])],
        ),
        alertmanager=AlertmanagerConfig(
            route=Route(receiver="tickets", group_by=["alertname", "slo"],
                        routes=[Route(matchers=['severity="critical"'], receiver="pager"),
                                Route(matchers=['severity="warning"'], receiver="tickets")]),
            receivers=[_email("pager"), _email("tickets")],
        ),
        job_catalogs={"api": ["instrumentation-http"]},
        slos=list(slos),
    )
    fields.update(overrides)
    return Stack(**fields)


def problems(the_stack: Stack, only: list[str] | None = None) -> list[Problem]:
    return run_checks(CheckContext(stack=the_stack, files=render(the_stack)), only=only)


def messages(the_stack: Stack, only: list[str] | None = None) -> list[str]:
    return [str(p) for p in problems(the_stack, only)]
