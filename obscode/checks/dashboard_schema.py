"""``dashboard/schema``: the written JSON validates against a strict model of Grafana's
dashboard JSON for the schemaVersion obscode writes (see ``obscode/grafana/schema.py``).

Grafana ignores keys it does not know, so a misspelled ``legendFromat`` or ``fieldconfig``
silently does nothing; deprecated panel types (``graph``, ``singlestat``) render through
a lossy migration or not at all in Grafana 11. Both are errors here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from obscode.checks import CheckContext, Problem
from obscode.grafana import SCHEMA_VERSION
from obscode.grafana.schema import (
    DEPRECATED_PANEL_TYPES, PANEL_OPTIONS, PANEL_TYPES, Dashboard, Panel, PrometheusTarget, RowPanel,
)
from obscode.grafana.walk import RenderedDashboard, dashboards, panels

CHECK_ID = "dashboard/schema"


def _messages(model: type[BaseModel], data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(field, message) for every way ``data`` fails ``model``."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        out = []
        for error in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in error["loc"])
            field = f"{prefix}{loc}" if loc else prefix.rstrip(".") or None
            if error["type"] == "extra_forbidden":
                known = ", ".join(sorted(f.alias or n for n, f in _model_at(model, error["loc"]).model_fields.items()))
                message = f"unknown key {str(error['loc'][-1])!r}; allowed here: {known}"
            elif error["type"] == "missing":
                message = "is required"
            else:
                message = f"{error['msg']} (got {error.get('input')!r})"
            out.append((field or "", message))
        return out
    return []


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel]:
    """The nested model class that owns the key at ``loc`` (for listing its allowed keys)."""
    current = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            break
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for candidate in candidates:
            inner = [candidate, *getattr(candidate, "__args__", ())]
            found = next((c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None)
            if found:
                current = found
                break
    return current


def _panel_messages(panel: dict[str, Any]) -> list[tuple[str, str]]:
    kind = panel.get("type")
    if kind in DEPRECATED_PANEL_TYPES:
        return [("type", f"panel type {kind!r} is deprecated (Grafana 11 no longer renders it as written); "
                         f"use {DEPRECATED_PANEL_TYPES[kind]!r}")]
    if kind not in PANEL_TYPES:
        return [("type", f"unknown panel type {kind!r}; known: {', '.join(sorted(PANEL_TYPES))}")]
    if kind == "row":
        return _messages(RowPanel, panel)
    found = _messages(Panel, panel)
    options_model = PANEL_OPTIONS.get(kind)
    if options_model and isinstance(panel.get("options"), dict):
        found += _messages(options_model, panel["options"], "options.")
    for index, target in enumerate(panel.get("targets") or []):
        ref = target.get("datasource") if isinstance(target, dict) else None
        if isinstance(ref, dict) and ref.get("type") == "prometheus":
            found += _messages(PrometheusTarget, target, f"targets[{index}].")
    return found


def run(ctx: CheckContext) -> Iterator[Problem]:
    for dash in dashboards(ctx):
        def problem(obj: str, field: str, message: str, dash: RenderedDashboard = dash) -> Problem:
            return Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=obj, field=field or None,
                           message=message)

        for field, message in _messages(Dashboard, {**dash.data, "panels": []}):
            if field == "schemaVersion":
                message = f"schemaVersion must be {SCHEMA_VERSION}, the version obscode writes"
            yield problem(dash.label, field, message)
        for panel in panels(dash.data):
            for field, message in _panel_messages(panel):
                yield problem(dash.panel_label(panel), field, message)
