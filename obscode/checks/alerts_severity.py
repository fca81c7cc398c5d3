"""``alerts/severity``: every alert has a ``severity`` label from the stack's
``allowed_severities``, and alerts of each severity reach a receiver that notifies someone
(one with at least one integration) through the Alertmanager route tree."""

from __future__ import annotations

from collections.abc import Iterator

from obscode import paths
from obscode.checks import CheckContext, Problem
from obscode.routing import receivers_for

CHECK_ID = "alerts/severity"
ALERTMANAGER_FILE = paths.ALERTMANAGER_CONFIG


def _silent(ctx: CheckContext, names: list[str]) -> list[str]:
    """The receivers among ``names`` that have no integration (they drop alerts)."""
    config = ctx.stack.alertmanager
    assert config is not None
    receivers = {r.name: r for r in config.receivers}
    silent = []
    for name in names:
        receiver = receivers.get(name)
        if receiver is None or not any(getattr(receiver, f) for f in type(receiver).model_fields
                                       if f.endswith("_configs")):
            silent.append(name)
    return silent


def run(ctx: CheckContext) -> Iterator[Problem]:
    allowed = list(ctx.stack.allowed_severities)
    config = ctx.stack.alertmanager
    for rule_file, alert in ctx.stack.alerts():
        obj = f"alert {alert.alert}"

        def problem(message: str, field: str = "labels.severity") -> Problem:
            return Problem(check=CHECK_ID, stack=ctx.name, file=f"prometheus/{rule_file.path}", obj=obj, field=field,
                           message=message, source=alert.source)

        severity = alert.labels.get("severity")
        if severity is None:
            yield problem(f"the severity label is missing; set one of {', '.join(allowed)}")
            continue
        if severity not in allowed:
            yield problem(f"severity {severity!r} is not allowed in this stack; use one of {', '.join(allowed)} "
                          "(or add it to the stack's allowed_severities)")
            continue
        if config is None:
            continue
        labels = {"alertname": alert.alert, **alert.labels}
        reached = receivers_for(config.route, labels)
        silent = _silent(ctx, reached)
        if silent and len(silent) == len(reached):
            yield problem(f"severity {severity} alerts are routed only to receiver(s) {', '.join(silent)}, "
                          "which notify no one; route them to a receiver with an integration")
    if config is None:
        return
    for severity in allowed:
        reached = receivers_for(config.route, {"severity": severity})
        silent = _silent(ctx, reached)
        if silent and len(silent) == len(reached):
            yield Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE, obj="route",
                          field="routes", message=f"alerts with severity={severity} reach only receiver(s) "
                          f"{', '.join(silent)}, which notify no one; route them to a receiver with an integration",
                          source=config.route.source)
