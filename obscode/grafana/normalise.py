"""Normalising dashboard JSON into what obscode writes.

After :func:`normalise` a dashboard has at least the ``schemaVersion`` obscode writes (a newer
one the author declared is kept: obscode never downgrades a dashboard); every datasource
reference is ``{type, uid}`` (names and ``null`` resolved against the provisioned
datasources, unknown names kept as ``{uid}`` so ``dashboard/datasource`` can report them);
every panel has an id and every target a refId; null values and keys Grafana no longer
reads are gone. Nothing is invented: a panel without ``gridPos`` stays without one, for
``dashboard/layout`` to report.

Ids are numbered over the panels :func:`obscode.grafana.walk.walk` visits (rows and their
children), the same panels every check and the diff read.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from obscode.grafana import SCHEMA_VERSION
from obscode.grafana.legacy import fix_field_options, rows_to_panels, thresholds
from obscode.grafana.walk import panels as walk_panels
from obscode.model.dashboards import Datasource

_DASHBOARD_LEGACY = ("id", "rows", "style", "hideControls", "sharedCrosshair", "gnetId", "__inputs", "__requires")
_PANEL_LEGACY = ("error", "editable", "height", "span", "minSpan", "columns", "fontSize", "styles", "scroll", "sort")
_ROW_NOISE = ("fieldConfig", "targets", "transformations", "links", "maxDataPoints", "options",
              "transparent", "hideTimeOverride", "datasource", "repeatDirection")
_TARGET_LEGACY = ("metric", "target", "step", "intervalFactor", "rawSql", "rawQuery", "srcFilePath", "sqlParams")
_VARIABLE_LEGACY = ("useTags", "tagsQuery", "tagValuesQuery", "tags")
_INTERVAL_ONLY = ("auto", "auto_count", "auto_min")
_GRAFANA_REF = {"type": "grafana", "uid": "-- Grafana --"}
_SPECIAL_NAMES = {
    "-- Grafana --": _GRAFANA_REF,
    "-- Mixed --": {"type": "datasource", "uid": "-- Mixed --"},
    "-- Dashboard --": {"type": "datasource", "uid": "-- Dashboard --"},
}
BUILTIN_ANNOTATION = {
    "builtIn": 1, "datasource": _GRAFANA_REF, "enable": True, "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
}


@dataclass(frozen=True)
class DatasourceIndex:
    """Provisioned datasources by name and uid; the default one stands in for ``null``."""

    datasources: tuple[Datasource, ...]

    @property
    def default(self) -> dict[str, str]:
        chosen = next((d for d in self.datasources if d.is_default), self.datasources[0])
        return chosen.ref()

    def ref(self, value: Any) -> Any:
        """``value`` (a name, uid, ``{uid}``, ``{type, uid}`` or ``None``) as a ``{type, uid}`` reference."""
        if value is None:
            return self.default
        if isinstance(value, dict):
            if value.get("type") or "uid" not in value:
                return value
            value = value["uid"]
        if not isinstance(value, str):
            return value
        if value == "default":  # Grafana's name for its default datasource
            return self.default
        if value in _SPECIAL_NAMES:
            return dict(_SPECIAL_NAMES[value])
        for datasource in self.datasources:
            if value in (datasource.name, datasource.uid):
                return datasource.ref()
        return {"uid": value}


def _without_nones(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` minus keys whose value is None, recursively through dicts (not lists)."""
    return {k: _without_nones(v) if isinstance(v, dict) else v for k, v in data.items() if v is not None}


