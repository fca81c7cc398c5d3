"""``dashboard/schema``: the written JSON against Grafana's dashboard model for the Grafana the
stack targets (``Stack.grafana_version``; see ``obscode/grafana/schema.py``).

Grafana ignores keys it does not know, so a misspelled ``legendFromat`` silently does
nothing: a key that is a near miss of a key Grafana reads there is an error ("did you mean").
A key Grafana ignores (a legacy key, a key in the wrong place, a key newer than the target)
is a warning, as are deprecated panel types (Grafana 11 migrates ``graph`` and
``singlestat`` when it loads them) and panel plugins that are not built in. A value of the
wrong type (``"max": "lots"``) or a missing required value is an error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from obscode.checks import CheckContext, Problem, Severity
from obscode.grafana.schema import (
    DEPRECATED_PANEL_TYPES, PANEL_OPTIONS, PANEL_TYPES, Dashboard, Panel, PrometheusTarget, RowPanel,
    dashboard_key_findings, panel_key_findings,
)
from obscode.grafana.origins import where
from obscode.grafana.walk import RenderedDashboard, dashboards, panels
from obscode.versions import grafana_schema_version

CHECK_ID = "dashboard/schema"
Finding = tuple[str, str, Severity]
#: What Grafana gives a panel whose gridPos lacks a member (PanelModel defaults).
_GRID_DEFAULTS = {"x": 0, "y": 0, "h": 3, "w": 6}
#: A finding's field naming one target of the panel: ``targets[2].expr``.
_TARGET_FIELD = re.compile(r"^targets\[(\d+)\]")


def _messages(model: type[BaseModel], data: Any, prefix: str = "") -> list[Finding]:
    """(field, message, severity) for every value of ``data`` that ``model`` refuses."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        out: list[Finding] = []
        for error in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in error["loc"])
            field = f"{prefix}{loc}" if loc else prefix.rstrip(".")
            if error["type"] == "missing" and loc.startswith("gridPos."):
                out.append((field, f"is missing; Grafana places the panel with {error['loc'][-1]} "
                                   f"{_GRID_DEFAULTS[str(error['loc'][-1])]}", "warning"))
                continue
            if error["type"] == "missing":
                message = "is required"
            else:
                message = f"{error['msg']} (got {error.get('input')!r})"
            out.append((field, message, "error"))
        return out
    return []


def _panel_type(kind: Any, grafana: str) -> Finding | None:
    if kind in DEPRECATED_PANEL_TYPES:
        return ("type", f"panel type {kind!r} is deprecated: Grafana 11 and later show it as "
                        f"{DEPRECATED_PANEL_TYPES[kind]!r} after a migration that may drop options; "
                        f"use {DEPRECATED_PANEL_TYPES[kind]!r}", "warning")
    if isinstance(kind, str) and kind not in PANEL_TYPES and "-" in kind:
        return ("type", f"panel type {kind!r} is a plugin, not built into Grafana {grafana}: it shows only "
                        "where the plugin is installed", "warning")
    if kind not in PANEL_TYPES:
        return ("type", f"unknown panel type {kind!r}; known: {', '.join(sorted(PANEL_TYPES))}", "error")
    return None


def _panel_findings(panel: dict[str, Any], grafana: str) -> list[Finding]:
    kind = panel.get("type")
    verdict = _panel_type(kind, grafana)
    if verdict is not None:
        return [verdict]  # an old or foreign panel's keys are its own
    if kind == "row":
        found = _messages(RowPanel, panel)
    else:
        found = _messages(Panel, panel)
        options_model = PANEL_OPTIONS.get(kind)
        if options_model and isinstance(panel.get("options"), dict):
            found += _messages(options_model, panel["options"], "options.")
        for index, target in enumerate(panel.get("targets") or []):
            ref = target.get("datasource") if isinstance(target, dict) else None
            if isinstance(ref, dict) and ref.get("type") == "prometheus":
                found += _messages(PrometheusTarget, target, f"targets[{index}].")
    return found + [(f.field, f.message, f.severity) for f in panel_key_findings(panel, grafana)]


def _dashboard_findings(data: dict[str, Any], grafana: str) -> list[Finding]:
    found = _messages(Dashboard, {**data, "panels": []})
    version = data.get("schemaVersion")
    newest = grafana_schema_version(grafana)
    if isinstance(version, int) and version > newest:
        found.append(("schemaVersion", f"schemaVersion {version} is newer than Grafana {grafana} "
                                       f"(grafana_version) knows ({newest}): it shows the dashboard without "
                                       "migrating it", "warning"))
    return found + [(f.field, f.message, f.severity) for f in dashboard_key_findings(data, grafana)]


def _node_of(panel: dict[str, Any], field: str) -> Any:
    """The target a panel finding's field names (``targets[1].expr``), else the panel."""
    match = _TARGET_FIELD.match(field or "")
    found = panel.get("targets") if match else None
    if match and isinstance(found, list) and int(match.group(1)) < len(found):
        return found[int(match.group(1))]
    return panel


def run(ctx: CheckContext) -> Iterator[Problem]:
    grafana = ctx.stack.grafana_version
    for dash in dashboards(ctx):
        def problem(obj: str, finding: Finding, node: Any = None, dash: RenderedDashboard = dash) -> Problem:
            field, message, severity = finding
            return Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=obj, field=field or None,
                           message=message, severity=severity, source=where(ctx, dash.path, node))

        for finding in _dashboard_findings(dash.data, grafana):
            yield problem(dash.label, finding)
        for panel in panels(dash.data):
            for finding in _panel_findings(panel, grafana):
                yield problem(dash.panel_label(panel), finding, _node_of(panel, finding[0]))
