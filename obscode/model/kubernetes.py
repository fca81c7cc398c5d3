"""Where a stack goes on Kubernetes: the namespace and labels of the generated objects, how
each scrape job finds its targets (ServiceMonitor or PodMonitor), how dashboards are shipped,
and the selectors of the target ``Prometheus`` and ``Alertmanager`` resources that must pick
the objects up (``Stack.kubernetes``, written when ``"kubernetes"`` is in ``Stack.outputs``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from obscode.model.base import Model

#: A DNS-1123 label: the names and namespaces of Kubernetes objects.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: A Kubernetes label key: an optional DNS-subdomain prefix and a name.
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


def check_name(value: str, what: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(f"{what} {value!r} is not a Kubernetes name: lower-case letters, digits and '-', "
                         "starting and ending with a letter or digit, at most 63 characters")
    return value


def check_labels(labels: dict[str, str], what: str) -> dict[str, str]:
    for key, value in labels.items():
        if len(key.rpartition("/")[2]) > 63 or not _LABEL_KEY.match(key):
            raise ValueError(f"{what} key {key!r} is not a Kubernetes label key (an optional 'prefix/' and a name "
                             "of letters, digits, '-', '_' and '.', at most 63 characters)")
        if len(value) > 63 or not _LABEL_VALUE.match(value):
            raise ValueError(f"{what} {key}={value!r}: a Kubernetes label value is at most 63 letters, digits, "
                             "'-', '_' and '.', starting and ending with a letter or digit")
    return labels


class SelectorRequirement(Model):
    """One ``matchExpressions`` entry of a label selector."""

    kind = "selector requirement"

    #: The label key.
    key: str
    #: In, NotIn, Exists or DoesNotExist.
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    #: The values, for In and NotIn (and none for Exists and DoesNotExist).
    values: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _values_fit(self) -> "SelectorRequirement":
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs values")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no values")
        return self

    def matches(self, labels: dict[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels


class LabelSelector(Model):
    """A Kubernetes label selector (``metav1.LabelSelector``). An empty selector selects everything."""

    kind = "label selector"

    #: Labels the object must carry with these values.
    match_labels: dict[str, str] = Field(default_factory=dict, alias="matchLabels")
    #: Set-based requirements, all of which must hold.
    match_expressions: list[SelectorRequirement] = Field(default_factory=list, alias="matchExpressions")

    def matches(self, labels: dict[str, str]) -> bool:
        return (all(labels.get(k) == v for k, v in self.match_labels.items())
                and all(r.matches(labels) for r in self.match_expressions))

    def text(self) -> str:
        """``release=kps, team in (a,b)``; ``{}`` for the empty selector."""
        parts = [f"{k}={v}" for k, v in self.match_labels.items()]
        for r in self.match_expressions:
            parts.append(f"{r.key} {r.operator} ({','.join(r.values)})" if r.values else f"{r.key} {r.operator}")
        return ", ".join(parts) or "{} (everything)"

    def data(self) -> dict[str, Any]:
        """The selector as Kubernetes writes it."""
        out: dict[str, Any] = {}
        if self.match_labels:
            out["matchLabels"] = dict(self.match_labels)
        if self.match_expressions:
            out["matchExpressions"] = [
                {"key": r.key, "operator": r.operator, **({"values": list(r.values)} if r.values else {})}
                for r in self.match_expressions]
        return out


def _selector(data: Any) -> LabelSelector | None:
    return None if data is None else LabelSelector.model_validate(data)


class PrometheusTarget(Model):
    """The selectors of the ``Prometheus`` resource that should load the stack's objects.

    A selector left at ``None`` is the operator's nil: ``ruleSelector: null`` selects no
    PrometheusRule at all, a nil namespace selector means the Prometheus' own namespace only.
    ``LabelSelector()`` (``{}``) selects everything. ``PrometheusTarget.from_file(path)`` reads
    them from a ``Prometheus`` manifest (e.g. ``kubectl get prometheus -o yaml``)."""

    kind = "target Prometheus"
    name_field = "name"

    #: The resource's name (for messages).
    name: str = "prometheus"
    #: The namespace the Prometheus resource lives in.
    namespace: str = "monitoring"
    #: ``spec.ruleSelector``.
    rule_selector: LabelSelector | None = None
    #: ``spec.ruleNamespaceSelector``.
    rule_namespace_selector: LabelSelector | None = None
    #: ``spec.serviceMonitorSelector``.
    service_monitor_selector: LabelSelector | None = None
    #: ``spec.serviceMonitorNamespaceSelector``.
    service_monitor_namespace_selector: LabelSelector | None = None
    #: ``spec.podMonitorSelector``.
    pod_monitor_selector: LabelSelector | None = None
    #: ``spec.podMonitorNamespaceSelector``.
    pod_monitor_namespace_selector: LabelSelector | None = None
    #: ``spec.scrapeConfigSelector``.
    scrape_config_selector: LabelSelector | None = None
    #: ``spec.scrapeConfigNamespaceSelector``.
    scrape_config_namespace_selector: LabelSelector | None = None
    #: ``spec.enforcedNamespaceLabel``: when set (usually ``namespace``), the operator gives every
    #: alert and series of a PrometheusRule or monitor this label, valued with its namespace.
    enforced_namespace_label: str = ""

    @classmethod
    def from_file(cls, path: str | Path) -> "PrometheusTarget":
        """The selectors of the ``Prometheus`` resource in the YAML file at ``path`` (relative
        to the file calling this, like ``job_catalogs`` paths)."""
        doc = _resource(path, "Prometheus")
        spec = doc.get("spec") or {}
        meta = doc.get("metadata") or {}
        return cls(name=meta.get("name", "prometheus"), namespace=meta.get("namespace", "default"),
                   enforced_namespace_label=spec.get("enforcedNamespaceLabel") or "",
                   **{field: _selector(spec.get(key)) for field, key in _PROMETHEUS_KEYS.items()})


_PROMETHEUS_KEYS = {
    "rule_selector": "ruleSelector", "rule_namespace_selector": "ruleNamespaceSelector",
    "service_monitor_selector": "serviceMonitorSelector",
    "service_monitor_namespace_selector": "serviceMonitorNamespaceSelector",
    "pod_monitor_selector": "podMonitorSelector", "pod_monitor_namespace_selector": "podMonitorNamespaceSelector",
    "scrape_config_selector": "scrapeConfigSelector",
    "scrape_config_namespace_selector": "scrapeConfigNamespaceSelector",
}


class AlertmanagerTarget(Model):
    """The selectors of the ``Alertmanager`` resource that should load the AlertmanagerConfig."""

    kind = "target Alertmanager"
    name_field = "name"

    #: The resource's name (for messages).
    name: str = "alertmanager"
    #: The namespace the Alertmanager resource lives in.
    namespace: str = "monitoring"
    #: ``spec.alertmanagerConfigSelector``; ``None`` selects no AlertmanagerConfig.
    alertmanager_config_selector: LabelSelector | None = None
    #: ``spec.alertmanagerConfigNamespaceSelector``; ``None``: the Alertmanager's namespace only.
    alertmanager_config_namespace_selector: LabelSelector | None = None
    #: ``spec.alertmanagerConfigMatcherStrategy.type``: ``OnNamespace`` (the operator's default)
    #: adds a ``namespace="<the AlertmanagerConfig's namespace>"`` matcher to its routes and
    #: inhibit rules, so only alerts carrying that label reach them.
    matcher_strategy: Literal["OnNamespace", "OnNamespaceExceptForAlertmanagerNamespace", "None"] = "OnNamespace"

    @classmethod
    def from_file(cls, path: str | Path) -> "AlertmanagerTarget":
        """The selectors of the ``Alertmanager`` resource in the YAML file at ``path`` (relative
        to the file calling this)."""
        doc = _resource(path, "Alertmanager")
        spec = doc.get("spec") or {}
        meta = doc.get("metadata") or {}
        strategy = (spec.get("alertmanagerConfigMatcherStrategy") or {}).get("type", "OnNamespace")
        return cls(name=meta.get("name", "alertmanager"), namespace=meta.get("namespace", "default"),
                   alertmanager_config_selector=_selector(spec.get("alertmanagerConfigSelector")),
                   alertmanager_config_namespace_selector=_selector(spec.get("alertmanagerConfigNamespaceSelector")),
                   matcher_strategy=strategy)


def _resource(path: str | Path, kind: str) -> dict[str, Any]:
    """The first document of ``kind`` in the YAML file (a List's items count)."""
    from obscode.errors import caller_location

    file = Path(path)
    where = caller_location()
    if not file.is_absolute() and where is not None:
        file = Path(where.file).resolve().parent / file
    try:
        docs = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ValueError(f"cannot read {kind} manifest {file}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{file} is not YAML: {exc}") from None
    for doc in docs:
        items = doc.get("items", []) if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
        for item in items:
            if isinstance(item, dict) and item.get("kind") == kind:
                return item
    raise ValueError(f"{file} holds no {kind} resource")


class Monitor(Model):
    """How the operator finds one scrape job's targets: a ServiceMonitor (Services selected by
    labels, endpoints by port name) or a PodMonitor (Pods, by container port name)."""

    kind = "monitor"

    #: ``ServiceMonitor`` or ``PodMonitor``.
    type: Literal["ServiceMonitor", "PodMonitor"] = "ServiceMonitor"
    #: Labels of the Services (or Pods) to scrape.
    selector: LabelSelector
    #: The named port to scrape (``spec.endpoints[].port`` / ``podMetricsEndpoints[].port``).
    port: str
    #: Namespaces to look for them in; empty: the monitor's own namespace.
    namespaces: list[str] = Field(default_factory=list)
    #: Every namespace (``namespaceSelector.any: true``).
    any_namespace: bool = False


class KubernetesSettings(Model):
    """The Kubernetes side of a stack: ``Stack(kubernetes=KubernetesSettings(...), outputs=[..., "kubernetes"])``."""

    kind = "kubernetes settings"

    #: The namespace every generated object is created in.
    namespace: str = "monitoring"
    #: Labels on every generated object (``app.kubernetes.io/part-of: <stack>`` is added).
    labels: dict[str, str] = Field(default_factory=dict)
    #: Labels only on the PrometheusRule objects (e.g. ``{"release": "kube-prometheus-stack"}``).
    rule_labels: dict[str, str] = Field(default_factory=dict)
    #: Labels only on the ServiceMonitor, PodMonitor and ScrapeConfig objects.
    monitor_labels: dict[str, str] = Field(default_factory=dict)
    #: Labels only on the AlertmanagerConfig.
    alertmanager_config_labels: dict[str, str] = Field(default_factory=dict)
    #: The labels of ``namespace`` itself, for the targets' namespace selectors; Kubernetes
    #: always sets ``kubernetes.io/metadata.name``.
    namespace_labels: dict[str, str] = Field(default_factory=dict)
    #: Scrape jobs found through the operator (job name → how); every other job of
    #: ``Stack.prometheus`` becomes a ``ScrapeConfig``.
    monitors: dict[str, Monitor] = Field(default_factory=dict)
    #: Dashboards as ConfigMaps for Grafana's sidecar, or as grafana-operator GrafanaDashboards.
    dashboards: Literal["configmap", "grafana-operator"] = "configmap"
    #: The label the Grafana sidecar watches for (kube-prometheus-stack: ``grafana_dashboard: "1"``).
    dashboard_label: dict[str, str] = Field(default_factory=lambda: {"grafana_dashboard": "1"})
    #: The GrafanaDashboard ``instanceSelector`` (required with ``dashboards="grafana-operator"``).
    instance_selector: LabelSelector | None = None
    #: The Grafana folder (title) of the GrafanaDashboards (``spec.folder``); empty: Grafana's
    #: General folder. ConfigMap dashboards go where the sidecar's own settings put them.
    dashboard_folder: str = ""
    #: How often grafana-operator syncs each GrafanaDashboard (``spec.resyncPeriod``, a Go
    #: duration such as ``"5m"``); empty: the operator's default (10m).
    dashboard_resync_period: str = ""
    #: The name of the Secret holding the receivers' secrets; each secret is a key of it.
    secret_name: str = ""
    #: The Prometheus resource that should load the rules and monitors (None: not checked).
    prometheus: PrometheusTarget | None = None
    #: The Alertmanager resource that should load the AlertmanagerConfig (None: not checked).
    alertmanager: AlertmanagerTarget | None = None

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return check_name(value, "namespace")

    @field_validator("labels", "rule_labels", "monitor_labels", "alertmanager_config_labels", "namespace_labels",
                     "dashboard_label")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return check_labels(value, "label")

    @model_validator(mode="after")
    def _operator_needs_selector(self) -> "KubernetesSettings":
        if self.dashboards == "grafana-operator" and self.instance_selector is None:
            raise ValueError("dashboards='grafana-operator' needs instance_selector: the labels of the Grafana "
                             "resources that should load the dashboards (GrafanaDashboard requires it)")
        return self

    def all_namespace_labels(self) -> dict[str, str]:
        """The labels of the objects' namespace, ``kubernetes.io/metadata.name`` included."""
        return {"kubernetes.io/metadata.name": self.namespace, **self.namespace_labels}

    def object_labels(self, stack: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The labels of one generated object: the common ones, then ``extra``."""
        return {"app.kubernetes.io/part-of": stack, **self.labels, **(extra or {})}