def _drop(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def _targets(panel: dict[str, Any], datasources: DatasourceIndex) -> list[dict[str, Any]]:
    used = {t.get("refId") for t in panel["targets"] if isinstance(t, dict) and t.get("refId")}
    free = (letter for letter in string.ascii_uppercase if letter not in used)
    out = []
    for target in panel["targets"]:
        if not isinstance(target, dict):
            out.append(target)
            continue
        target = _drop(_without_nones(target), _TARGET_LEGACY)
        if target.get("query") == target.get("expr"):
            target.pop("query", None)  # grafanalib copies expr into query
        if not target.get("refId"):
            target["refId"] = next(free, "Z")
        target["datasource"] = datasources.ref(target.get("datasource")) if "datasource" in target \
            else panel["datasource"]
        out.append(target)
    return out


def _field_config(panel: dict[str, Any]) -> None:
    fix_field_options(panel)
    field_config = panel.get("fieldConfig")
    if not isinstance(field_config, dict):
        return
    defaults = field_config.setdefault("defaults", {})
    if isinstance(defaults, dict):
        defaults = _without_nones(defaults)
        if "thresholds" in defaults:
            defaults["thresholds"] = thresholds(defaults["thresholds"])
        field_config["defaults"] = defaults
    field_config.setdefault("overrides", [])
    mappings = panel.pop("mappings", None)  # table-old kept value mappings on the panel
    if mappings and isinstance(defaults, dict):
        defaults.setdefault("mappings", mappings)


def _panel(panel: dict[str, Any], datasources: DatasourceIndex) -> dict[str, Any]:
    if not isinstance(panel, dict):
        return panel
    panel = _drop(_without_nones(panel), _PANEL_LEGACY)
    if panel.get("type") == "row":
        return _row(panel, datasources)
    if panel.get("panels") == []:
        panel.pop("panels")  # grafonnet gives every panel an empty list only rows read
    if panel.get("type") == "table":
        panel.pop("color", None)  # grafanalib's Table sets table-old's colour mode here
    if "options" in panel and panel["options"] == {}:
        panel.pop("options")
    _field_config(panel)
    if panel.get("targets") or "datasource" in panel:
        panel["datasource"] = datasources.ref(panel.get("datasource"))
    if isinstance(panel.get("targets"), list):
        panel["targets"] = _targets(panel, datasources)
    return panel


def _row(panel: dict[str, Any], datasources: DatasourceIndex) -> dict[str, Any]:
    """Row panels carry no queries: only their layout, title, repeat and collapsed children."""
    kept = _drop(panel, _ROW_NOISE)
    kept.setdefault("collapsed", False)
    kept["panels"] = [_panel(p, datasources) for p in kept.get("panels") or []]
    return kept


def _assign_ids(panels: list[Any]) -> None:
    """Keep every id the author gave; number the rest after the highest, in reading order."""
    every = list(walk_panels({"panels": panels}))
    taken = [p["id"] for p in every if isinstance(p.get("id"), int) and p["id"] > 0]
    next_id = max(taken, default=0) + 1
    for panel in every:
        if not (isinstance(panel.get("id"), int) and panel["id"] > 0):
            panel["id"] = next_id
            next_id += 1


def _variable(variable: dict[str, Any], datasources: DatasourceIndex) -> dict[str, Any]:
    if not isinstance(variable, dict):
        return variable
    variable = _drop(_without_nones(variable), _VARIABLE_LEGACY)
    if variable.get("type") != "interval":
        variable = _drop(variable, _INTERVAL_ONLY)
    current = variable.get("current")
    if isinstance(current, dict) and current.get("value") is None:
        variable.pop("current")
    elif isinstance(current, dict):
        variable["current"] = _drop(current, ("tags",))
    if variable.get("type") in ("query", "adhoc") or isinstance(variable.get("datasource"), str):
        variable["datasource"] = datasources.ref(variable.get("datasource"))
    if variable.get("type") == "query" and isinstance(variable.get("query"), str):
        variable.setdefault("definition", variable["query"])
    return variable


def _annotations(block: Any, datasources: DatasourceIndex) -> dict[str, Any]:
    items = block.get("list") if isinstance(block, dict) else None
    items = [dict(a) for a in items or [] if isinstance(a, dict)]
    if not any(a.get("builtIn") == 1 for a in items):
        items.insert(0, dict(BUILTIN_ANNOTATION))
    for item in items:
        if "datasource" in item:
            item["datasource"] = datasources.ref(item["datasource"])
    return {"list": [_without_nones(a) for a in items]}


def schema_version(declared: Any) -> int:
    """The schemaVersion to write: the declared one when it is newer than obscode's, else obscode's.

    Grafana migrates an older dashboard when it loads it; obscode's normalisation does the
    same steps once. A newer declared version is the author's: rewriting it to an older one
    would make Grafana run migrations that already happened."""
    if isinstance(declared, str) and declared.strip().isdigit():
        declared = int(declared)
    if isinstance(declared, int) and not isinstance(declared, bool) and declared > SCHEMA_VERSION:
        return declared
    return SCHEMA_VERSION


def normalise(raw: dict[str, Any], datasources: DatasourceIndex) -> dict[str, Any]:
    """The normalised form of dashboard JSON ``raw`` (which is not modified)."""
    dashboard = _without_nones(raw)
    rows = dashboard.get("rows") or []
    if rows and not dashboard.get("panels"):
        dashboard["panels"] = rows_to_panels(rows)
    if dashboard.get("sharedCrosshair") and not dashboard.get("graphTooltip"):
        dashboard["graphTooltip"] = 1
    dashboard = _drop(dashboard, _DASHBOARD_LEGACY)
    dashboard["schemaVersion"] = schema_version(dashboard.get("schemaVersion"))
    dashboard["panels"] = [_panel(p, datasources) for p in dashboard.get("panels") or []]
    _assign_ids(dashboard["panels"])
    templating = dashboard.get("templating")
    variables = templating.get("list") if isinstance(templating, dict) else None
    dashboard["templating"] = {"list": [_variable(v, datasources) for v in variables or []]}
    dashboard["annotations"] = _annotations(dashboard.get("annotations"), datasources)
    timepicker = dashboard.get("timepicker")
    if isinstance(timepicker, dict):
        dashboard["timepicker"] = _drop(timepicker, ("time_options", "nowDelay"))
    return dashboard
