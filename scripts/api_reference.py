"""Write the API reference (docs/reference/*.md, git-ignored) from the pydantic models and their ``#:`` comments.

Every model in ``obscode.__all__``, the catalog models and every model reachable from their
fields gets a table of its fields: Python name, YAML name (the alias: ``for_`` -> ``for``),
type, default and the ``#:`` comment above the field; then the class docstring and one
example (EXAMPLES below, executed by tests/docs/test_examples.py like every docs example).

    python scripts/api_reference.py           # rewrite docs/reference/
    python scripts/api_reference.py --check   # exit 1 if a field is undocumented or a model lacks an example

``make docs`` runs it before ``mkdocs build``; the pages are generated, never committed, so they
always match the code (tests/docs/test_build.py builds them into a temporary copy of docs/).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import sys
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import obscode  # noqa: E402
from obscode.model.base import Model  # noqa: E402
from obscode.model.catalog import Catalog, Collector, Metric  # noqa: E402

OUT = ROOT / "docs" / "reference"

#: Page of each module: (file name, title, introduction).
PAGES: dict[str, tuple[str, str, str]] = {
    "obscode.stack": ("stack.md", "Stack", "The root object a stack module exposes as `stack`."),
    "obscode.model.rules": ("rules.md", "Rules", "Prometheus rule files: groups of alerting and recording rules."),
    "obscode.model.alertmanager": ("alertmanager.md", "Alertmanager",
                                   "Routing, receivers, inhibition and time intervals (see also "
                                   "[routing](../routing.md))."),
    "obscode.model.integrations": ("alertmanager.md", "Alertmanager", ""),
    "obscode.model.secrets": ("secrets.md", "Secrets",
                              "Secrets are referenced, never written into a definition or a generated file."),
    "obscode.model.scrape": ("scrape.md", "Prometheus", "The Prometheus server configuration: global settings, "
                             "Alertmanager endpoints and scrape jobs."),
    "obscode.model.alert_tests": ("alert-tests.md", "Alert tests",
                                  "Unit tests of the alerts in promtool's format, typed (see also "
                                  "[alert tests](../alert-tests.md))."),
    "obscode.model.catalog": ("catalog.md", "Catalogs", "What a service or exporter emits (see also "
                              "[catalogs](../catalog.md))."),
    "obscode.model.dashboards": ("dashboards.md", "Dashboards and Grafana", ""),
    "obscode.model.logs": ("logs.md", "Logs", "Log shipping to the ELK stack."),
    "obscode.model.slo": ("slo.md", "SLOs", "Service level objectives and their burn-rate tiers (see also "
                          "[SLOs](../slo.md))."),
    "obscode.model.kubernetes": ("kubernetes.md", "Kubernetes",
                                 "The `kubernetes` output: namespace, labels, monitors and the target "
                                 "Prometheus / Alertmanager selectors (see also [Kubernetes](../kubernetes.md))."),
}

#: One example per model, run by tests/docs/test_examples.py after ``from obscode import *``.
EXAMPLES: dict[str, str] = {
    "Stack": """\
stack = Stack(
    name="payments",
    prometheus=PrometheusConfig(
        alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["alertmanager:9093"])])],
        scrape_configs=[ScrapeConfig(job_name="node", static_configs=[StaticConfig(targets=["node:9100"])])],
    ),
    job_catalogs={"node": ["node-exporter"]},
    rule_files=[RuleFile(name="node", groups=[RuleGroup(name="node", rules=[
        AlertRule(alert="NodeDown", expr='up{job="node"} == 0', for_="5m", labels={"severity": "critical"}),
    ])])],
    alertmanager=AlertmanagerConfig(
        route=Route(receiver="oncall"),
        receivers=[Receiver(name="oncall", webhook_configs=[WebhookConfig(url="http://hooks:8080/alert")])],
    ),
)""",
    "AlertRule": """\
rule = AlertRule(
    alert="HighErrorRate",
    expr='sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05',
    for_="10m",  # YAML: for
    labels={"severity": "warning"},
    annotations={"summary": "More than 5% of requests fail"},
)""",
    "RecordingRule": """\
