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
from obscode.model.integrations import (
    DiscordConfig, IncidentioConfig, JiraConfig, MSTeamsConfig, MSTeamsV2Config, OpsgenieConfig, OpsgenieResponder,
    PushoverConfig, RocketchatConfig, SigV4Config, SNSConfig, TelegramConfig, VictorOpsConfig, WebexConfig,
    WechatConfig,
)
from obscode.model.kubernetes import (
    AlertmanagerTarget, KubernetesSettings, LabelSelector, Monitor, PrometheusTarget, SelectorRequirement,
)
from obscode.model.rules import AlertRule, RecordingRule, RuleFile, RuleGroup
from obscode.model.slo import SLO, BurnRateTier, LatencySLI, RatioSLI
from obscode.model.scrape import (
    AlertmanagerEndpoint, BasicAuth, GlobalConfig, KubernetesSDConfig, PrometheusConfig,
    RelabelConfig, ScrapeConfig, StaticConfig,
)
from obscode.model.secrets import SecretRef
from obscode.stack import Stack

__all__ = [
    "AlertExpectation", "AlertRule", "AlertmanagerTarget", "KubernetesSettings", "LabelSelector", "Monitor",
    "PrometheusTarget", "SelectorRequirement", "SLO", "BurnRateTier", "LatencySLI", "RatioSLI", "AlertTest", "AlertmanagerConfig", "AlertmanagerEndpoint", "AlertmanagerGlobal",
    "BasicAuth", "DiscordConfig", "EmailConfig", "ExpectedAlert", "ExpectedSample", "ExprExpectation",
    "GlobalConfig", "IncidentioConfig", "InhibitRule", "InputSeries", "JiraConfig", "KubernetesSDConfig",
    "MSTeamsConfig", "MSTeamsV2Config", "Matcher", "OpsgenieConfig", "OpsgenieResponder", "PagerdutyConfig",
    "PrometheusConfig", "PushoverConfig", "Receiver", "RecordingRule", "RelabelConfig", "RocketchatConfig", "Route",
    "RuleFile", "RuleGroup", "SNSConfig", "ScrapeConfig", "SecretRef", "SigV4Config", "SlackConfig", "Stack",
    "StaticConfig", "TelegramConfig", "TimeInterval", "TimeRange", "VictorOpsConfig", "WebexConfig", "WebhookConfig",
    "WechatConfig",
]
