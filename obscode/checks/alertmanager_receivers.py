"""``alertmanager/receivers``: every defined receiver is reachable from the route tree.

Unknown receivers are rejected when the stack loads; a receiver no route names is
dead configuration (usually a typo in a route, or a leftover), reported as a warning."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem

CHECK_ID = "alertmanager/receivers"


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None:
        return
    used = config.used_receivers()
    for receiver in config.receivers:
        if receiver.name not in used:
            yield Problem(
                check=CHECK_ID, stack=ctx.name, file="alertmanager/alertmanager.yml",
                obj=f"receiver {receiver.name}", field="name", severity="warning",
                message="no route sends alerts to this receiver; route to it or remove it",
                source=receiver.source,
            )
