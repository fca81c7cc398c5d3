"""Typed prometheus-operator objects: PrometheusRule (monitoring.coreos.com/v1), ServiceMonitor
and PodMonitor (v1), ScrapeConfig (v1alpha1). Each holds the fields obscode writes, under the
CRD's names; anything else is refused, as the API server's structural schema refuses it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from obscode.emit._rule_format import PromGroup, PromRule
from obscode.kubernetes.meta import KubeModel, ObjectMeta, Selector
from obscode.kubernetes.monitoring_auth import Authorization, BasicAuth
from obscode.kubernetes.relabel import Relabeling

Scheme = Literal["http", "https"]


class KubeObject(KubeModel):
    """A top-level object: ``apiVersion`` and ``kind`` come from the class and are always written."""

    API_VERSION: ClassVar[str]
    KIND: ClassVar[str]

    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    metadata: ObjectMeta

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str | None) -> str | None:
        if value is not None and value != cls.API_VERSION:
            raise ValueError(f"a {cls.KIND} is {cls.API_VERSION}, not {value}")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        if value is not None and value != cls.KIND:
            raise ValueError(f"this object is a {cls.KIND}, not a {value}")
        return value

    def data(self) -> dict[str, Any]:
        body = {k: v for k, v in super().data().items() if k not in ("apiVersion", "kind")}
        return {"apiVersion": self.API_VERSION, "kind": self.KIND, **body}


# -- PrometheusRule ---------------------------------------------------------------------------
class Rule(PromRule, KubeModel):
    """An alerting or recording rule, with Prometheus' own (snake_case) field names
    (the fields of :class:`obscode.emit._rule_format.PromRule`)."""


class RuleGroup(PromGroup, KubeModel):
    """A rule group as Prometheus reads it, plus the Thanos Ruler's field (the operator leaves
    it out of a Prometheus' rule files)."""

    partial_response_strategy: Literal["abort", "warn"] | None = None
    rules: list[Rule]  # type: ignore[assignment]


class PrometheusRuleSpec(KubeModel):
    groups: list[RuleGroup]


class PrometheusRule(KubeObject):
    API_VERSION = "monitoring.coreos.com/v1"
    KIND = "PrometheusRule"

    spec: PrometheusRuleSpec


# -- ServiceMonitor and PodMonitor ------------------------------------------------------------
class NamespaceSelector(KubeModel):
    any: bool | None = None
    match_names: list[str] = Field(default_factory=list, alias="matchNames")


class MonitorEndpoint(KubeModel):
    """One entry of ``ServiceMonitor.spec.endpoints`` or ``PodMonitor.spec.podMetricsEndpoints``
    (the two share these fields)."""

    port: str
    path: str | None = None
    scheme: Scheme | None = None
    params: dict[str, list[str]] | None = None
    interval: str | None = None
    scrape_timeout: str | None = Field(default=None, alias="scrapeTimeout")
    honor_labels: bool | None = Field(default=None, alias="honorLabels")
    basic_auth: BasicAuth | None = Field(default=None, alias="basicAuth")
    authorization: Authorization | None = None
    relabelings: list[Relabeling] = Field(default_factory=list)
    metric_relabelings: list[Relabeling] = Field(default_factory=list, alias="metricRelabelings")


class ServiceMonitorSpec(KubeModel):
    selector: Selector
    namespace_selector: NamespaceSelector | None = Field(default=None, alias="namespaceSelector")
    endpoints: list[MonitorEndpoint]


class ServiceMonitor(KubeObject):
    API_VERSION = "monitoring.coreos.com/v1"
    KIND = "ServiceMonitor"

    spec: ServiceMonitorSpec


class PodMonitorSpec(KubeModel):
    selector: Selector
    namespace_selector: NamespaceSelector | None = Field(default=None, alias="namespaceSelector")
    pod_metrics_endpoints: list[MonitorEndpoint] = Field(alias="podMetricsEndpoints")


class PodMonitor(KubeObject):
    API_VERSION = "monitoring.coreos.com/v1"
    KIND = "PodMonitor"

    spec: PodMonitorSpec


# -- ScrapeConfig -----------------------------------------------------------------------------
class StaticConfig(KubeModel):
    targets: list[str]
    labels: dict[str, str] = Field(default_factory=dict)


class SDNamespaces(KubeModel):
    names: list[str] = Field(default_factory=list)


class KubernetesSDConfig(KubeModel):
    #: The operator's capitalised role names.
    role: Literal["Node", "Pod", "Service", "Endpoints", "EndpointSlice", "Ingress"]
    api_server: str | None = Field(default=None, alias="apiServer")
    namespaces: SDNamespaces | None = None


class ScrapeConfigSpec(KubeModel):
    job_name: str = Field(alias="jobName")
    scrape_interval: str | None = Field(default=None, alias="scrapeInterval")
    scrape_timeout: str | None = Field(default=None, alias="scrapeTimeout")
    metrics_path: str | None = Field(default=None, alias="metricsPath")
    scheme: Scheme | None = None
    honor_labels: bool | None = Field(default=None, alias="honorLabels")
    params: dict[str, list[str]] | None = None
    basic_auth: BasicAuth | None = Field(default=None, alias="basicAuth")
    authorization: Authorization | None = None
    static_configs: list[StaticConfig] = Field(default_factory=list, alias="staticConfigs")
    kubernetes_sd_configs: list[KubernetesSDConfig] = Field(default_factory=list, alias="kubernetesSDConfigs")
    relabelings: list[Relabeling] = Field(default_factory=list)
    metric_relabelings: list[Relabeling] = Field(default_factory=list, alias="metricRelabelings")


class ScrapeConfig(KubeObject):
    API_VERSION = "monitoring.coreos.com/v1alpha1"
    KIND = "ScrapeConfig"

    spec: ScrapeConfigSpec