rule = RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))")""",
    "RuleGroup": """\
group = RuleGroup(name="api", interval="30s", rules=[
    RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))"),
    AlertRule(alert="NoTraffic", expr="job:http_requests:rate5m == 0", for_="15m"),
])""",
    "RuleFile": """\
rules = RuleFile(name="api", groups=[
    RuleGroup(name="api", rules=[AlertRule(alert="ApiDown", expr='up{job="api"} == 0', for_="5m")]),
])
assert rules.path == "rules/api.yml\"""",
    "AlertmanagerConfig": """\
config = AlertmanagerConfig(
    global_=AlertmanagerGlobal(resolve_timeout="5m"),  # YAML: global
    route=Route(receiver="team", group_by=["alertname"], routes=[
        Route(receiver="pager", matchers=[Matcher(name="severity", value="critical")]),
    ]),
    receivers=[
        Receiver(name="team", webhook_configs=[WebhookConfig(url="http://hooks:8080/team")]),
        Receiver(name="pager", pagerduty_configs=[
            PagerdutyConfig(routing_key=SecretRef(file="/etc/alertmanager/secrets/pagerduty"))]),
    ],
)""",
    "AlertmanagerGlobal": """\
settings = AlertmanagerGlobal(resolve_timeout="5m", smtp_smarthost="smtp.example.com:587",
                              smtp_from="alerts@example.com")""",
    "Route": """\
route = Route(receiver="team", group_by=["alertname", "job"], group_wait="30s", routes=[
    Route(receiver="pager", matchers=[Matcher(name="severity", value="critical")], continue_=True),  # YAML: continue
])""",
    "Matcher": """\
critical = Matcher(name="severity", value="critical")             # severity="critical"
not_dev = Matcher(name="env", op="!~", value="dev|test")          # env!~"dev|test\"""",
    "Receiver": """\
receiver = Receiver(name="team", email_configs=[EmailConfig(to="team@example.com")])""",
    "EmailConfig": """\
email = EmailConfig(to="oncall@example.com", from_="alerts@example.com",  # YAML: from
                    smarthost="smtp.example.com:587", auth_username="alerts",
                    auth_password=SecretRef(file="/etc/alertmanager/secrets/smtp"))""",
    "PagerdutyConfig": """\
pager = PagerdutyConfig(routing_key=SecretRef(file="/etc/alertmanager/secrets/pagerduty"), severity="critical")""",
    "SlackConfig": """\
slack = SlackConfig(api_url=SecretRef(file="/etc/alertmanager/secrets/slack"), channel="#alerts")""",
    "WebhookConfig": """\
hook = WebhookConfig(url="http://hooks:8080/alert", max_alerts=10)
secret_hook = WebhookConfig(url_file=SecretRef(file="/etc/alertmanager/secrets/hook-url"))""",
    "InhibitRule": """\
rule = InhibitRule(
    source_matchers=[Matcher(name="severity", value="critical")],
    target_matchers=[Matcher(name="severity", value="warning")],
    equal=["alertname", "instance"],
)""",
    "TimeInterval": """\
nights = TimeInterval(name="nights", time_intervals=[TimeRange(times=[{"start_time": "22:00", "end_time": "24:00"}])])""",
    "TimeRange": """\
weekends = TimeRange(weekdays=["saturday", "sunday"], location="Europe/Paris")""",
    "SecretRef": """\
from_file = SecretRef(file="/etc/alertmanager/secrets/slack")  # read by the service at run time
from_env = SecretRef(env="SLACK_URL")                          # where the consumer reads environment variables""",
    "PrometheusConfig": """\
config = PrometheusConfig(
    global_=GlobalConfig(scrape_interval="30s", external_labels={"cluster": "eu-1"}),  # YAML: global
    scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])],
)""",
    "GlobalConfig": """\
settings = GlobalConfig(scrape_interval="30s", evaluation_interval="30s", external_labels={"cluster": "eu-1"})""",
    "AlertmanagerEndpoint": """\
endpoint = AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["alertmanager:9093"])], timeout="10s")""",
    "ScrapeConfig": """\
job = ScrapeConfig(
    job_name="api",
    scrape_interval="15s",
    static_configs=[StaticConfig(targets=["api-1:8000", "api-2:8000"], labels={"env": "prod"})],
    metric_relabel_configs=[RelabelConfig(action="drop", source_labels=["__name__"], regex="go_gc_.*")],
)""",
    "StaticConfig": """\
targets = StaticConfig(targets=["node-1:9100", "node-2:9100"], labels={"env": "prod"})""",
    "KubernetesSDConfig": """\
discovery = KubernetesSDConfig(role="pod", namespaces=["payments"])""",
    "RelabelConfig": """\
keep_annotated = RelabelConfig(action="keep", source_labels=["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
                               regex="true")""",
    "BasicAuth": """\
auth = BasicAuth(username="prometheus", password=SecretRef(file="/etc/prometheus/secrets/api"))""",
    "AlertTest": """\
test = AlertTest(
    name="api-down",
    interval="1m",
    input_series=[InputSeries(series='up{job="api", instance="api:8000"}', values="0x10")],
    alert_rule_test=[AlertExpectation(eval_time="6m", alertname="ApiDown", exp_alerts=[
        ExpectedAlert(exp_labels={"job": "api", "instance": "api:8000", "severity": "critical"}),
    ])],
    promql_expr_test=[ExprExpectation(expr='up{job="api"}', eval_time="1m", exp_samples=[
        ExpectedSample(labels='up{job="api", instance="api:8000"}', value=0),
    ])],
)""",
    "InputSeries": """\
series = InputSeries(series='http_requests_total{job="api", status="500"}', values="0+10x30")""",
    "AlertExpectation": """\
none_yet = AlertExpectation(eval_time="2m", alertname="ApiDown", exp_alerts=[])""",
    "ExpectedAlert": """\
alert = ExpectedAlert(exp_labels={"job": "api", "severity": "critical"},
                      exp_annotations={"summary": "api is down"})""",
    "ExprExpectation": """\
check = ExprExpectation(expr='sum(up{job="api"})', eval_time="1m",
                        exp_samples=[ExpectedSample(labels="{}", value=1)])""",
    "ExpectedSample": """\
sample = ExpectedSample(labels='{job="api"}', value=1)""",
    "OpsgenieConfig": """\
opsgenie = OpsgenieConfig(api_key=SecretRef(file="/etc/alertmanager/secrets/opsgenie"), priority="P2",
                          responders=[OpsgenieResponder(name="sre", type="team")])""",
    "OpsgenieResponder": """\
team = OpsgenieResponder(name="sre", type="team")""",
    "MSTeamsConfig": """\
teams = MSTeamsConfig(webhook_url=SecretRef(file="/etc/alertmanager/secrets/teams"), title="Alerts")""",
    "MSTeamsV2Config": """\
teams_flow = MSTeamsV2Config(webhook_url=SecretRef(file="/etc/alertmanager/secrets/teams-flow"))""",
    "TelegramConfig": """\
telegram = TelegramConfig(bot_token=SecretRef(file="/etc/alertmanager/secrets/telegram"), chat_id=-1001234567890,
                          parse_mode="HTML")""",
    "DiscordConfig": """\
discord = DiscordConfig(webhook_url=SecretRef(file="/etc/alertmanager/secrets/discord"))""",
    "WebexConfig": """\
webex = WebexConfig(room_id="Y2lzY29zcGFyazovL3VzL1JPT00v", bot_token=SecretRef(file="/etc/alertmanager/secrets/webex"))""",
    "SNSConfig": """\
sns = SNSConfig(topic_arn="arn:aws:sns:eu-west-1:123456789012:alerts", sigv4=SigV4Config(region="eu-west-1"))""",
    "SigV4Config": """\
signing = SigV4Config(region="eu-west-1", role_arn="arn:aws:iam::123456789012:role/alertmanager")""",
    "VictorOpsConfig": """\
victorops = VictorOpsConfig(api_key=SecretRef(file="/etc/alertmanager/secrets/victorops"), routing_key="sre")""",
    "PushoverConfig": """\
pushover = PushoverConfig(user_key=SecretRef(file="/etc/alertmanager/secrets/pushover-user"),
                          token=SecretRef(file="/etc/alertmanager/secrets/pushover-token"))""",
    "WechatConfig": """\
wechat = WechatConfig(api_secret=SecretRef(file="/etc/alertmanager/secrets/wechat"), corp_id="ww123", to_user="@all")""",
    "JiraConfig": """\
jira = JiraConfig(api_url="https://example.atlassian.net", project="OPS", issue_type="Bug",
                  username="alertmanager@example.com", api_token=SecretRef(file="/etc/alertmanager/secrets/jira"))""",
    "RocketchatConfig": """\
rocketchat = RocketchatConfig(token_id=SecretRef(file="/etc/alertmanager/secrets/rocketchat-id"),
                              token=SecretRef(file="/etc/alertmanager/secrets/rocketchat-token"), channel="#alerts")""",
    "IncidentioConfig": """\
incidentio = IncidentioConfig(url="https://api.incident.io/v2/alert_events/http/01ABCDEF",
                              alert_source_token=SecretRef(file="/etc/alertmanager/secrets/incidentio"))""",
    "Catalog": """\
from obscode.model.catalog import Catalog, Collector, Metric

catalog = Catalog(
    name="payments-api",
    description="What the payments API emits",
    namespaces=["payments_"],
    collectors={"queue": Collector(default=False)},
    metrics=[
        Metric(name="payments_total", type="counter", help="Payments handled", labels=["method", "outcome"],
               label_values={"outcome": ["ok", "declined", "error"]}),
        Metric(name="payments_queue_depth", type="gauge", collector="queue"),
    ],
)""",
    "Metric": """\
from obscode.model.catalog import Metric

latency = Metric(name="http_request_duration_seconds", type="histogram", unit="seconds",
                 help="Request latency", labels=["method", "route", "status"])""",
    "Collector": """\
from obscode.model.catalog import Collector

systemd = Collector(default=False)                                   # needs --collector.systemd
hwmon = Collector(condition="hardware: the host has hwmon sensors")""",
    "GrafanaSettings": """\
from obscode.model.dashboards import GrafanaSettings

grafana = GrafanaSettings(prometheus_url="http://127.0.0.1:9090", update_interval_seconds=60)""",
    "IlmPolicy": """\
from obscode.model.logs import IlmPolicy

keep_a_week = IlmPolicy(rollover_max_age="1d", delete_after="7d")""",
    "LogsConfig": """\
from obscode.model.logs import LogsConfig

logs = LogsConfig(paths=["/var/log/payments/*.ndjson"], output="elasticsearch")""",
    "SLO": """\
slo = SLO(name="checkout-availability", service="checkout", objective=99.9,
          sli=RatioSLI(total='http_requests_total{job="checkout"}',
                       bad='http_requests_total{job="checkout", status=~"5.."}'))""",
    "RatioSLI": """\
sli = RatioSLI(total='http_requests_total{job="checkout"}', good='http_requests_total{job="checkout", status!~"5.."}')""",
    "LatencySLI": """\
sli = LatencySLI(histogram='http_request_duration_seconds{job="checkout"}', threshold=0.5)""",
    "BurnRateTier": """\
tier = BurnRateTier(name="page-fast", budget_share=0.02, long_window="1h", short_window="5m", action="page",
                    labels={"team": "payments"})""",
    "KubernetesSettings": """\
kubernetes = KubernetesSettings(
    namespace="payments",
    rule_labels={"release": "kube-prometheus-stack"},
    monitors={"payments-api": Monitor(selector=LabelSelector(matchLabels={"app": "payments-api"}), port="http")},
    prometheus=PrometheusTarget(rule_selector=LabelSelector(matchLabels={"release": "kube-prometheus-stack"}),
                                rule_namespace_selector=LabelSelector()),
)""",
    "LabelSelector": """\
selector = LabelSelector(matchLabels={"release": "kube-prometheus-stack"},
                         matchExpressions=[SelectorRequirement(key="team", operator="In", values=["payments"])])""",
    "SelectorRequirement": """\
requirement = SelectorRequirement(key="team", operator="NotIn", values=["sandbox"])""",
    "Monitor": """\
monitor = Monitor(type="PodMonitor", selector=LabelSelector(matchLabels={"app": "worker"}), port="metrics",
                  namespaces=["payments"])""",
    "PrometheusTarget": """\
target = PrometheusTarget(name="kube-prometheus-stack-prometheus", namespace="monitoring",
                          rule_selector=LabelSelector(matchLabels={"release": "kube-prometheus-stack"}))""",
    "AlertmanagerTarget": """\
target = AlertmanagerTarget(namespace="monitoring",
                            alertmanager_config_selector=LabelSelector(matchLabels={"alertmanagerConfig": "payments"}),
                            alertmanager_config_namespace_selector=LabelSelector())""",
}

