"""``routing/default``: alerts no child route takes, reported (severity info).

When the root route has children, an alert that matches none of them goes to the root's
receiver, the catch-all. That is often the design (warnings to the team's e-mail), and
sometimes a mistake nothing else shows (an alert without the label its team's route needs).
One finding per combination of the labels the routes decide on, naming the alerts; labels
known only at run time may still route them elsewhere, so those alerts are left out."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.alert_labels import deliveries
from obscode.checks import CheckContext, Problem
from obscode.checks._routing import ALERTMANAGER_FILE, alert_shapes

CHECK_ID = "routing/default"


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None or not config.route.routes or not ctx.stack.alerts():
        return
    keys = sorted({m.name for _, route in config.route.walk() for m in route.matchers} - {"alertname"})
    groups: dict[tuple[str, ...], list[str]] = {}
    for alert in alert_shapes(ctx):
        found = deliveries(config.route, alert)
        if len(found) == 1 and found[0].path == "route" and found[0].certain:
            values = tuple(f"{k}={alert.values[k]}" if k in alert.values else f"no {k}" for k in keys)
            groups.setdefault(values, []).append(alert.alert)
    for values, names in sorted(groups.items()):
        unique = sorted(set(names))
        which = f" with {', '.join(values)}" if values else ""
        yield Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE, obj="route", field="routes",
                      severity="info", source=config.route.source,
                      message=f"{len(unique)} alert(s){which} match no child route and go only to the default "
                              f"receiver {config.route.receiver}: {', '.join(unique)}")
