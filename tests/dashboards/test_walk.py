"""The one panel walker (obscode.grafana.walk) and the one Grafana-variable substitution
(obscode.grafana_vars), and that every reader of dashboards agrees with them."""

from __future__ import annotations

import pytest

from obscode.checks.dashboard_layout import grids
from obscode.checks.dashboard_promql import parse_error
from obscode.diff.dashboards import dashboard_changes
from obscode.grafana import origins
from obscode.grafana.normalise import _assign_ids
from obscode.grafana.walk import panels, walk
from obscode.grafana_vars import (
    BUILTIN_DURATIONS,
    VARIABLE_RANGE_SECONDS,
    VARIABLE_VALUE,
    Variable,
    display,
    is_variable_range,
    number,
    placeholders,
    references,
    substitute,
)
from obscode.promql import parse, selectors
from obscode.queries import dashboard_queries
from obscode.queries import substitute as queries_substitute
from tests.checks._dashboard_cases import check, problems_of


def _ts(title: str, expr: str = "up", **extra) -> dict:
    return {"type": "timeseries", "title": title, "targets": [{"refId": "A", "expr": expr}], **extra}


def _row(title: str, children: list, collapsed: bool = True) -> dict:
    return {"type": "row", "title": title, "collapsed": collapsed, "panels": children}


# -- the walker -----------------------------------------------------------------------------


def test_children_of_a_collapsed_row_come_right_after_it_with_their_path_and_row():
    row = _row("More", [_ts("B"), _ts("C")])
    board = {"panels": [_ts("A"), row, _ts("D")]}
    found = [(p.panel["title"], p.path, p.row["title"] if p.row else None, p.parent) for p in walk(board)]
    assert found == [
        ("A", "panels[0]", None, ""),
        ("More", "panels[1]", None, ""),
        ("B", "panels[1].panels[0]", "More", "panels[1]"),
        ("C", "panels[1].panels[1]", "More", "panels[1]"),
        ("D", "panels[2]", None, ""),
    ]


def test_an_expanded_row_is_followed_by_its_panels_on_the_top_level():
    board = {"panels": [_row("Open", [], collapsed=False), _ts("A"), _row("Shut", [_ts("B")])]}
    assert [p["title"] for p in panels(board)] == ["Open", "A", "Shut", "B"]


def test_a_row_inside_a_rows_children_is_walked_too():
    board = {"panels": [_row("Outer", [_ts("A"), _row("Inner", [_ts("B")])])]}
    assert [(p.panel["title"], p.path) for p in walk(board)] == [
        ("Outer", "panels[0]"), ("A", "panels[0].panels[0]"), ("Inner", "panels[0].panels[1]"),
        ("B", "panels[0].panels[1].panels[0]")]


def test_legacy_rows_are_walked_when_the_dashboard_has_no_panels():
    first, second = {"title": "First", "panels": [_ts("A"), _ts("B")]}, {"title": "Second", "panels": [_ts("C")]}
    found = [(p.panel["title"], p.path, p.row["title"], p.parent) for p in walk({"rows": [first, second]})]
    assert found == [("A", "rows[0].panels[0]", "First", "rows[0]"), ("B", "rows[0].panels[1]", "First", "rows[0]"),
                     ("C", "rows[1].panels[0]", "Second", "rows[1]")]
    # beside `panels`, normalisation drops `rows` (obscode never writes them), so the walk does too
    assert [p["title"] for p in panels({"panels": [_ts("Top")], "rows": [first]})] == ["Top"]


def test_a_panels_list_on_a_panel_that_is_not_a_row_is_not_walked():
    """Grafana reads children only from rows: ``panels`` on a time series is a key it ignores."""
    board = {"panels": [_ts("Outer", panels=[_ts("Ghost")])]}
    assert [p["title"] for p in panels(board)] == ["Outer"]


def test_library_panels_are_panels_wherever_they_sit_and_non_objects_are_skipped():
    library = {"id": 3, "gridPos": {"h": 8, "w": 12, "x": 0, "y": 1}, "libraryPanel": {"uid": "lib", "name": "Shared"}}
    board = {"panels": ["junk", None, _row("Row", [library, 7]), {"type": "row", "title": "Odd", "panels": "x"}]}
    assert [p.path for p in walk(board)] == ["panels[2]", "panels[2].panels[0]", "panels[3]"]
    assert list(panels({"panels": "not a list"})) == []


# -- every reader agrees ---------------------------------------------------------------------


