"""A strict model of Grafana's dashboard JSON for schemaVersion 39 (Grafana 10.4 / 11).

Unknown keys are errors (a misspelled key is ignored by Grafana, silently), as are panel
types that are deprecated or unknown. Panel ``options`` are modelled for the panel types
obscode's users build (timeseries, stat, gauge, bargauge, table); other types' options
are accepted as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from obscode.grafana import SCHEMA_VERSION

#: Panel types of a stock Grafana 10/11.
PANEL_TYPES = frozenset({
    "timeseries", "stat", "gauge", "bargauge", "table", "text", "row", "piechart", "barchart",
    "histogram", "heatmap", "logs", "state-timeline", "status-history", "news", "dashlist",
    "alertlist", "annolist", "nodeGraph", "traces", "geomap", "canvas", "xychart", "trend",
    "candlestick", "flamegraph", "datagrid", "welcome", "gettingstarted",
})
#: Deprecated types and what replaces them.
DEPRECATED_PANEL_TYPES = {
    "graph": "timeseries", "singlestat": "stat", "table-old": "table",
    "grafana-piechart-panel": "piechart", "grafana-worldmap-panel": "geomap",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DatasourceRef(Strict):
    type: str | None = None
    uid: str


class GridPos(Strict):
    h: int
    w: int
    x: int
    y: int
    static: bool | None = None


class ThresholdStep(Strict):
    color: str
    value: float | None


class Thresholds(Strict):
    mode: Literal["absolute", "percentage"]
    steps: list[ThresholdStep]


class FieldDefaults(Strict):
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    displayName: str | None = None
    displayNameFromDS: str | None = None
    description: str | None = None
    noValue: str | None = None
    filterable: bool | None = None
    path: str | None = None
    writeable: bool | None = None
    color: dict[str, Any] | None = None
    thresholds: Thresholds | None = None
    mappings: list[dict[str, Any]] | None = None
    links: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None


class OverrideMatcher(Strict):
    id: str
    options: Any = None


class OverrideProperty(Strict):
    id: str
    value: Any = None


class Override(Strict):
    matcher: OverrideMatcher
    properties: list[OverrideProperty]


class FieldConfig(Strict):
    defaults: FieldDefaults
    overrides: list[Override] = Field(default_factory=list)


class PrometheusTarget(Strict):
    refId: str
    datasource: DatasourceRef | None = None
    expr: str
    legendFormat: str | None = None
    interval: str | None = None
    instant: bool | None = None
    range: bool | None = None
    format: Literal["time_series", "table", "heatmap"] | None = None
    hide: bool | None = None
    exemplar: bool | None = None
    editorMode: Literal["code", "builder"] | None = None
    queryType: str | None = None
    intervalFactor: int | None = None


class ReduceOptions(Strict):
    calcs: list[str]
    fields: str | None = None
    values: bool | None = None
    limit: int | None = None


class VizLegend(Strict):
    showLegend: bool | None = None
    displayMode: Literal["list", "table", "hidden"] | None = None
    placement: Literal["bottom", "right"] | None = None
    calcs: list[str] | None = None
    sortBy: str | None = None
    sortDesc: bool | None = None
    width: int | None = None
    asTable: bool | None = None
    isVisible: bool | None = None


class VizTooltip(Strict):
    mode: Literal["single", "multi", "none"] | None = None
    sort: Literal["none", "asc", "desc"] | None = None
    maxHeight: int | None = None


class _SingleValueOptions(Strict):
    reduceOptions: ReduceOptions | None = None
    orientation: Literal["auto", "horizontal", "vertical"] | None = None
    text: dict[str, Any] | None = None
    minVizWidth: int | None = None
    minVizHeight: int | None = None


class TimeseriesOptions(Strict):
    legend: VizLegend | None = None
    tooltip: VizTooltip | None = None
    timezone: list[str] | None = None


class StatOptions(_SingleValueOptions):
    colorMode: Literal["value", "background", "background_solid", "none"] | None = None
    graphMode: Literal["area", "none"] | None = None
    justifyMode: Literal["auto", "center"] | None = None
    textMode: Literal["auto", "value", "value_and_name", "name", "none"] | None = None
    wideLayout: bool | None = None
    showPercentChange: bool | None = None


class GaugeOptions(_SingleValueOptions):
    showThresholdLabels: bool | None = None
    showThresholdMarkers: bool | None = None
    sizing: Literal["auto", "manual"] | None = None


class BarGaugeOptions(GaugeOptions):
    displayMode: Literal["basic", "lcd", "gradient"] | None = None
    showUnfilled: bool | None = None
    valueMode: Literal["color", "text", "hidden"] | None = None
    namePlacement: Literal["auto", "top", "left"] | None = None
    maxVizHeight: int | None = None
    legend: VizLegend | None = None


class TableOptions(Strict):
    showHeader: bool | None = None
    cellHeight: Literal["sm", "md", "lg"] | None = None
    footer: dict[str, Any] | None = None
    sortBy: list[dict[str, Any]] | None = None
    frameIndex: int | None = None
    showTypeIcons: bool | None = None


PANEL_OPTIONS: dict[str, type[Strict]] = {
    "timeseries": TimeseriesOptions, "stat": StatOptions, "gauge": GaugeOptions,
    "bargauge": BarGaugeOptions, "table": TableOptions,
}


class Panel(Strict):
    """Keys every non-row panel may have; ``type`` and ``options`` are checked separately."""

    id: int
    type: str
    title: str
    gridPos: GridPos
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
    maxDataPoints: int | None = None
    interval: str | None = None
    timeFrom: str | None = None
    timeShift: str | None = None
    hideTimeOverride: bool | None = None
    cacheTimeout: str | None = None
    queryCachingTTL: int | None = None
    pluginVersion: str | None = None
    libraryPanel: dict[str, Any] | None = None


class RowPanel(Strict):
    id: int
    type: Literal["row"]
    title: str
    gridPos: GridPos
    collapsed: bool
    panels: list[dict[str, Any]] = Field(default_factory=list)
    repeat: str | None = None
    description: str | None = None


class Variable(Strict):
    name: str
    type: Literal["query", "custom", "constant", "datasource", "interval", "textbox", "adhoc", "groupby"]
    label: str | None = None
    description: str | None = None
    query: str | dict[str, Any] | None = None
    definition: str | None = None
    datasource: DatasourceRef | None = None
    current: dict[str, Any] | None = None
    options: list[dict[str, Any]] = Field(default_factory=list)
    hide: Literal[0, 1, 2] | None = None
    refresh: Literal[0, 1, 2] | None = None
    regex: str | None = None
    sort: int | None = None
    multi: bool | None = None
    includeAll: bool | None = None
    allValue: str | None = None
    skipUrlSync: bool | None = None
    auto: bool | None = None
    auto_count: int | None = None
    auto_min: str | None = None
    filters: list[dict[str, Any]] | None = None


class Templating(Strict):
    list: list[Variable]


class Annotation(Strict):
    name: str
    datasource: DatasourceRef | None = None
    enable: bool
    iconColor: str
    builtIn: int | None = None
    hide: bool | None = None
    type: str | None = None
    target: dict[str, Any] | None = None
    expr: str | None = None
    step: str | None = None
    titleFormat: str | None = None
    textFormat: str | None = None
    tagKeys: str | None = None
    useValueForTime: bool | None = None
    filter: dict[str, Any] | None = None


class Annotations(Strict):
    list: list[Annotation]


class TimeRange(Strict):
    from_: str = Field(alias="from")
    to: str


class TimePicker(Strict):
    refresh_intervals: list[str] | None = None
    hidden: bool | None = None
    nowDelay: str | None = None


class Dashboard(Strict):
    """Top-level keys; ``panels`` are validated one by one so problems name the panel."""

    uid: str
    title: str
    schemaVersion: Literal[SCHEMA_VERSION]  # type: ignore[valid-type]
    panels: list[Any]
    templating: Templating
    annotations: Annotations
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    editable: bool | None = None
    graphTooltip: Literal[0, 1, 2] | None = None
    links: list[dict[str, Any]] = Field(default_factory=list)
    time: TimeRange | None = None
    timepicker: TimePicker | None = None
    timezone: str | None = None
    refresh: str | bool | None = None
    version: int | None = None
    liveNow: bool | None = None
    weekStart: str | None = None
    fiscalYearStartMonth: int | None = None
