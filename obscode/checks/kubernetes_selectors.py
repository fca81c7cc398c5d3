"""``kubernetes/selectors``: the target Prometheus and Alertmanager pick up every generated object.

prometheus-operator ignores, without a word, a PrometheusRule, ServiceMonitor, PodMonitor,
ScrapeConfig or AlertmanagerConfig that the resource's selectors do not match: the rules never
fire, the targets are never scraped. With ``KubernetesSettings.prometheus`` /
``.alertmanager`` declared (or read with ``PrometheusTarget.from_file``), each such object is an
error naming the selector and the label, namespace or selector to change. The most common
case is kube-prometheus-stack's ``release: <release name>`` label missing from the rules."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem
from obscode.kubernetes.selectors import unselected

CHECK_ID = "kubernetes/selectors"


def run(ctx: CheckContext) -> Iterator[Problem]:
    settings = ctx.stack.kubernetes
    if settings is None or (settings.prometheus is None and settings.alertmanager is None):
        return
    for miss in unselected(ctx.output.kubernetes_objects(), settings):
        yield Problem(check=CHECK_ID, stack=ctx.name, file=miss.path, obj=f"{miss.kind} {miss.name}",
                      field=miss.field, message=miss.message, source=settings.source)