def _disagreeing() -> dict:
    """A collapsed row's child, a panel nested in a non-row panel, and a library panel."""
    return {"uid": "w", "title": "W", "panels": [
        _ts("Top", "rate(top_total[5m])", gridPos={"h": 8, "w": 12, "x": 0, "y": 0},
            panels=[_ts("Ghost", "ghost_metric")]),
        _row("More", [_ts("Child", "child_metric", gridPos={"h": 8, "w": 12, "x": 0, "y": 1})]),
    ]}


def test_queries_read_the_panels_the_walker_walks():
    """queries used to read every ``panels`` list at any depth: the ghost's query Grafana never runs."""
    found = [q.obj for q in dashboard_queries("grafana/dashboards/w.json", _disagreeing())]
    assert found == ['dashboard w panel "Top" target A', 'dashboard w panel "Child" target A']


def test_source_line_paths_are_those_of_the_walk_each_panel_followed_by_its_targets():
    board = _disagreeing()
    board["templating"] = {"list": [{"name": "job", "type": "custom"}]}
    assert [(kind, path, parent) for kind, path, _node, parent in origins.walk(board)] == [
        ("dashboard", "", None), ("variable", "templating.list[0]", ""),
        ("panel", "panels[0]", ""), ("target", "panels[0].targets[0]", "panels[0]"),
        ("row", "panels[1]", ""),
        ("panel", "panels[1].panels[0]", "panels[1]"), ("target", "panels[1].panels[0].targets[0]", "panels[1].panels[0]"),
    ]


def test_normalisation_numbers_the_walked_panels_only():
    board = _disagreeing()
    _assign_ids(board["panels"])
    top, row = board["panels"]
    assert (top["id"], row["id"], row["panels"][0]["id"]) == (1, 2, 3)
    assert "id" not in top["panels"][0]


def test_the_diff_shows_a_row_child_as_a_panel_and_a_non_row_panels_list_as_a_field():
    old, new = _disagreeing(), _disagreeing()
    new["panels"][1]["panels"][0]["targets"][0]["expr"] = "child_metric_v2"
    new["panels"][0]["panels"][0]["title"] = "Ghost 2"
    fields = {f.field: (f.before, f.after) for f in dashboard_changes(old, new)}
    assert fields['panel "Child" query A'] == ("child_metric", "child_metric_v2")
    assert 'panel "Top" panels[0].title' in fields
    assert not any("Ghost" in name for name in fields)


def test_layout_grids_are_the_top_level_and_each_collapsed_row():
    open_row = _row("Open", [_ts("Hidden")], collapsed=False)
    board = {"panels": [_ts("A"), open_row, _row("Shut", [_ts("B"), _row("Inner", [_ts("C")])])]}
    assert [[p["title"] for p in grid] for grid in grids(board)] == [
        ["A", "Open", "Shut"], ["B", "Inner"], ["C"]]


def test_checks_report_a_collapsed_rows_child_and_the_key_grafana_ignores(tmp_path):
    bad = "sum(rate(x[5m])"
    dashboards = repr([{"uid": "nest", "title": "Nest", "panels": [
        _ts("Top", gridPos={"h": 8, "w": 12, "x": 0, "y": 0}, panels=[_ts("Ghost", bad)]),
        _row("More", [_ts("Child", bad, gridPos={"h": 8, "w": 12, "x": 0, "y": 2})])]}])
    _code, problems = check(tmp_path, dashboards)
    promql = [(p["object"], p["message"].split(":")[0]) for p in problems_of(problems, "dashboard/promql")]
    assert promql == [('dashboard nest panel "Child"', "PromQL does not parse")]
    schema = [(p["object"], p["field"], p["message"]) for p in problems_of(problems, "dashboard/schema")]
    assert ('dashboard nest panel "Top"', "panels", "key 'panels' is not a key Grafana reads here; Grafana ignores "
            "it (remove it, or move it where it belongs)") in schema


# -- substitution ----------------------------------------------------------------------------

DURATIONS = ["__rate_interval", "__interval", "__range"]
NUMBERS = ["__interval_ms", "__rate_interval_ms", "__range_s", "__range_ms"]


def test_every_builtin_is_known():
    assert sorted(BUILTIN_DURATIONS) == sorted(DURATIONS + NUMBERS)


@pytest.mark.parametrize("name", DURATIONS)
def test_a_duration_builtin_becomes_a_duration(name):
    expr = f"rate(x[${name}])"
    assert substitute(expr) == f"rate(x[{BUILTIN_DURATIONS[name]}])"
    node = parse(placeholders(expr))
    assert is_variable_range(selectors(node)[0].range_seconds)
    assert display(str(node)) == f"rate(x{{}}[${name}])"  # as printed from the AST