#: Docs of fields in modules whose ``#:`` comments are still to be written (obscode/model/alertmanager.py,
#: secrets.py): used only while the field has no comment.
BORROWED: dict[tuple[str, str], str] = {
    ("SecretRef", "file"): "An absolute path the consuming service reads the secret from at run time.",
    ("SecretRef", "env"): "An environment variable holding the secret, where the consumer expands them "
                          "(Alertmanager and Prometheus do not).",
    ("Matcher", "name"): "The label matched.",
    ("Matcher", "op"): "`=`, `!=`, `=~` or `!~` (regexes are anchored, RE2).",
    ("Matcher", "value"): "The value, or the regex, the label is compared with.",
    ("TimeRange", "times"): "Times of day: `[{\"start_time\": \"09:00\", \"end_time\": \"17:00\"}]`.",
    ("TimeRange", "weekdays"): "Days of the week or ranges: `monday:friday`, `saturday`.",
    ("TimeRange", "days_of_month"): "Days of the month or ranges, negative from the end: `1:5`, `-1`.",
    ("TimeRange", "months"): "Months by name or number, or ranges: `january:march`.",
    ("TimeRange", "years"): "Years or ranges: `2026:2027`.",
    ("TimeRange", "location"): "The time zone the times are in (`Europe/Paris`); default UTC.",
    ("TimeInterval", "name"): "The name routes refer to in `mute_time_intervals` and `active_time_intervals`.",
    ("TimeInterval", "time_intervals"): "The periods that make up the interval (any of them matches).",
    ("Route", "receiver"): "The receiver notified for the alerts this route takes; default: the parent's.",
    ("Route", "group_by"): "Labels whose values split alerts into notification groups; `[\"...\"]`: no grouping.",
    ("Route", "matchers"): "The alerts the route takes: all its matchers hold (the root route takes every alert).",
    ("Route", "continue_"): "Also try the next sibling routes after this one matched; YAML `continue`.",
    ("Route", "group_wait"): "How long a new group waits for more alerts before its first notification.",
    ("Route", "group_interval"): "How long before a group is notified of alerts added to it.",
    ("Route", "repeat_interval"): "How long before a notification already sent is sent again.",
    ("Route", "mute_time_intervals"): "Names of time intervals during which the route notifies nobody.",
    ("Route", "active_time_intervals"): "Names of time intervals outside which the route notifies nobody.",
    ("Route", "routes"): "Child routes, tried in order; the first that matches takes the alert (unless `continue_`).",
    ("EmailConfig", "to"): "The address(es) notified.",
    ("EmailConfig", "from_"): "The sender address; default: global `smtp_from`. YAML `from`.",
    ("EmailConfig", "smarthost"): "The SMTP server `host:port`; default: global `smtp_smarthost`.",
    ("EmailConfig", "auth_username"): "The SMTP user name.",
    ("EmailConfig", "auth_password"): "The SMTP password, a file Alertmanager reads (YAML `auth_password_file`).",
    ("EmailConfig", "require_tls"): "Require STARTTLS; default: global `smtp_require_tls`.",
    ("EmailConfig", "send_resolved"): "Also notify when the alerts are resolved.",
    ("EmailConfig", "headers"): "E-mail headers, e.g. `Subject`.",
    ("PagerdutyConfig", "service_key"): "The Events API v1 integration key, a file (YAML `service_key_file`).",
    ("PagerdutyConfig", "routing_key"): "The Events API v2 integration key, a file (YAML `routing_key_file`).",
    ("PagerdutyConfig", "url"): "The PagerDuty API URL; default: global `pagerduty_url`.",
    ("PagerdutyConfig", "severity"): "The incident's severity (a template may be used).",
    ("PagerdutyConfig", "send_resolved"): "Also notify when the alerts are resolved.",
    ("SlackConfig", "api_url"): "The Slack webhook URL, a file (YAML `api_url_file`); default: global `slack_api_url`.",
    ("SlackConfig", "channel"): "The channel or user notified, e.g. `#alerts`.",
    ("SlackConfig", "username"): "The name the message is posted as.",
    ("SlackConfig", "title"): "The message's title (a template).",
    ("SlackConfig", "text"): "The message's text (a template).",
    ("SlackConfig", "send_resolved"): "Also notify when the alerts are resolved.",
    ("WebhookConfig", "url"): "The URL posted to, for one that carries no secret (e.g. a local sink).",
    ("WebhookConfig", "url_file"): "A file holding the URL, for one that carries a token (Alertmanager >= 0.26).",
    ("WebhookConfig", "send_resolved"): "Also notify when the alerts are resolved.",
    ("WebhookConfig", "max_alerts"): "At most this many alerts per message; 0 or unset: all.",
    ("Receiver", "name"): "The name routes refer to, unique in the configuration.",
    ("InhibitRule", "source_matchers"): "Alerts that, while firing, mute others ...",
    ("InhibitRule", "target_matchers"): "... the alerts they mute ...",
    ("InhibitRule", "equal"): "... when both have the same values of these labels.",
    ("AlertmanagerConfig", "global_"): "Defaults for every receiver (SMTP, API URLs, global secrets); YAML `global`.",
    ("AlertmanagerConfig", "route"): "The routing tree's root: it takes every alert and needs a receiver.",
    ("AlertmanagerConfig", "receivers"): "Every receiver the routes name.",
    ("AlertmanagerConfig", "inhibit_rules"): "Alerts that mute others while they fire.",
    ("AlertmanagerConfig", "time_intervals"): "Named periods routes mute or activate notifications in.",
    ("AlertmanagerConfig", "templates"): "Notification template files Alertmanager reads.",
    ("AlertmanagerGlobal", "resolve_timeout"): "How long before an alert that stopped being sent is resolved.",
    ("AlertmanagerGlobal", "smtp_from"): "Default sender of e-mail notifications.",
    ("AlertmanagerGlobal", "smtp_smarthost"): "Default SMTP server, `host:port`.",
    ("AlertmanagerGlobal", "smtp_hello"): "The host name sent in SMTP HELO.",
    ("AlertmanagerGlobal", "smtp_auth_username"): "Default SMTP user name.",
    ("AlertmanagerGlobal", "smtp_auth_password"): "Default SMTP password, a file (YAML `smtp_auth_password_file`).",
    ("AlertmanagerGlobal", "smtp_require_tls"): "Require STARTTLS by default.",
    ("AlertmanagerGlobal", "slack_api_url"): "Default Slack webhook URL, a file (YAML `slack_api_url_file`).",
    ("AlertmanagerGlobal", "pagerduty_url"): "Default PagerDuty API URL.",
}


