"""dashboard/layout: gridPos on every panel, width <= 24, inside the grid, no overlaps. What
Grafana repairs when it loads the dashboard is a warning; what it cannot lay out, an error."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/layout"

FAILING = [
    ("zero height", '[dash(uid="flat", panels=[ts("Flat", h=0)])]', 'dashboard flat panel "Flat"', "height 0"),
    ("negative position", '[dash(uid="neg", panels=[ts("Up", y=-2)])]', 'dashboard neg panel "Up"',
     "position x=0, y=-2 must not be negative"),
]

REPAIRED = [
    ("width 30", '[dash(uid="wide", panels=[ts("Too wide", w=30)])]',
     'dashboard wide panel "Too wide"', "width 30 is outside 1-24; the grid has 24 columns (Grafana resizes the panel)"),
    ("overlapping panels", '[dash(uid="ovl", panels=[ts("Left"), ts("Right", x=6, y=4)])]',
     'dashboard ovl panel "Right"', "overlaps panel 'Left' (x=6 y=4 w=12 h=8 against x=0 y=0 w=12 h=8): Grafana "
     "pushes one of them down; move one of them"),
    ("no gridPos", '[dash(uid="nogrid", panels=[g.TimeSeries(title="Floating", targets=[g.Target(expr="up")])])]',
     'dashboard nogrid panel "Floating"', "has no gridPos: Grafana puts it at the top left, 6 columns wide"),
    ("gridPos without x", '[{"uid": "nox", "title": "T", "panels": [{"type": "text", "title": "T", "id": 1, '
     '"gridPos": {"h": 8, "w": 12, "y": 0}}]}]', 'dashboard nox panel "T"',
     "gridPos needs integer h, w, x, y; missing or not an integer: x (Grafana uses x=0)"),
    ("runs past column 24", '[dash(uid="edge", panels=[ts("Edge", x=18, w=12)])]',
     'dashboard edge panel "Edge"', "x=18 + w=12 runs past column 24; make x at most 12 (Grafana moves the panel left)"),
    ("overlap inside a collapsed row",
     '[dash(uid="rows", panels=[g.RowPanel(title="More", collapsed=True, gridPos=g.GridPos(h=1, w=24, x=0, y=0), '
     'panels=[ts("A", y=1), ts("B", y=2)])])]', 'dashboard rows panel "B"', "overlaps panel 'A'"),
]


@pytest.mark.parametrize("description, dashboards, obj, expected", FAILING, ids=[c[0] for c in FAILING])
def test_bad_layout_fails_check(tmp_path, description, dashboards, obj, expected):
    code, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p for p in found if p["object"] == obj and expected in p["message"] and p["severity"] == "error"], found


@pytest.mark.parametrize("description, dashboards, obj, expected", REPAIRED, ids=[c[0] for c in REPAIRED])
def test_what_grafana_repairs_is_a_warning(tmp_path, description, dashboards, obj, expected):
    _, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert [p for p in found if p["object"] == obj and expected in p["message"] and p["severity"] == "warning"], found
    assert [p for p in found if p["severity"] == "error"] == []


def test_a_row_spans_the_grid_whatever_its_width_says(tmp_path):
    """grafonnet writes rows with w=0; Grafana draws every row 24 columns wide, one unit high."""
    dashboards = ('[{"uid": "r", "title": "R", "panels": [{"type": "row", "title": "Top", "id": 1, "collapsed": False, '
                  '"panels": [], "gridPos": {"h": 1, "w": 0, "x": 0, "y": 0}}, {"type": "text", "title": "T", "id": 2, '
                  '"gridPos": {"h": 8, "w": 24, "x": 0, "y": 1}}, {"type": "text", "title": "Hidden", "id": 3, '
                  '"gridPos": {"h": 8, "w": 8, "x": 12, "y": 0}}]}]')
    _, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert [p["object"] for p in found] == ['dashboard r panel "Hidden"', 'dashboard r panel "Hidden"']
    assert all("overlaps panel" in p["message"] for p in found)


def test_side_by_side_and_stacked_panels_pass(tmp_path):
    _, problems = check(tmp_path, '[dash(panels=[ts("A"), ts("B", x=12), ts("C", y=8, w=24)])]')
    assert problems_of(problems, CHECK) == []
