"""dashboard/schema: the JSON validates against the strict schemaVersion 39 model."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/schema"

GRAPH = ('g.Graph(title="Old graph", targets=[g.Target(expr="sum(rate(http_requests_total[5m]))")], '
         'gridPos=g.GridPos(h=8, w=12, x=0, y=0))')
RAW = ('{{"uid": "raw", "title": "Raw", "panels": [{{"type": "timeseries", "title": "Raw panel", "id": 1, '
       '"gridPos": {{"h": 8, "w": 12, "x": 0, "y": 0}}, {extra}}}]}}')

FAILING = [
    ("graph panel type", f'[dash(uid="s", panels=[{GRAPH}])]', 'dashboard s panel "Old graph"',
     "type", "panel type 'graph' is deprecated"),
    ("singlestat panel type", '[dash(uid="s", panels=[g.SingleStat(title="Old stat", gridPos=g.GridPos(h=4, w=6, x=0, y=0), '
     'targets=[g.Target(expr="up")])])]', 'dashboard s panel "Old stat"', "type", "use 'stat'"),
    ("unknown panel type", '[dash(uid="s", panels=[ts("Fancy", extraJson={"type": "fancy-panel"})])]',
     'dashboard s panel "Fancy"', "type", "unknown panel type 'fancy-panel'"),
    ("misspelled panel key", '[dash(uid="s", panels=[ts("Typo", extraJson={"fieldconfig": {}})])]',
     'dashboard s panel "Typo"', "fieldconfig", "unknown key 'fieldconfig'"),
    ("misspelled target key", "[" + RAW.format(extra='"targets": [{"refId": "A", "expr": "up", "legendFromat": "x"}]') + "]",
     'dashboard raw panel "Raw panel"', "targets[0].legendFromat", "unknown key 'legendFromat'"),
    ("misspelled option", '[dash(uid="s", panels=[ts("Opt", extraJson={"options": {"legend": {"placment": "right"}}})])]',
     'dashboard s panel "Opt"', "options.legend.placment", "unknown key 'placment'"),
    ("string unit where a number belongs", '[dash(uid="s", panels=[ts("Max", extraJson={"fieldConfig": '
     '{"defaults": {"max": "lots"}}})])]', 'dashboard s panel "Max"', "fieldConfig.defaults.max", "got 'lots'"),
    ("misspelled dashboard key", '[dict(uid="top", title="Top", panels=[], refesh="5s")]', "dashboard top",
     "refesh", "unknown key 'refesh'"),
]


@pytest.mark.parametrize("description, dashboards, obj, field, expected", FAILING, ids=[c[0] for c in FAILING])
def test_schema_violation_fails_check(tmp_path, description, dashboards, obj, field, expected):
    code, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p for p in found if p["object"] == obj and p["field"] == field and expected in p["message"]], found


def test_modern_panel_types_from_grafanalib_pass(tmp_path):
    panels = ('[ts("Series"), g.Stat(title="Stat", targets=[g.Target(expr="up")], format="percent", '
              'gridPos=g.GridPos(h=4, w=6, x=12, y=0)), g.GaugePanel(title="Gauge", targets=[g.Target(expr="up")], '
              'gridPos=g.GridPos(h=4, w=6, x=18, y=0)), g.BarGauge(title="Bars", targets=[g.Target(expr="up")], '
              'gridPos=g.GridPos(h=8, w=12, x=0, y=8)), g.Table(title="Table", targets=[g.Target(expr="up")], '
              'gridPos=g.GridPos(h=8, w=12, x=12, y=8)), g.RowPanel(title="Row", gridPos=g.GridPos(h=1, w=24, x=0, y=16))]')
    _, problems = check(tmp_path, f"[dash(panels={panels})]")
    assert problems_of(problems, CHECK) == []
