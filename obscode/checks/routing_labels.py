"""``routing/labels``: ``group_by`` and inhibit ``equal`` name labels alerts carry.

Grouping by a label no alert carries (``jobb``) puts every alert in one group (all have the
same empty value); an inhibit rule whose ``equal`` names one compares two empty values, so a
source alert mutes targets of every other service. Both are errors, with the closest label
alerts do carry. (``group_by: ['...']`` beside other labels is refused when the stack loads.)"""

from __future__ import annotations

from collections.abc import Iterator

from obscode.alert_labels import Truth
from obscode.checks import CheckContext, Problem
from obscode.checks._routing import ALERTMANAGER_FILE, alert_shapes, listing, suggest

CHECK_ID = "routing/labels"


def _uncarried(label: str, alerts: list) -> str | None:
    if any(a.carries(label) is not Truth.NO for a in alerts):
        return None
    names = {n for a in alerts for n in a.names}
    return f"{label}, which no alert carries{suggest(label, names)} (labels alerts carry: {listing(names)})"


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None:
        return
    alerts = alert_shapes(ctx) if ctx.stack.alerts() else []
    for path, route in config.route.walk():
        group_by = route.group_by or []
        if not alerts:
            continue
        for label in group_by:
            if label == "...":
                continue
            why = _uncarried(label, alerts)
            if why:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE,
                              obj=f"{path} {route.describe_path()}", field="group_by",
                              message=f"group_by names {why}: every alert has it empty, so it splits "
                                      "no group", source=route.source, cause=f"group_by names {why}")
    if not alerts:
        return
    for index, rule in enumerate(config.inhibit_rules):
        for label in rule.equal:
            why = _uncarried(label, alerts)
            if why:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=ALERTMANAGER_FILE,
                              obj=f"inhibit_rules[{index}]", field="equal",
                              message=f"equal names {why}: source and target both have it empty, so "
                                      "it binds nothing and the rule mutes across every value",
                              source=rule.source, cause=f"equal names {why}")