def borrowed(cls: type, name: str, info: Any) -> str:
    """The doc of a field without a ``#:`` comment in a module this script does not own."""
    if (cls.__name__, name) in BORROWED:
        return BORROWED[cls.__name__, name]
    secret = "SecretRef" in str(info.annotation)
    if cls.__name__ == "Receiver" and name.endswith("_configs"):
        config = models_in(info.annotation)[0].__name__
        return f"Notifications through `{config}` entries (see [Receivers](../receivers.md))."
    if cls.__name__ == "AlertmanagerGlobal":
        return (f"Default `{name.split('_', 1)[1]}` of the {name.split('_', 1)[0]} configs" +
                (", a file (YAML `" + name + "_file`)" if secret else "") + ".")
    if cls.__module__ == "obscode.model.integrations":
        return ("Alertmanager's field of this name" + (", a SecretRef" if secret else "") +
                "; see [Receivers](../receivers.md) and Alertmanager's configuration docs.")
    return ""


#: Shown on the dashboards page: what ``Stack.dashboards`` holds.
DASHBOARDS = """\
A stack's `dashboards` are not obscode models: each is a
[grafanalib](https://grafanalib.readthedocs.io/) `Dashboard`, a Grafana Foundation SDK dashboard
builder or model, or the dashboard JSON as a `dict`. obscode writes each to
`grafana/dashboards/<uid>.json` and checks every query in it against the stack's catalogs.

```python
from grafanalib.core import Dashboard, Target, TimeSeries

requests = Dashboard(
    title="Payments API",
    uid="payments-api",
    panels=[
        TimeSeries(
            title="Requests per second",
            dataSource="prometheus",
            targets=[Target(expr='sum by (status) (rate(http_requests_total{job="api"}[5m]))', refId="A")],
            gridPos={"h": 8, "w": 12, "x": 0, "y": 0},
        ),
    ],
).auto_panel_ids()

as_json = {"uid": "payments-raw", "title": "Payments (JSON)", "panels": []}

stack = Stack(name="payments", dashboards=[requests, as_json])
```
"""


