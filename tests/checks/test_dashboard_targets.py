"""dashboard/targets: the targets of one panel have distinct refIds."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/targets"


def _panel(*refs: str, title: str = "Rate") -> str:
    targets = ", ".join(f'g.Target(expr="up", refId={ref!r})' for ref in refs)
    return f'g.TimeSeries(title={title!r}, targets=[{targets}], gridPos=g.GridPos(h=8, w=12, x=0, y=0))'


def _stack_line(tmp_path) -> int:
    """The line of the ``stack = Stack(...)`` expression, where the cases build their panels."""
    lines = (tmp_path / "cases.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.startswith("stack = "))


FAILING = [
    ("two targets A", _panel("A", "A"), "targets[1].refId",
     "targets 1 and 2 both have refId 'A': Grafana keys query results by refId, so the panel shows only one of "
     "them; give this target its own refId (e.g. 'B')"),
    ("third target repeats the first", _panel("A", "B", "A"), "targets[2].refId",
     "targets 1 and 3 both have refId 'A': Grafana keys query results by refId, so the panel shows only one of "
     "them; give this target its own refId (e.g. 'C')"),
    ("named refIds", _panel("errors", "errors"), "targets[1].refId",
     "targets 1 and 2 both have refId 'errors'"),
]

PASSING = [
    ("distinct refIds", _panel("A", "B")),
    ("refIds left to obscode", 'g.TimeSeries(title="Rate", targets=[g.Target(expr="up"), g.Target(expr="up")], '
                               'gridPos=g.GridPos(h=8, w=12, x=0, y=0))'),
    ("the same refId in two panels", f'{_panel("A")}, {_panel("A", title="Other")}'),
]


@pytest.mark.parametrize("description, panel, field, expected", FAILING, ids=[c[0] for c in FAILING])
def test_a_repeated_refid_fails_check(tmp_path, description, panel, field, expected):
    code, problems = check(tmp_path, f'[dash(uid="t", panels=[{panel}])]')
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [(p["object"], p["field"], p["severity"]) for p in found] == [('dashboard t panel "Rate"', field, "error")]
    assert expected in found[0]["message"]
    assert found[0]["source"] == f"{tmp_path / 'cases.py'}:{_stack_line(tmp_path)}"  # where the target is built


@pytest.mark.parametrize("description, panels", PASSING, ids=[c[0] for c in PASSING])
def test_distinct_refids_pass(tmp_path, description, panels):
    _, problems = check(tmp_path, f'[dash(uid="t", panels=[{panels}])]')
    assert problems_of(problems, CHECK) == []


def test_a_refid_repeated_in_dashboard_json_fails_check(tmp_path):
    dashboards = ('[{"uid": "j", "title": "J", "panels": [{"type": "timeseries", "title": "P", "id": 1, '
                  '"gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}, '
                  '"targets": [{"refId": "A", "expr": "up"}, {"refId": "A", "expr": "up == 0"}]}]}]')
    code, problems = check(tmp_path, dashboards)
    assert code == 1
    assert [(p["object"], p["field"]) for p in problems_of(problems, CHECK)] == [('dashboard j panel "P"',
                                                                                 "targets[1].refId")]
