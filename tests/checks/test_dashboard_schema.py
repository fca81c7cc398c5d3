"""dashboard/schema: dashboard JSON against Grafana's model for the targeted Grafana.

A near miss of a key Grafana reads is an error with "did you mean"; a value of the wrong
type is an error; what Grafana ignores or converts on load is a warning; current Grafana
11/12 keys pass."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/schema"

GRAPH = ('g.Graph(title="Old graph", targets=[g.Target(expr="sum(rate(http_requests_total[5m]))")], '
         'gridPos=g.GridPos(h=8, w=12, x=0, y=0))')
RAW = ('{{"uid": "raw", "title": "Raw", "panels": [{{"type": "{type}", "title": "Raw panel", "id": 1, '
       '"gridPos": {{"h": 8, "w": 12, "x": 0, "y": 0}}, {extra}}}]}}')


def raw(extra: str, type: str = "timeseries") -> str:
    return "[" + RAW.format(extra=extra, type=type) + "]"


RAW_PANEL = 'dashboard raw panel "Raw panel"'
PROM = '"datasource": {"type": "prometheus", "uid": "prometheus"}'

ERRORS = [
    ("misspelled panel key", '[dash(uid="s", panels=[ts("Typo", extraJson={"fieldconfig": {}})])]',
     'dashboard s panel "Typo"', "fieldconfig", "unknown key 'fieldconfig'; did you mean 'fieldConfig'? "
     "(Grafana ignores a misspelled key silently)"),
    ("misspelled target key", raw(f'"targets": [{{"refId": "A", {PROM}, "expr": "up", "legendFromat": "x"}}]'),
     RAW_PANEL, "targets[0].legendFromat", "unknown key 'legendFromat'; did you mean 'legendFormat'?"),
    ("misspelled option", '[dash(uid="s", panels=[ts("Opt", extraJson={"options": {"legend": {"placment": "right"}}})])]',
     'dashboard s panel "Opt"', "options.legend.placment", "unknown key 'placment'; did you mean 'placement'?"),
    ("misspelled custom field option", raw('"fieldConfig": {"defaults": {"custom": {"fillOpacty": 10}}, "overrides": []}'),
     RAW_PANEL, "fieldConfig.defaults.custom.fillOpacty", "did you mean 'fillOpacity'?"),
    ("string where a number belongs", '[dash(uid="s", panels=[ts("Max", extraJson={"fieldConfig": '
     '{"defaults": {"max": "lots"}}})])]', 'dashboard s panel "Max"', "fieldConfig.defaults.max", "got 'lots'"),
    ("misspelled dashboard key", '[dict(uid="top", title="Top", panels=[], refesh="5s")]', "dashboard top",
     "refesh", "unknown key 'refesh'; did you mean 'refresh'?"),
    ("unknown core panel type", raw('"targets": []', type="fancy"), RAW_PANEL, "type",
     "unknown panel type 'fancy'; known: alertlist"),
    ("prometheus target without expr", raw(f'"targets": [{{"refId": "A", {PROM}}}]'), RAW_PANEL,
     "targets[0].expr", "is required"),
]

WARNINGS = [
    ("graph panel type", f'[dash(uid="s", panels=[{GRAPH}])]', "", 'dashboard s panel "Old graph"', "type",
     "panel type 'graph' is deprecated: Grafana 11 and later show it as 'timeseries' after a migration that "
     "may drop options; use 'timeseries'"),
    ("singlestat panel type", '[dash(uid="s", panels=[g.SingleStat(title="Old stat", gridPos=g.GridPos(h=4, w=6, '
     'x=0, y=0), targets=[g.Target(expr="up")])])]', "", 'dashboard s panel "Old stat"', "type", "use 'stat'"),
    ("plugin panel type", raw('"targets": []', type="marcusolsson-treemap-panel"), "", RAW_PANEL, "type",
     "panel type 'marcusolsson-treemap-panel' is a plugin, not built into Grafana 11.6: it shows only where "
     "the plugin is installed"),
    ("graph-era key on a timeseries panel", raw('"nullPointMode": "null"'), "", RAW_PANEL, "nullPointMode",
     "key 'nullPointMode' is a legacy key; Grafana ignores it (remove it, or move it where it belongs)"),
    ("key of another panel type", raw('"options": {"dataLinks": []}'), "", RAW_PANEL, "options.dataLinks",
     "key 'dataLinks' is not a key Grafana reads here; Grafana ignores it"),
    ("known key in the wrong place", raw('"fieldConfig": {"defaults": {"custom": {"lineWidth": 1}}, "overrides": []}',
                                         type="table"), "", RAW_PANEL, "fieldConfig.defaults.custom.lineWidth",
     "key 'lineWidth' is not a key Grafana reads here"),
    ("option of the pre-9 heatmap", raw('"cards": {"cardPadding": None}', type="heatmap"), "", RAW_PANEL, "cards",
     "key 'cards' is an option of an older heatmap panel: Grafana converts it when it loads the panel"),
    ("key newer than the target", raw('"options": {"tooltip": {"mode": "single", "hideZeros": True}}'),
     'grafana_version="11.0"', RAW_PANEL, "options.tooltip.hideZeros",
     "key 'hideZeros' is read by Grafana >= 11.5; the stack targets Grafana 11.0 (grafana_version), which ignores it"),
    ("schemaVersion newer than the target", '[dict(uid="new", title="New", panels=[], schemaVersion=42)]', "",
     "dashboard new", "schemaVersion", "schemaVersion 42 is newer than Grafana 11.6 (grafana_version) knows (41): "
     "it shows the dashboard without migrating it"),
    ("grid position without x", '[{"uid": "g", "title": "G", "panels": [{"type": "text", "title": "T", "id": 1, '
     '"gridPos": {"h": 8, "w": 12, "y": 0}}]}]', "", 'dashboard g panel "T"', "gridPos.x",
     "is missing; Grafana places the panel with x 0"),
]


@pytest.mark.parametrize("description, dashboards, obj, field, expected", ERRORS, ids=[c[0] for c in ERRORS])
def test_schema_error_fails_check(tmp_path, description, dashboards, obj, field, expected):
    code, problems = check(tmp_path, dashboards)
    found = [p for p in problems_of(problems, CHECK) if p["severity"] == "error"]
    assert code == 1
    assert [p for p in found if p["object"] == obj and p["field"] == field and expected in p["message"]], found


@pytest.mark.parametrize("description, dashboards, stack_args, obj, field, expected", WARNINGS,
                         ids=[c[0] for c in WARNINGS])
def test_what_grafana_ignores_or_converts_is_a_warning(tmp_path, description, dashboards, stack_args, obj, field,
                                                       expected):
    code, problems = check(tmp_path, dashboards, stack_args)
    found = problems_of(problems, CHECK)
    assert [p for p in found if p["severity"] == "error"] == []
    assert [p for p in found if p["object"] == obj and p["field"] == field and expected in p["message"]
            and p["severity"] == "warning"], found


def test_modern_panel_types_from_grafanalib_pass(tmp_path):
    panels = ('[ts("Series"), g.Stat(title="Stat", targets=[g.Target(expr="up")], format="percent", '
              'gridPos=g.GridPos(h=4, w=6, x=12, y=0)), g.GaugePanel(title="Gauge", targets=[g.Target(expr="up")], '
              'gridPos=g.GridPos(h=4, w=6, x=18, y=0)), g.BarGauge(title="Bars", targets=[g.Target(expr="up")], '
              'gridPos=g.GridPos(h=8, w=12, x=0, y=8)), g.Table(title="Table", targets=[g.Target(expr="up")], '
              'gridPos=g.GridPos(h=8, w=12, x=12, y=8)), g.RowPanel(title="Row", gridPos=g.GridPos(h=1, w=24, x=0, y=16))]')
    _, problems = check(tmp_path, f"[dash(panels={panels})]")
    assert problems_of(problems, CHECK) == []


def test_current_grafana_keys_pass(tmp_path):
    """Keys Grafana 11.5/11.6 writes: tooltip.hideZeros, stat percentChangeColorMode, fieldMinMax,
    a schemaVersion 41 export (kept as declared)."""
    stat = ('{"type": "stat", "title": "S", "id": 2, "gridPos": {"h": 4, "w": 6, "x": 12, "y": 0}, '
            '"options": {"showPercentChange": True, "percentChangeColorMode": "standard", "wideLayout": True}, '
            '"fieldConfig": {"defaults": {"fieldMinMax": False, "unit": "short"}, "overrides": []}}')
    series = ('{"type": "timeseries", "title": "T", "id": 1, "gridPos": {"h": 4, "w": 12, "x": 0, "y": 0}, '
              '"options": {"tooltip": {"mode": "multi", "sort": "none", "hideZeros": False}, '
              '"legend": {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []}}, '
              '"fieldConfig": {"defaults": {"custom": {"insertNulls": False, "axisBorderShow": False, '
              '"barWidthFactor": 0.6}}, "overrides": []}}')
    code, problems = check(tmp_path, f'[{{"uid": "c", "title": "C", "schemaVersion": 41, "panels": [{series}, {stat}]}}]')
    assert problems_of(problems, CHECK) == []
    assert code == 0


def test_an_older_target_is_not_told_that_table_field_options_are_new(tmp_path):
    """The SDK first described the table's custom field options for 10.2; Grafana had them before."""
    panel = raw('"fieldConfig": {"defaults": {"custom": {"align": "auto"}}, "overrides": []}', type="table")
    _, problems = check(tmp_path, panel, 'grafana_version="10.1"')
    assert problems_of(problems, CHECK) == []
