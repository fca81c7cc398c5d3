"""``routing/delivery``: a stack whose Prometheus evaluates alerts sends them somewhere.

With alerting rules, an Alertmanager configuration and a Prometheus configuration, but no
``alertmanagers`` in that Prometheus configuration, every alert fires in Prometheus' UI and
reaches no one: an error. A stack without ``prometheus`` or without ``alertmanager`` has the
other half configured elsewhere and is not judged.

With the ``kubernetes`` output and prometheus-operator's namespace matcher strategy, an alert
that never carries ``namespace="<the AlertmanagerConfig's namespace>"`` reaches none of the
stack's routes: an error naming the alerts; one whose namespace is known only at run time: a
warning."""

from __future__ import annotations

from collections.abc import Iterator

from obscode import paths
from obscode.alert_labels import Truth
from obscode.checks import CheckContext, Problem
from obscode.checks._routing import alert_shapes
from obscode.kubernetes import alertmanager_config
from obscode.kubernetes.am_namespace import namespace_matcher

CHECK_ID = "routing/delivery"


def run(ctx: CheckContext) -> Iterator[Problem]:
    yield from _namespace_matcher(ctx)
    stack = ctx.stack
    if stack.prometheus is None or stack.alertmanager is None or not stack.alerts() or stack.prometheus.alertmanagers:
        return
    yield Problem(check=CHECK_ID, stack=ctx.name, file=paths.PROMETHEUS_CONFIG, obj="prometheus",
                  field="alertmanagers", source=stack.prometheus.source,
                  message=f"Prometheus evaluates {len(stack.alerts())} alerting rule(s) but sends alerts to no "
                          f"Alertmanager, so the stack's routes and receivers are never used: give PrometheusConfig alertmanagers="
                          "[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=['alertmanager:9093'])])]")


def _namespace_matcher(ctx: CheckContext) -> Iterator[Problem]:
    gate = namespace_matcher(ctx.stack)
    if gate is None or not ctx.stack.alerts():
        return
    alerts = alert_shapes(ctx)
    name = alertmanager_config.name(ctx.stack)
    where = {"check": CHECK_ID, "stack": ctx.name, "file": paths.kubernetes_object("AlertmanagerConfig", name),
             "obj": f"AlertmanagerConfig {name}", "field": "route",
             "source": ctx.stack.kubernetes.source if ctx.stack.kubernetes else None}
    adds = f"the operator adds {gate.matcher} to its routes (alertmanagerConfigMatcherStrategy {gate.strategy})"
    never = sorted({a.alert for a in alerts if a.reaches_routes() is Truth.NO})
    if never:
        yield Problem(**where, message=(
            f"{len(never)} alert(s) never carry {gate.matcher}, and {adds}, so no receiver of the stack gets them: "
            f"{', '.join(never)}; give their rules labels={{'namespace': '{gate.namespace}'}}, set "
            "PrometheusTarget(enforced_namespace_label='namespace'), or scrape their series through a monitor "
            f"in namespace {gate.namespace}; or have the Alertmanager use the matcher strategy None "
            "(AlertmanagerTarget(matcher_strategy='None'))"))
    maybe = sorted({a.alert for a in alerts if a.reaches_routes() is Truth.MAYBE})
    if maybe:
        yield Problem(**where, severity="warning", message=(
            f"{len(maybe)} alert(s) reach the stack's routes only when their namespace label, known at run time, "
            f"is {gate.namespace} ({adds}): {', '.join(maybe)}"))