def catalog_extra() -> str:
    schema = json.dumps(Catalog.model_json_schema(), indent=2, sort_keys=True)
    return f"""\
## The catalog file

`job_catalogs` takes a `Catalog` object, the name of a shipped catalog (`node-exporter`, ...) or
the path of a YAML file with the fields of `Catalog` below, relative to the stack's folder.
An annotated file:

```yaml
name: payments-api                 # required
description: What the payments API emits
namespaces: [payments_]            # metric name prefixes only this job emits
collectors:                        # optional: the exporter's collectors
  queue:
    default: false                 # emitted only when --collector.queue is on
metrics:
  - name: payments_total           # the family's name as exposed (counters end in _total)
    type: counter                  # counter, gauge, histogram, summary, untyped, ...
    help: Payments handled
    labels: [method, outcome]      # every label name a series of the family carries
    label_values:                  # optional: the only values a label takes
      outcome: [ok, declined, error]
  - name: payments_queue_depth
    type: gauge
    collector: queue               # one of collectors above
```

Its JSON schema, from `Catalog.model_json_schema()`:

```json
{schema}
```
"""


EXTRA = {"catalog.md": catalog_extra, "dashboards.md": lambda: DASHBOARDS}


# --- walking the models ---------------------------------------------------------------------

def field_comments(cls: type) -> dict[str, str]:
    """The ``#:`` comment block above each field of ``cls`` (and of its bases), by field name."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass.__module__.startswith("pydantic"):
            continue
        lines, start = inspect.getsourcelines(klass)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        for node in tree.body[0].body:  # type: ignore[attr-defined]
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                block: list[str] = []
                i = node.lineno - 2
                while i >= 0 and lines[i].strip().startswith("#:"):
                    block.insert(0, lines[i].strip()[2:].strip())
                    i -= 1
                if block:
                    docs[node.target.id] = " ".join(block)
    return docs


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def models_in(tp: Any) -> list[type]:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, Model):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in models_in(arg)]


def public_models() -> list[type]:
    """``obscode.__all__``'s models, the catalog models, and every model their fields hold."""
    todo = [getattr(obscode, n) for n in obscode.__all__] + [Catalog, Metric, Collector]
    seen: dict[str, type] = {}
    while todo:
        cls = todo.pop(0)
        if not (isinstance(cls, type) and issubclass(cls, Model)) or cls.__name__ in seen:
            continue
        seen[cls.__name__] = cls
        for info in cls.model_fields.values():
            todo.extend(models_in(info.annotation))
    return list(seen.values())


