"""``alertmanager/receivers``: every defined receiver is reachable from the route tree.

Unknown receivers are rejected when the stack loads; a receiver no route names is
dead configuration (usually a typo in a route, or a leftover), reported as a warning; so is
a receiver with no integration a route sends to: its alerts are dropped without a trace
(a deliberate blackhole says so with ``ignore=["alertmanager/receivers"]``)."""

from __future__ import annotations

from collections.abc import Iterator

from obscode import paths
from obscode.checks import CheckContext, Problem

CHECK_ID = "alertmanager/receivers"


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None:
        return
    used = config.used_receivers()
    for receiver in config.receivers:
        integrations = [name for name in type(receiver).model_fields if name.endswith("_configs")]
        if receiver.name in used and not any(getattr(receiver, name) for name in integrations):
            yield Problem(
                check=CHECK_ID, stack=ctx.name, file=paths.ALERTMANAGER_CONFIG,
                obj=f"receiver {receiver.name}", field="name", severity="warning",
                message="routes send alerts here, but the receiver has no integration (e-mail, PagerDuty, "
                        "Slack, webhook…): they are dropped; give it one, or mark a deliberate blackhole "
                        "with ignore=['alertmanager/receivers']",
                source=receiver.source,
            )
        if receiver.name not in used:
            yield Problem(
                check=CHECK_ID, stack=ctx.name, file=paths.ALERTMANAGER_CONFIG,
                obj=f"receiver {receiver.name}", field="name", severity="warning",
                message="no route sends alerts to this receiver; route to it or remove it",
                source=receiver.source,
            )
