"""dashboard/layout: gridPos on every panel, width <= 24, inside the grid, no overlaps."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/layout"

FAILING = [
    ("width 30", '[dash(uid="wide", panels=[ts("Too wide", w=30)])]',
     'dashboard wide panel "Too wide"', "width 30 is outside 1-24"),
    ("overlapping panels", '[dash(uid="ovl", panels=[ts("Left"), ts("Right", x=6, y=4)])]',
     'dashboard ovl panel "Right"', "overlaps panel 'Left'"),
    ("no gridPos", '[dash(uid="nogrid", panels=[g.TimeSeries(title="Floating", targets=[g.Target(expr="up")])])]',
     'dashboard nogrid panel "Floating"', "has no gridPos"),
    ("runs past column 24", '[dash(uid="edge", panels=[ts("Edge", x=18, w=12)])]',
     'dashboard edge panel "Edge"', "x=18 + w=12 runs past column 24"),
    ("zero height", '[dash(uid="flat", panels=[ts("Flat", h=0)])]', 'dashboard flat panel "Flat"', "height 0"),
    ("overlap inside a collapsed row",
     '[dash(uid="rows", panels=[g.RowPanel(title="More", collapsed=True, gridPos=g.GridPos(h=1, w=24, x=0, y=0), '
     'panels=[ts("A", y=1), ts("B", y=2)])])]', 'dashboard rows panel "B"', "overlaps panel 'A'"),
]


@pytest.mark.parametrize("description, dashboards, obj, expected", FAILING, ids=[c[0] for c in FAILING])
def test_bad_layout_fails_check(tmp_path, description, dashboards, obj, expected):
    code, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p for p in found if p["object"] == obj and expected in p["message"]], found


def test_side_by_side_and_stacked_panels_pass(tmp_path):
    _, problems = check(tmp_path, '[dash(panels=[ts("A"), ts("B", x=12), ts("C", y=8, w=24)])]')
    assert problems_of(problems, CHECK) == []
