"""Small stacks and hand-made dashboards for the catalog check tables."""

from __future__ import annotations

import json
from typing import Any

from obscode import (
    AlertRule, AlertmanagerConfig, EmailConfig, PrometheusConfig, Receiver, RecordingRule, Route,
    RuleFile, RuleGroup, ScrapeConfig, Stack, StaticConfig,
)
from obscode.checks import CheckContext, Problem, run_checks
from obscode.emit import render


def stack(alerts: list[AlertRule] | None = None, records: list[RecordingRule] | None = None,
          **overrides: Any) -> Stack:
    """A stack with jobs api (5s, HTTP catalog), model_service (10s, HTTP + model) and node
    (15s global, node-exporter), one email receiver, and the given rules."""
    rules: list[Any] = list(records or []) + list(alerts or [])
    fields: dict[str, Any] = dict(
        name="t",
        prometheus=PrometheusConfig(
            global_={"scrape_interval": "15s", "evaluation_interval": "15s"},
            scrape_configs=[
                ScrapeConfig(job_name="api", scrape_interval="5s", static_configs=[StaticConfig(targets=["api:8000"])]),
                ScrapeConfig(job_name="model_service", scrape_interval="10s",
                             static_configs=[StaticConfig(targets=["model:8001"], labels={"team": "ds"})]),
                ScrapeConfig(job_name="node", static_configs=[StaticConfig(targets=["node:9100"])]),
            ],
        ),
        rule_files=[RuleFile(name="rules", groups=[RuleGroup(name="g", rules=rules)])] if rules else [],
        alertmanager=AlertmanagerConfig(
            route=Route(receiver="team", routes=[Route(match={"severity": "critical"}, receiver="pager")]),
            receivers=[Receiver(name="team", email_configs=[EmailConfig(to="team@example.com", smarthost="smtp:587", from_="am@example.com")]),
                       Receiver(name="pager", email_configs=[EmailConfig(to="pager@example.com", smarthost="smtp:587", from_="am@example.com")])],
        ),
        job_catalogs={"api": ["instrumentation-http"],
                      "model_service": ["instrumentation-http", "instrumentation-model"],
                      "node": ["node-exporter"]},
    )
    fields.update(overrides)
    return Stack(**fields)


def alert(expr: str, name: str = "A", severity: str | None = "warning", **kw: Any) -> AlertRule:
    labels = dict(kw.pop("labels", {}))
    if severity is not None:
        labels["severity"] = severity
    annotations = kw.pop("annotations", {"summary": "s", "description": "d"})
    return AlertRule(alert=name, expr=expr, labels=labels, annotations=annotations, **kw)


def dashboard(*targets: tuple[str, str | None], uid: str = "d1", variables: list[dict[str, Any]] | None = None
              ) -> dict[str, bytes]:
    """A rendered dashboard with one panel ("P<i>") per (expr, legendFormat), refId A."""
    panels = [{"type": "timeseries", "title": f"P{i}", "targets": [{"refId": "A", "expr": e, "legendFormat": l or ""}]}
              for i, (e, l) in enumerate(targets)]
    body = {"uid": uid, "title": uid, "panels": panels, "templating": {"list": variables or []}}
    return {f"grafana/dashboards/{uid}.json": json.dumps(body).encode()}


def problems(check: str, the_stack: Stack, extra_files: dict[str, bytes] | None = None) -> list[Problem]:
    files = render(the_stack)
    files.update(extra_files or {})
    return run_checks(CheckContext(stack=the_stack, files=files), only=[check])


def messages(check: str, the_stack: Stack, extra_files: dict[str, bytes] | None = None) -> list[str]:
    return [str(p) for p in problems(check, the_stack, extra_files)]
