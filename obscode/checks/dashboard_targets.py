"""``dashboard/targets``: the targets (queries) of one panel have distinct ``refId``s.

Grafana keys a panel's query results by refId: with two targets ``A``, one query's result
replaces the other's and the panel silently shows only one of them (and expressions or
transformations naming ``A`` pick either). A target without a refId gets the first free letter
when obscode writes the dashboard, as Grafana would give it, so only refIds the author wrote
can collide."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

from obscode.checks import CheckContext, Problem
from obscode.grafana.origins import where
from obscode.grafana.walk import dashboards, panels, targets

CHECK_ID = "dashboard/targets"


def _free_ref(panel: dict[str, Any]) -> str:
    """A refId no target of ``panel`` has, for the message."""
    taken = {t.get("refId") for t in targets(panel)}
    return next((repr(letter) for letter in string.ascii_uppercase if letter not in taken), "an unused one")


def run(ctx: CheckContext) -> Iterator[Problem]:
    for dash in dashboards(ctx):
        for panel in panels(dash.data):
            first: dict[str, int] = {}
            for position, target in enumerate(targets(panel), start=1):
                ref = target.get("refId")
                if not isinstance(ref, str) or not ref:
                    continue
                if ref not in first:
                    first[ref] = position
                    continue
                yield Problem(
                    check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                    field=f"targets[{position - 1}].refId", source=where(ctx, dash.path, target),
                    cause=f"two targets of one panel have refId {ref!r}",
                    message=f"targets {first[ref]} and {position} both have refId {ref!r}: Grafana keys query "
                            f"results by refId, so the panel shows only one of them; give this target its own "
                            f"refId (e.g. {_free_ref(panel)})")
