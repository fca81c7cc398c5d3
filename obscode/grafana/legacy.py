"""Rewriting the legacy shapes grafanalib (and old exports) produce into current ones.

grafanalib writes pre-Grafana-7 structures for some panels: ``options.fieldOptions`` on
bar gauges, field options inlined in ``fieldConfig.defaults`` on gauges, graph-era
threshold steps, ``rows`` instead of ``panels``. Grafana migrates these when it loads a
dashboard; obscode does it once, so the committed JSON is what Grafana shows.
"""

from __future__ import annotations

import math
from typing import Any

from obscode.grafana.origins import ORIGIN_KEY

#: Keys of the pre-7 ``fieldOptions`` block that are not per-field defaults.
_REDUCE_KEYS = ("calcs", "limit", "values")
_FIELD_OPTION_KEYS = ("calcs", "limit", "values", "override", "mappings", "thresholds", "defaults")

#: Options only the gauge panel reads.
_GAUGE_ONLY = ("showThresholdLabels", "showThresholdMarkers")

#: Grafana's grid: 24 columns; one unit of height is about 30 px.
GRID_COLUMNS = 24
_PX_PER_UNIT = 30
_DEFAULT_ROW_HEIGHT_PX = 250


def threshold_steps(steps: Any) -> list[dict[str, Any]]:
    """Steps as ``[{color, value}]``, the first with ``value: null`` (Grafana's -Infinity base)."""
    if not isinstance(steps, list) or not steps:
        return [{"color": "green", "value": None}]
    out = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            out.append(step)
            continue
        value = step.get("value")
        if value == "null" or index == 0:
            value = None
        out.append({"color": step.get("color", "green"), "value": value})
    return out


def thresholds(block: Any) -> Any:
    """A ``{mode, steps}`` thresholds block from either the current shape or a bare list of steps."""
    if isinstance(block, list):
        return {"mode": "absolute", "steps": threshold_steps(block)}
    if isinstance(block, dict):
        return {"mode": block.get("mode") or "absolute", "steps": threshold_steps(block.get("steps"))}
    return block


def lift_field_options(panel: dict[str, Any], legacy: dict[str, Any]) -> None:
    """Move a pre-7 ``fieldOptions`` block into ``fieldConfig.defaults`` and ``options.reduceOptions``."""
    field_config = panel.setdefault("fieldConfig", {})
    defaults = field_config.setdefault("defaults", {})
    options = panel.setdefault("options", {})
    reduce = {"calcs": legacy.get("calcs") or ["lastNotNull"], "fields": "", "values": bool(legacy.get("values"))}
    if legacy.get("limit") is not None:
        reduce["limit"] = legacy["limit"]
    options.setdefault("reduceOptions", reduce)
    inner = legacy.get("defaults") or {}
    for key, value in inner.items():
        target = "displayName" if key == "title" else key
        if value is not None and target not in defaults:
            defaults[target] = value
    if legacy.get("mappings"):
        defaults.setdefault("mappings", legacy["mappings"])
    if "thresholds" in legacy:
        defaults["thresholds"] = thresholds(legacy["thresholds"])


def fix_field_options(panel: dict[str, Any]) -> None:
    """Undo grafanalib's legacy gauge/bar-gauge layout, in place."""
    _lift_legacy_field_options(panel)
    options = panel.get("options")
    if panel.get("type") != "gauge" and isinstance(options, dict):
        for key in _GAUGE_ONLY:  # grafanalib writes them on bar gauges too, which never read them
            options.pop(key, None)


def _lift_legacy_field_options(panel: dict[str, Any]) -> None:
    options = panel.get("options")
    if isinstance(options, dict) and isinstance(options.get("fieldOptions"), dict):
        lift_field_options(panel, options.pop("fieldOptions"))
    field_config = panel.get("fieldConfig")
    if not isinstance(field_config, dict):
        return
    defaults = field_config.get("defaults")
    if isinstance(defaults, dict) and any(k in defaults for k in _REDUCE_KEYS + ("override",)):
        legacy = {k: defaults.pop(k) for k in _FIELD_OPTION_KEYS if k in defaults and k != "defaults"}
        legacy["defaults"] = {k: defaults.pop(k) for k in ("title",) if k in defaults}
        lift_field_options(panel, legacy)
    for key in _GAUGE_ONLY:
        if key in field_config:
            panel.setdefault("options", {}).setdefault(key, field_config.pop(key))


def rows_to_panels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lay out a pre-5 ``rows`` dashboard on the grid, as Grafana's own migration does.

    Each titled row becomes a row panel; its panels fill the row left to right, ``span``
    (out of 12) giving the width, the row's pixel height giving the height.
    """
    panels: list[dict[str, Any]] = []
    y = 0
    for row in rows:
        height = _height_units(row.get("height"))
        if row.get("showTitle") or row.get("title") and len(rows) > 1:
            panels.append({"type": "row", "title": row.get("title") or "", "collapsed": bool(row.get("collapse")),
                           "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y}, "panels": [],
                           **{k: row[k] for k in (ORIGIN_KEY,) if k in row}})
            y += 1
        children = [dict(p) for p in row.get("panels") or []]
        x = 0
        for child in children:
            span = child.pop("span", None) or GRID_COLUMNS // 2 // max(len(children), 1) or 1
            width = min(GRID_COLUMNS, int(span * 2))
            if x + width > GRID_COLUMNS:
                x, y = 0, y + height
            child["gridPos"] = {"h": _height_units(child.get("height")) if child.get("height") else height,
                                "w": width, "x": x, "y": y}
            x += width
            panels.append(child)
        y += height
    return panels


def _height_units(height: Any) -> int:
    if isinstance(height, (int, float)):
        px = float(height)
    elif isinstance(height, str) and height.rstrip("px").replace(".", "", 1).isdigit():
        px = float(height.rstrip("px"))
    else:
        px = _DEFAULT_ROW_HEIGHT_PX
    return max(1, math.ceil(px / _PX_PER_UNIT))