def page_of(cls: type) -> str:
    if cls.__module__ not in PAGES:  # a new module: its own page until PAGES names one
        short = cls.__module__.rsplit(".", 1)[-1]
        PAGES[cls.__module__] = (f"{short.replace('_', '-')}.md", short.replace("_", " ").capitalize(), "")
    return PAGES[cls.__module__][0]


def type_text(tp: Any, here: str) -> str:
    annotated = typing.get_origin(tp) is typing.Annotated
    if annotated:
        for meta in typing.get_args(tp)[1:]:
            func = getattr(meta, "func", None)
            module = getattr(func, "__module__", "")
            if module == "obscode.model.duration":
                return "duration"
            if getattr(func, "__name__", "") == "_parsed":
                return "PromQL"
        return type_text(_unwrap(tp), here)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        parts = [type_text(a, here) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or None" if type(None) in args else "")
    if origin is typing.Literal:
        return " or ".join(json.dumps(a) for a in args)
    if origin in (list, dict, tuple, set):
        return f"{origin.__name__}[{', '.join(type_text(a, here) for a in args)}]"
    if tp is typing.Any:
        return "Any"
    if isinstance(tp, type) and issubclass(tp, Model):
        target = "" if page_of(tp) == here else page_of(tp)
        return f"[{tp.__name__}]({target}#{tp.__name__.lower()})"
    return getattr(tp, "__name__", str(tp))


def default_text(info: Any) -> str:
    if info.default_factory is not None:
        value = info.default_factory()
    elif info.default is PydanticUndefined:
        return "**required**"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return f"`{type(value).__name__}()`"
    return f"`{value!r}`"


def field_doc(cls: type, name: str, info: Any, docs: dict[str, str]) -> str:
    return docs.get(name) or info.description or borrowed(cls, name, info)


def yaml_name(cls: type, name: str, info: Any) -> str:
    """The key the field is written under: its alias, ``<name>_file`` for a secret."""
    key = info.alias or name
    if name in getattr(cls, "http_fields", ()):
        return f"http_config ({key})"
    if name == "bearer_token" and cls.__module__ == "obscode.model.scrape":
        return "authorization.credentials_file"
    if name == "namespaces" and cls.__name__ == "KubernetesSDConfig":
        return "namespaces.names"
    if "SecretRef" in str(info.annotation) and not key.endswith("_file"):
        return f"{key}_file"
    return key


def markdown(text: str) -> str:
    """reStructuredText inline markup of docstrings and comments as Markdown."""
    return re.sub(r":(?:class|func|mod|meth|attr):`~?([^`]+)`", r"`\1`", text).replace("``", "`")


def escape_html(text: str) -> str:
    """``<`` outside code spans as ``&lt;``: Markdown would read ``<name>`` as HTML."""
    parts = text.split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def cell(text: str) -> str:
    return escape_html(markdown(text).replace("\n", " ")).replace("|", "\\|")


def model_section(cls: type, here: str) -> str:
    docs = field_comments(cls)
    out = [f"## {cls.__name__}", ""]
    doc = inspect.getdoc(cls)
    if doc and cls.__doc__ is not None and "__doc__" in cls.__dict__:
        out += [escape_html(markdown(doc)), ""]
    out += [f"`{cls.__module__}.{cls.__name__}`", "",
            "| Python name | YAML name | type | default | description |", "| --- | --- | --- | --- | --- |"]
    own_first = sorted(cls.model_fields.items(), key=lambda item: item[0] in Model.model_fields)
    for name, info in own_first:
        yaml_cell = "(not written)" if info.exclude else f"`{yaml_name(cls, name, info)}`"
        annotation = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        out.append(f"| `{name}` | {yaml_cell} | {cell(type_text(annotation, here))} "
                   f"| {cell(default_text(info))} | {cell(field_doc(cls, name, info, docs))} |")
    out.append("")
    if cls.__name__ in EXAMPLES:
        out += ["Example:", "", "```python", EXAMPLES[cls.__name__], "```", ""]
    return "\n".join(out)


def render() -> dict[str, str]:
    """Every reference page by file name."""
    by_page: dict[str, list[type]] = {}
    for cls in public_models():
        by_page.setdefault(page_of(cls), []).append(cls)
    pages: dict[str, str] = {}
    index = ["# API reference", "",
             "Generated by `scripts/api_reference.py` from the models and the `#:` comments above their "
             "fields, whenever `make docs` builds the site. Every model is built with "
             "keyword arguments under its Python names; the YAML names are those of the generated files "
             "(`for_` is written `for`). Unknown fields are errors naming the fields the model accepts.",
             "", "Everything below is importable as `from obscode import *`, except where the module is named.", ""]
    for module, (file, title, intro) in PAGES.items():
        classes = by_page.get(file, [])
        if (not classes and file not in EXTRA) or file in pages:
            continue
        body = [f"# {title}", "", GENERATED_NOTE, ""]
        if intro:
            body += [intro, ""]
        if file in EXTRA:
            body += [EXTRA[file](), ""]
        body += [model_section(cls, file) for cls in classes]
        pages[file] = "\n".join(body).rstrip() + "\n"
        names = ", ".join(f"[{c.__name__}]({file}#{c.__name__.lower()})" for c in classes)
        index.append(f"- [{title}]({file})" + (f": {names}" if names else ""))
    pages["index.md"] = "\n".join(index) + "\n"
    return pages


GENERATED_NOTE = "<!-- generated by scripts/api_reference.py: edit the models, not this page -->"


def problems() -> list[str]:
    """Fields without a ``#:`` comment or description, and models without an example."""
    found = []
    for cls in public_models():
        docs = field_comments(cls)
        for name, info in cls.model_fields.items():
            if not field_doc(cls, name, info, docs):
                found.append(f"{cls.__module__}.{cls.__name__}.{name}: no #: comment above the field")
        if cls.__name__ in obscode.__all__ and cls.__name__ not in EXAMPLES:
            found.append(f"{cls.__name__}: no example in scripts/api_reference.py EXAMPLES")
    return found


def write(out: Path) -> None:
    """Every reference page into ``out`` (pages no longer generated are removed)."""
    pages = render()
    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("*.md"):
        if p.name not in pages:
            p.unlink()
    for f, text in pages.items():
        (out / f).write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the pages go (default docs/reference/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a field is undocumented or a model has no example")
    args = parser.parse_args()
    found = problems()
    for p in found:
        print(("" if args.check else "warning: ") + p, file=sys.stderr)
    if args.check:
        return 1 if found else 0
    write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