@pytest.mark.parametrize("name", NUMBERS)
def test_a_number_builtin_becomes_its_number(name):
    for written in (f"${name}", f"${{{name}}}", f"[[{name}]]"):
        expr = f"sum(rate(x[5m])) * {written}"
        assert substitute(expr) == f"sum(rate(x[5m])) * {BUILTIN_DURATIONS[name]}"
        assert placeholders(expr) == f"sum(rate(x[5m])) * {BUILTIN_DURATIONS[name]}"


def test_rate_interval_ms_is_a_number_not_a_user_variable():
    """It was missing: ``$__rate_interval_ms`` became a metric name and then did not parse as a number."""
    assert parse_error("x / $__rate_interval_ms", set()) is None
    assert placeholders("x / $__rate_interval_ms") == "x / 60000"


def _variable(kind: str, **data) -> Variable:
    return Variable.from_json({"name": "v", "type": kind, **data})


USER_KINDS = [
    {"type": "query", "query": "label_values(up, job)"},
    {"type": "custom", "query": "a,b", "includeAll": True, "allValue": ".*"},
    {"type": "constant", "query": "prod"},
    {"type": "textbox", "query": "api"},
    {"type": "datasource", "query": "prometheus"},
]


@pytest.mark.parametrize("definition", USER_KINDS, ids=[k["type"] for k in USER_KINDS])
@pytest.mark.parametrize("written", ["$v", "${v}", "${v:regex}", "[[v]]"])
def test_a_user_variable_in_a_matcher_is_replaced_and_maps_back(definition, written):
    expr = f'sum by (job) (rate(http_requests_total{{job=~"{written}"}}[5m]))'
    assert substitute(expr) == 'sum by (job) (rate(http_requests_total{job=~"placeholder"}[5m]))'
    assert substitute(expr, ".*") == 'sum by (job) (rate(http_requests_total{job=~".*"}[5m]))'
    assert parse_error(expr, set()) is None
    board = {"uid": "u", "panels": [_ts("P", expr)], "templating": {"list": [{"name": "v", **definition}]}}
    [query] = [q for q in dashboard_queries("grafana/dashboards/u.json", board) if q.kind == "panel"]
    assert [v.type for v in query.variables] == [definition["type"]]
    matcher = next(m for m in selectors(query.ast)[0].matchers if m.label == "job")
    assert references(matcher.value) == [written]
    assert display(query.parsed) == expr


def test_an_interval_variable_is_a_duration_in_both_substitutions():
    expr = "rate(x[$interval])"
    assert substitute(expr, durations={"interval"}) == "rate(x[1m])"
    assert parse_error(expr, {"interval"}) is None
    parsed = placeholders(expr)
    assert is_variable_range(selectors(parse(parsed))[0].range_seconds)
    assert display(str(parse(parsed))) == "rate(x{}[$interval])"


def test_a_variable_where_a_duration_goes_is_a_duration_in_placeholders():
    for expr, printed in (("rate(x[$window])", "rate(x{}[$window])"),
                          ("max_over_time(x[1h:$step])", "max_over_time(x{}[1h:$step])"),
                          ("x offset $shift", "x{} offset $shift")):
        assert display(str(parse(placeholders(expr)))) == printed
    assert VARIABLE_RANGE_SECONDS == 4242.0


def test_a_numeric_custom_variable_is_written_as_its_first_value():
    variable = _variable("custom", query="5,10")
    assert number(variable) == "5"
    assert placeholders("topk($v, up)", (("v", "5"),)) == "topk(5, up)"
    assert placeholders("topk($v, up)") == f"topk({VARIABLE_VALUE}, up)"
    assert parse_error("topk($v, up)", set()) is None  # dashboard/promql writes 1 there
    assert substitute("x > $v", values={"v": "5"}) == "x > 5"


def test_a_custom_variable_holding_an_operator_parses_as_grafana_sends_it():
    expr = "up $op down"
    assert parse_error(expr, set()).startswith("PromQL does not parse")
    assert parse_error(expr, set(), custom={"op": "or"}) is None
    assert substitute(expr, values={"op": "or"}) == "up or down"


def test_comments_are_kept_and_text_without_variables_is_untouched():
    expr = 'up{job="$job"} # by $job'
    assert substitute(expr) == 'up{job="placeholder"} # by $job'
    assert placeholders(expr).endswith("# by $job")
    assert substitute("up") == "up" and placeholders("up") == "up"


def test_queries_substitute_is_the_placeholder_substitution():
    assert queries_substitute is placeholders
