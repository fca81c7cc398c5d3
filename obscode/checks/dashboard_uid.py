"""``dashboard/uid``: every dashboard has a uid, unique in the stack, that Grafana accepts.

The uid names the output file and is how links, alerts and provisioning find the
dashboard: a missing uid makes Grafana invent a new one on every start, a repeated
one makes one dashboard silently replace the other."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem
from obscode.grafana.origins import where
from obscode.grafana.walk import dashboards
from obscode.model.dashboards import UID_MAX_LENGTH, UID_PATTERN

CHECK_ID = "dashboard/uid"


def run(ctx: CheckContext) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for dash in dashboards(ctx):
        uid = dash.data.get("uid")
        title = dash.data.get("title")

        def problem(message: str) -> Problem:
            return Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.label,
                           field="uid", message=message, source=where(ctx, dash.path))

        if not isinstance(uid, str) or not uid:
            yield problem(f"dashboard {title!r} has no uid; set Dashboard(uid=...) to a short fixed id "
                          "such as 'api-performance'")
            continue
        if not UID_PATTERN.match(uid) or len(uid) > UID_MAX_LENGTH:
            yield problem(f"uid {uid!r} is not valid: use 1-{UID_MAX_LENGTH} characters of letters, "
                          "digits, '-' and '_'")
            continue
        if uid in seen:
            yield problem(f"uid {uid!r} is used by dashboards {seen[uid]!r} and {title!r}; "
                          "every dashboard needs its own uid")
            continue
        seen[uid] = str(title)
