"""A new user's stack (a payments API, node-exporter, three receivers, one dashboard) that
checks and generates clean, and the text substitutions that make one mistake each.

The line of the object at fault carries the marker ``#!``: a finding must name that line."""

from __future__ import annotations

BASE = '''\
from grafanalib import core as g

from obscode import *

api = ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"], labels={"team": "payments"})])
node = ScrapeConfig(job_name="node", static_configs=[StaticConfig(targets=["node:9100"])])
NOTES = {"summary": "{{ $labels.job }} needs attention", "description": "See the runbook"}

RULES = [
    AlertRule(alert="HighLatency", for_="10m", labels={"severity": "warning"}, annotations=NOTES,
              expr="histogram_quantile(0.99, sum by (le, job, team) (rate(http_request_duration_seconds_bucket[5m]))) > 0.3"),
    AlertRule(alert="HighLatency", for_="10m", labels={"severity": "critical"}, annotations=NOTES,
              expr="histogram_quantile(0.99, sum by (le, job, team) (rate(http_request_duration_seconds_bucket[5m]))) > 1"),
    AlertRule(alert="HighErrorRatio", for_="5m", labels={"severity": "warning"}, annotations=NOTES,
              expr=\'sum by (job, team) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (job, team) (rate(http_requests_total[5m])) > 0.02\'),
    AlertRule(alert="ApiDown", for_="1m", labels={"severity": "critical"}, annotations=NOTES,
              expr=\'up{job="api"} == 0\'),
    RECORD
]

PANEL_TARGETS = [g.Target(expr='sum(rate(http_requests_total{job=~"$job"}[$__rate_interval]))', refId="A")]
DASHBOARD = g.Dashboard(
    title="Payments", uid="payments",
    templating=g.Templating(list=[
        VARIABLES
    ]),
    panels=[g.TimeSeries(title="Requests", targets=PANEL_TARGETS, gridPos=g.GridPos(h=8, w=12, x=0, y=0))],
)

stack = Stack(
    name=NAME,
    prometheus=PrometheusConfig(global_=GlobalConfig(scrape_interval="15s", evaluation_interval="15s"),
                                scrape_configs=[api, node],
                                alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["am:9093"])])]),
    job_catalogs={"api": ["instrumentation-http"], "node": ["node-exporter"]},
    rule_files=[RuleFile(name="payments", groups=[RuleGroup(name="payments", rules=RULES)])],
    alertmanager=AlertmanagerConfig(
        global_=AlertmanagerGlobal(smtp_smarthost="smtp.example.com:587", smtp_from="am@example.com"),
        route=Route(receiver="team-email", group_by=GROUP_BY, routes=[
            Route(matchers=['severity="critical"'], receiver="pager", continue_=True),
            Route(matchers=['team="payments"'], receiver="payments-slack"),
            EXTRA_ROUTES
        ]),
        receivers=[
            Receiver(name="team-email", email_configs=[EmailConfig(to="team@example.com")]),
            Receiver(name="pager", pagerduty_configs=[PagerdutyConfig(routing_key=SecretRef(file="/etc/am/pd"))]),
            SLACK
        ],
        inhibit_rules=[
            INHIBIT
        ],
    ),
    dashboards=[DASHBOARD],
)
'''

PARTS = {
    "NAME": '"shop"',
    "RECORD": 'RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))"),',
    "VARIABLES": 'g.Template(name="job", query="label_values(up, job)", dataSource=None)',
    "GROUP_BY": '["alertname", "job"]',
    "EXTRA_ROUTES": "",
    "SLACK": 'Receiver(name="payments-slack", slack_configs=[SlackConfig(api_url=SecretRef(file="/etc/am/slack"), '
             'channel="#payments")]),',
    "INHIBIT": 'InhibitRule(source_matchers=[\'severity="critical"\'], target_matchers=[\'severity="warning"\'], '
               'equal=["alertname", "job"])',
}


def render(replace: dict[str, str] | None = None, parts: dict[str, str] | None = None) -> str:
    """The stack text with ``parts`` for the placeholders and then each ``replace`` old -> new
    (each old must occur)."""
    text = BASE
    for key, value in {**PARTS, **(parts or {})}.items():
        text = text.replace(key, value)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def marked_line(text: str) -> int | None:
    """The line number holding the ``#!`` marker, with the marker dropped from the text."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "#!" in line:
            return number
    return None
