"""``routing/delivery``: a stack whose Prometheus evaluates alerts sends them somewhere.

With alerting rules, an Alertmanager configuration and a Prometheus configuration, but no
``alertmanagers`` in that Prometheus configuration, every alert fires in Prometheus' UI and
reaches no one: an error. A stack without ``prometheus`` or without ``alertmanager`` has the
other half configured elsewhere and is not judged."""

from __future__ import annotations

from collections.abc import Iterator

from obscode import paths
from obscode.checks import CheckContext, Problem

CHECK_ID = "routing/delivery"


def run(ctx: CheckContext) -> Iterator[Problem]:
    stack = ctx.stack
    if stack.prometheus is None or stack.alertmanager is None or not stack.alerts() or stack.prometheus.alertmanagers:
        return
    yield Problem(check=CHECK_ID, stack=ctx.name, file=paths.PROMETHEUS_CONFIG, obj="prometheus",
                  field="alertmanagers", source=stack.prometheus.source,
                  message=f"Prometheus evaluates {len(stack.alerts())} alerting rule(s) but sends alerts to no "
                          f"Alertmanager, so the stack's routes and receivers are never used: give PrometheusConfig alertmanagers="
                          "[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=['alertmanager:9093'])])]")
