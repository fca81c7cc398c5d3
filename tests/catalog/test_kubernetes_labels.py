"""On Kubernetes, a job found by a ServiceMonitor carries the operator's target labels."""

from __future__ import annotations

from obscode import KubernetesSettings, LabelSelector, Monitor
from tests.catalog.helpers import alert, messages, stack

QUERY = 'sum by (namespace, pod) (rate(http_requests_total{job="api"}[5m])) > 1'


def test_pod_and_namespace_are_unknown_to_a_plain_job() -> None:
    found = messages("catalog/label", stack([alert(QUERY)]))
    assert any("label namespace" in m or "'namespace'" in m for m in found), found


def test_a_monitored_job_carries_the_operators_target_labels() -> None:
    settings = KubernetesSettings(monitors={"api": Monitor(selector=LabelSelector(matchLabels={"app": "api"}),
                                                           port="http")})
    on_kubernetes = stack([alert(QUERY)], outputs=["prometheus", "alertmanager", "grafana", "kubernetes"],
                          kubernetes=settings)
    assert messages("catalog/label", on_kubernetes) == []
