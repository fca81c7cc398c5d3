"""obscode: observability as code.

Define scrape jobs, alert rules, Alertmanager routes and Grafana dashboards as typed
Python; ``obscode generate`` compiles them to the files Prometheus, Alertmanager and
Grafana read, and ``obscode check`` proves every query resolves against what your
services emit.
"""

from obscode.model.alert_tests import (
    AlertExpectation, AlertTest, ExpectedAlert, ExpectedSample, ExprExpectation, InputSeries,
)
from obscode.model.alertmanager import (
    AlertmanagerConfig, AlertmanagerGlobal, EmailConfig, InhibitRule, Matcher, PagerdutyConfig,
    Receiver, Route, SlackConfig, TimeInterval, TimeRange, WebhookConfig,
)
from obscode.model.rules import AlertRule, RecordingRule, RuleFile, RuleGroup
from obscode.model.scrape import (
    AlertmanagerEndpoint, BasicAuth, GlobalConfig, KubernetesSDConfig, PrometheusConfig,
    RelabelConfig, ScrapeConfig, StaticConfig,
)
from obscode.model.secrets import SecretRef
from obscode.stack import Stack

__all__ = [
    "AlertExpectation", "AlertRule", "AlertTest", "AlertmanagerConfig", "AlertmanagerEndpoint",
    "AlertmanagerGlobal", "BasicAuth", "EmailConfig", "ExpectedAlert", "ExpectedSample", "ExprExpectation",
    "GlobalConfig", "InhibitRule", "InputSeries", "KubernetesSDConfig", "Matcher", "PagerdutyConfig",
    "PrometheusConfig", "Receiver", "RecordingRule", "RelabelConfig", "Route", "RuleFile", "RuleGroup",
    "ScrapeConfig", "SecretRef", "SlackConfig", "Stack", "StaticConfig", "TimeInterval", "TimeRange",
    "WebhookConfig",
]
