"""Quantis on Kubernetes: the objects kube-prometheus-stack loads (generated/quantis/kubernetes/).

The platform runs in namespace ``quantis``; kube-prometheus-stack (Helm release
``kube-prometheus-stack``) runs in ``monitoring`` and, as its chart sets by default, selects
PrometheusRules, ServiceMonitors, PodMonitors and ScrapeConfigs by the label
``release: kube-prometheus-stack``. The API and the model service are Kubernetes Services, found by
ServiceMonitors; the database and node exporters keep their static targets (ScrapeConfigs), and
the ``kubernetes`` job's node discovery becomes a ScrapeConfig with the same relabelling.
"""

from __future__ import annotations

from obscode import AlertmanagerTarget, KubernetesSettings, LabelSelector, Monitor, PrometheusTarget

from .config import CONFIG, QuantisConfig

RELEASE = "kube-prometheus-stack"


def kubernetes(config: QuantisConfig = CONFIG) -> KubernetesSettings:
    release = {"release": RELEASE}
    every = LabelSelector()  # {}: every namespace
    return KubernetesSettings(
        namespace="monitoring",
        labels={"app.kubernetes.io/managed-by": "obscode"},
        rule_labels=release,
        monitor_labels=release,
        alertmanager_config_labels={"alertmanagerConfig": "quantis"},
        monitors={
            config.api.name: Monitor(selector=LabelSelector(matchLabels={"app.kubernetes.io/name": "quantis-api"}),
                                     port="http", namespaces=["quantis"]),
            config.model_service.name: Monitor(
                selector=LabelSelector(matchLabels={"app.kubernetes.io/name": "quantis-model-service"}),
                port="http", namespaces=["quantis"]),
        },
        secret_name="quantis-alertmanager",
        prometheus=PrometheusTarget(
            name="kube-prometheus-stack-prometheus", namespace="monitoring",
            rule_selector=LabelSelector(matchLabels=release), rule_namespace_selector=every,
            service_monitor_selector=LabelSelector(matchLabels=release), service_monitor_namespace_selector=every,
            pod_monitor_selector=LabelSelector(matchLabels=release), pod_monitor_namespace_selector=every,
            scrape_config_selector=LabelSelector(matchLabels=release), scrape_config_namespace_selector=every,
        ),
        # The chart's Alertmanager selects AlertmanagerConfigs by label. Quantis' alerts carry the
        # namespace of the service they are about (quantis), not of the AlertmanagerConfig
        # (monitoring), so the operator's default OnNamespace matcher would drop them all: the
        # release sets alertmanagerConfigMatcherStrategy to None.
        alertmanager=AlertmanagerTarget(
            name="kube-prometheus-stack-alertmanager", namespace="monitoring",
            alertmanager_config_selector=LabelSelector(matchLabels={"alertmanagerConfig": "quantis"}),
            matcher_strategy="None",
        ),
    )
