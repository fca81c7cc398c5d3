"""A model of Grafana's dashboard JSON (schemaVersion 39 and later; Grafana 10.4 to 12).

Two parts. *Keys*: which keys exist where comes from Grafana's own JSON schemas
(:mod:`obscode.grafana.upstream_keys`, derived from the Grafana Foundation SDK, per Grafana
release), with each panel type's ``options`` and ``fieldConfig.defaults.custom``; see
:func:`panel_key_findings` and :func:`dashboard_key_findings`. *Values*: the pydantic models
below type the values of the keys obscode's users set most (units, thresholds, targets, grid
positions). They allow extra keys: which keys are known is the key tree's job.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from obscode.grafana.upstream_keys import TREE

#: Panel types of a stock Grafana 10/11/12.
PANEL_TYPES = frozenset({
    "timeseries", "stat", "gauge", "bargauge", "table", "text", "row", "piechart", "barchart",
    "histogram", "heatmap", "logs", "state-timeline", "status-history", "news", "dashlist",
    "alertlist", "annolist", "nodeGraph", "traces", "geomap", "canvas", "xychart", "trend",
    "candlestick", "flamegraph", "datagrid", "welcome", "gettingstarted",
})
#: Deprecated types and what Grafana 11 migrates them to when it loads a dashboard.
DEPRECATED_PANEL_TYPES = {
    "graph": "timeseries", "singlestat": "stat", "table-old": "table",
    "grafana-piechart-panel": "piechart", "grafana-worldmap-panel": "geomap",
}
#: Keys Grafana once read and now ignores, by where they sit; reported as such, never as
#: a misspelling of a current key.
LEGACY_KEYS = {
    "dashboard": {"rows", "style", "hideControls", "sharedCrosshair", "gnetId", "__inputs", "__requires",
                  "__elements", "iteration", "originalTitle", "nav"},
    "panel": {"span", "height", "minSpan", "error", "editable", "isNew", "legend", "tooltip", "thresholds",
              "nullPointMode", "format", "valueName", "colors", "colorBackground", "colorValue", "sparkline",
              "gauge", "prefix", "postfix", "aliasColors", "seriesOverrides", "yaxes", "xaxis", "bars",
              "lines", "points", "fill", "linewidth", "stack", "percentage", "steppedLine", "renderer",
              "dashes", "dashLength", "spaceLength", "pointradius", "decimals", "tags", "timeRegions",
              "fillGradient", "hiddenSeries", "dataLinks", "alertThreshold", "showTitle",
              "titleSize", "collapse", "scopedVars", "repeatIteration", "repeatPanelId"},
    "target": {"intervalFactor", "step", "metric", "calculatedInterval", "hide", "datasourceErrors"},
    "variable": {"useTags", "tagsQuery", "tagValuesQuery", "tags", "error", "index", "queryValue"},
}
#: Keys of older panel versions that Grafana converts when it loads the panel (a panel
#: plugin's migration handler, run for panels saved by an older plugin version).
MIGRATED_KEYS = {
    "heatmap": {"cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards", "legend",
                "reverseYBuckets", "tooltip", "tooltipDecimals", "xAxis", "xBucketNumber", "xBucketSize",
                "yAxis", "yBucketBound", "yBucketNumber", "yBucketSize"},
    "piechart": {"pieType", "legendType", "valueName", "strokeWidth", "fontSize", "breakPoint", "combine",
                 "legend", "format", "aliasColors"},
    "table": {"styles", "columns", "transform", "fontSize", "showHeader", "sort", "pageSize"},
    "stat": {"valueName", "colorBackground", "colorValue", "colors", "sparkline", "gauge", "format",
             "prefix", "postfix", "thresholds", "nullPointMode", "valueMaps", "mappingType", "rangeMaps"},
    "gauge": {"valueName", "colors", "gauge", "format", "thresholds", "nullPointMode"},
    "alertlist": {"show", "limit", "onlyAlertsOnDashboard", "sortOrder", "stateFilter", "dashboardFilter",
                  "folderId", "nameFilter", "dashboardTags"},
    "dashlist": {"limit", "query", "recent", "search", "starred", "tags", "headings"},
    "text": {"content", "mode"},
}
#: Keys current Grafana writes that its published schemas leave out (seen in dashboards
#: Grafana 10 to 12 exported): the Prometheus query editor's state, the old value mapping
#: shape Grafana converts on load.
UNLISTED_KEYS = {
    "prometheus": {"disableTextWrap", "fullMetaSearch", "includeNullMetadata", "useBackend", "step",
                   "intervalFactor", "hide"},
    "mapping": {"id", "text", "value", "from", "to"},
}
_MATCH_CUTOFF = 0.8


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class DatasourceRef(Loose):
    type: str | None = None
    uid: str


class GridPos(Loose):
    h: int
    w: int
    x: int
    y: int
    static: bool | None = None


class ThresholdStep(Loose):
    color: str
    value: float | None


class Thresholds(Loose):
    mode: Literal["absolute", "percentage"]
    steps: list[ThresholdStep]


class FieldDefaults(Loose):
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    displayName: str | None = None
    #: A string in Grafana's schema; a number is shown as it is.
    noValue: str | float | None = None
    thresholds: Thresholds | None = None
    mappings: list[dict[str, Any]] | None = None
    links: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None


class OverrideMatcher(Loose):
    id: str


class OverrideProperty(Loose):
    id: str


class Override(Loose):
    matcher: OverrideMatcher
    properties: list[OverrideProperty]


class FieldConfig(Loose):
    defaults: FieldDefaults
    overrides: list[Override] = Field(default_factory=list)


class PrometheusTarget(Loose):
    refId: str
    datasource: DatasourceRef | None = None
    expr: str
    legendFormat: str | None = None
    interval: str | None = None
    instant: bool | None = None
    range: bool | None = None
    format: Literal["time_series", "table", "heatmap"] | None = None
    exemplar: bool | None = None
    editorMode: Literal["code", "builder"] | None = None


class VizLegend(Loose):
    showLegend: bool | None = None
    displayMode: Literal["list", "table", "hidden"] | None = None
    placement: Literal["bottom", "right"] | None = None
    calcs: list[str] | None = None


class VizTooltip(Loose):
    mode: Literal["single", "multi", "none"] | None = None
    sort: Literal["none", "asc", "desc"] | None = None


class ReduceOptions(Loose):
    calcs: list[str]
    fields: str | None = None
    values: bool | None = None
    limit: int | None = None


class TimeseriesOptions(Loose):
    legend: VizLegend | None = None
    tooltip: VizTooltip | None = None


class StatOptions(Loose):
    reduceOptions: ReduceOptions | None = None
    orientation: Literal["auto", "horizontal", "vertical"] | None = None
    colorMode: Literal["value", "background", "background_solid", "none"] | None = None
    graphMode: Literal["area", "none"] | None = None
    justifyMode: Literal["auto", "center"] | None = None
    textMode: Literal["auto", "value", "value_and_name", "name", "none"] | None = None


class GaugeOptions(Loose):
    reduceOptions: ReduceOptions | None = None
    orientation: Literal["auto", "horizontal", "vertical"] | None = None
    showThresholdLabels: bool | None = None
    showThresholdMarkers: bool | None = None


class BarGaugeOptions(GaugeOptions):
    displayMode: Literal["basic", "lcd", "gradient"] | None = None
    legend: VizLegend | None = None


class TableOptions(Loose):
    showHeader: bool | None = None
    cellHeight: Literal["sm", "md", "lg"] | None = None


PANEL_OPTIONS: dict[str, type[Loose]] = {
    "timeseries": TimeseriesOptions, "stat": StatOptions, "gauge": GaugeOptions,
    "bargauge": BarGaugeOptions, "table": TableOptions,
}


class Panel(Loose):
    """Values every non-row panel may have; ``type`` and ``options`` are checked separately.
    A title and a grid position are optional to Grafana (dashboard/layout checks the layout)."""

    id: int
    type: str
    title: str | None = None
    gridPos: GridPos | None = None
    description: str | None = None
    datasource: DatasourceRef | None = None
    targets: list[dict[str, Any]] = Field(default_factory=list)
    fieldConfig: FieldConfig | None = None
    options: dict[str, Any] | None = None
    transformations: list[dict[str, Any]] = Field(default_factory=list)
    transparent: bool | None = None
    links: list[dict[str, Any]] = Field(default_factory=list)
    repeat: str | None = None
    repeatDirection: Literal["h", "v"] | None = None
    maxPerRow: int | None = None
    #: Grafana's query options editor writes "" for "not set".
    maxDataPoints: int | Literal[""] | None = None
    interval: str | None = None
    timeFrom: str | None = None
    timeShift: str | None = None


class RowPanel(Loose):
    id: int
    type: Literal["row"]
    title: str | None = None
    gridPos: GridPos | None = None
    collapsed: bool
    panels: list[dict[str, Any]] = Field(default_factory=list)
    repeat: str | None = None


class Variable(Loose):
    name: str
    type: Literal["query", "custom", "constant", "datasource", "interval", "textbox", "adhoc", "groupby",
                  "switch", "snapshot", "system"]
    datasource: DatasourceRef | None = None
    hide: Literal[0, 1, 2] | None = None
    refresh: Literal[0, 1, 2] | None = None
    multi: bool | None = None
    includeAll: bool | None = None


class Templating(Loose):
    list: list[Variable]


class Annotation(Loose):
    name: str
    datasource: DatasourceRef | None = None
    enable: bool
    iconColor: str | None = None


class Annotations(Loose):
    list: list[Annotation]


class TimeRange(Loose):
    from_: str = Field(alias="from")
    to: str


class Dashboard(Loose):
    """Top-level values; ``panels`` are validated one by one so problems name the panel."""

    uid: str
    title: str
    schemaVersion: int
    panels: list[Any]
    templating: Templating
    annotations: Annotations
    tags: list[str] = Field(default_factory=list)
    editable: bool | None = None
    graphTooltip: Literal[0, 1, 2] | None = None
    time: TimeRange | None = None
    refresh: str | bool | None = None


# --- keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFinding:
    """A key that is not where Grafana reads it: ``field`` is its path, ``severity`` error for
    a likely misspelling of a key that is there, warning otherwise (Grafana ignores it)."""

    field: str
    message: str
    severity: Literal["error", "warning"]


def _real_keys(node: dict[str, Any]) -> list[str]:
    return [k for k in node if k not in ("*", "@")]


def _every_key(node: Any, into: set[str]) -> set[str]:
    if isinstance(node, list):
        for item in node:
            _every_key(item, into)
    elif isinstance(node, dict):
        for key, child in node.items():
            if key not in ("*", "@"):
                into.add(key)
                _every_key(child, into)
    return into


#: Every key Grafana reads somewhere: such a key in the wrong place is left over, not misspelled.
EVERY_KEY = frozenset(
    _every_key([TREE[k] for k in ("dashboard", "panel", "row", "field_config", "variable", "annotation")], set())
    | _every_key(list(TREE["options"].values()) + list(TREE["custom"].values())
                 + list(TREE["queries"].values()), set())
    | {k for keys in MIGRATED_KEYS.values() for k in keys})


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.lstrip("v").split(".")[:3] if p.isdigit())


def _walk(data: Any, node: Any, path: str, legacy: set[str], grafana: str,
          migrated: tuple[str, set[str]] = ("", set())) -> Iterator[KeyFinding]:
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _walk(item, node, f"{path}[{index}]", legacy, grafana)
        return
    if not isinstance(data, dict) or not isinstance(node, dict):
        return
    known = _real_keys(node)
    if not known:
        return
    for key, value in data.items():
        field = f"{path}.{key}" if path else key
        if key in node:
            child = node[key]
            since = child.get("@") if isinstance(child, dict) else None
            if since and _version_tuple(grafana) < _version_tuple(since):
                yield KeyFinding(field, f"key {key!r} is read by Grafana >= {since}; the stack targets Grafana "
                                        f"{grafana} (grafana_version), which ignores it", "warning")
            yield from _walk(value, child, field, set(), grafana)
        elif "*" in node:
            continue
        elif key in migrated[1]:
            yield KeyFinding(field, f"key {key!r} is an option of an older {migrated[0]} panel: Grafana converts "
                                    "it when it loads the panel; write the current options to keep what "
                                    "Grafana shows in the file", "warning")
        else:
            yield _unknown(key, field, known, legacy)


def _unknown(key: str, field: str, known: list[str], legacy: set[str]) -> KeyFinding:
    if key not in legacy and key not in EVERY_KEY:
        same_but_case = [k for k in known if k.lower() == key.lower()]
        close = same_but_case or difflib.get_close_matches(key, known, n=1, cutoff=_MATCH_CUTOFF)
        if close:
            return KeyFinding(field, f"unknown key {key!r}; did you mean {close[0]!r}? (Grafana ignores a "
                                     "misspelled key silently)", "error")
    kind = "a legacy key" if key in legacy else "not a key Grafana reads here"
    return KeyFinding(field, f"key {key!r} is {kind}; Grafana ignores it (remove it, or move it where it "
                             f"belongs)", "warning")


def _plugin_node(part: str, plugin: str) -> dict[str, Any]:
    """A panel or data source plugin's tree; anything goes for a plugin the schemas lack. The
    release the SDK first described the plugin in is no statement about Grafana: dropped."""
    node = TREE[part].get(plugin)
    return {k: v for k, v in node.items() if k != "@"} if isinstance(node, dict) else {"*": True}


def _panel_node(kind: str) -> dict[str, Any]:
    node = dict(TREE["panel"])
    field_config = dict(node["fieldConfig"])
    defaults = dict(field_config["defaults"])
    defaults["custom"] = _plugin_node("custom", kind)
    field_config["defaults"] = defaults
    node["fieldConfig"] = field_config
    node["options"] = _plugin_node("options", kind)
    node["targets"] = {"*": True}  # by data source type, below
    mappings = dict(defaults["mappings"])
    mappings.update({key: None for key in UNLISTED_KEYS["mapping"]})
    defaults["mappings"] = mappings
    return node


def _query_node(datasource_type: Any) -> dict[str, Any] | None:
    if not isinstance(datasource_type, str) or datasource_type not in TREE["queries"]:
        return None
    node = _plugin_node("queries", datasource_type)
    return {**node, **{key: None for key in UNLISTED_KEYS.get(datasource_type, ())}}


def dashboard_key_findings(dashboard: dict[str, Any], grafana: str) -> Iterator[KeyFinding]:
    """Keys of the dashboard itself (panels apart)."""
    node = {k: v for k, v in TREE["dashboard"].items() if k != "panels"}
    node["templating"] = {"list": TREE["variable"]}
    node["annotations"] = {"list": TREE["annotation"]}
    top = {k: v for k, v in dashboard.items() if k not in ("panels", "templating", "annotations")}
    yield from _walk(top, node, "", LEGACY_KEYS["dashboard"], grafana)
    for block, tree, legacy in (("templating", TREE["variable"], LEGACY_KEYS["variable"]),
                                ("annotations", TREE["annotation"], set())):
        items = dashboard.get(block, {}).get("list") if isinstance(dashboard.get(block), dict) else None
        for index, item in enumerate(items or []):
            yield from _walk(item, tree, f"{block}.list[{index}]", legacy, grafana)


def panel_key_findings(panel: dict[str, Any], grafana: str) -> Iterator[KeyFinding]:
    """Keys of one panel (a row's children apart), its options and its targets."""
    kind = panel.get("type")
    if kind == "row":
        node = dict(TREE["row"])
        node.update({k: TREE["panel"][k] for k in ("description",) if k in TREE["panel"]})
        top = {k: v for k, v in panel.items() if k != "panels"}
        yield from _walk(top, node, "", LEGACY_KEYS["panel"], grafana)
        return
    top = {k: v for k, v in panel.items() if k != "targets"}
    migrated = (str(kind), MIGRATED_KEYS.get(str(kind), set()))
    yield from _walk(top, _panel_node(str(kind)), "", LEGACY_KEYS["panel"], grafana, migrated)
    for index, target in enumerate(panel.get("targets") or []):
        ref = target.get("datasource") if isinstance(target, dict) else None
        query = _query_node(ref.get("type")) if isinstance(ref, dict) else None
        if query:
            yield from _walk(target, query, f"targets[{index}]", LEGACY_KEYS["target"], grafana)
