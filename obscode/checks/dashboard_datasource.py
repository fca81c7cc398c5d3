"""``dashboard/datasource``: every datasource a panel, target, variable or annotation
uses is one obscode provisions (``grafana/provisioning/datasources/datasources.yml``),
one of Grafana's built-ins, or a datasource variable of the dashboard.

A reference to a datasource that does not exist shows as "Datasource not found" on
every panel that uses it; exported dashboards often carry the exporting Grafana's uids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from obscode.checks import CheckContext, Problem
from obscode.emit.grafana import DATASOURCES_FILE
from obscode.grafana.origins import where
from obscode.grafana.walk import RenderedDashboard, dashboards, panels, targets, variables
from obscode.grafana_vars import name_of
from obscode.model.dashboards import BUILTIN_DATASOURCE_UIDS

CHECK_ID = "dashboard/datasource"


def _problem(ref: Any, known: dict[str, str], datasource_vars: set[str]) -> str | None:
    """What is wrong with datasource reference ``ref``, or None when it resolves."""
    if not isinstance(ref, dict):
        return f"datasource {ref!r} must be a {{type, uid}} reference"
    uid = ref.get("uid")
    if not isinstance(uid, str):
        return f"datasource {ref!r} has no uid"
    variable = name_of(uid)
    if variable:
        if variable in datasource_vars:
            return None
        return f"datasource {uid!r} names no datasource variable of this dashboard"
    if uid in BUILTIN_DATASOURCE_UIDS:
        return None
    listing = ", ".join(f"{u} ({t})" for u, t in sorted(known.items()))
    if uid not in known:
        return f"datasource uid {uid!r} is not provisioned; provisioned: {listing}"
    if ref.get("type") not in (None, known[uid]):
        return f"datasource uid {uid!r} is a {known[uid]} datasource, not {ref.get('type')!r}"
    return None


def run(ctx: CheckContext) -> Iterator[Problem]:
    if DATASOURCES_FILE not in ctx.files:
        return
    provisioned = ctx.yaml(DATASOURCES_FILE).get("datasources") or []
    known = {d["uid"]: d["type"] for d in provisioned}
    for dash in dashboards(ctx):
        datasource_vars = {v.get("name") for v in variables(dash.data) if v.get("type") == "datasource"}

        def check(ref: Any, obj: str, field: str, node: Any, dash: RenderedDashboard = dash) -> Iterator[Problem]:
            message = _problem(ref, known, datasource_vars)
            if message:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=obj, field=field, message=message,
                              source=where(ctx, dash.path, node))

        for panel in panels(dash.data):
            label = dash.panel_label(panel)
            if panel.get("type") == "row":
                continue
            if "datasource" in panel:
                yield from check(panel["datasource"], label, "datasource", panel)
            elif list(targets(panel)):
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=label, field="datasource",
                              message="panel has queries but no datasource", source=where(ctx, dash.path, panel))
            for target in targets(panel):
                if "datasource" in target:
                    yield from check(target["datasource"], label, f"targets[{target.get('refId')}].datasource",
                                     target)
        for variable in variables(dash.data):
            if "datasource" in variable:
                yield from check(variable["datasource"], f"{dash.label} variable {variable.get('name')}",
                                 "datasource", variable)
        annotations = dash.data.get("annotations", {}).get("list") or []
        for annotation in annotations:
            if isinstance(annotation, dict) and "datasource" in annotation:
                yield from check(annotation["datasource"], f"{dash.label} annotation {annotation.get('name')!r}",
                                 "datasource", None)
