"""Dashboard findings name the line that built the object at fault: the panel, the target, the
variable or the dashboard (obscode.grafana.origins)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import attr
import grafanalib.core as g
import pytest
from click.testing import CliRunner

from obscode import Stack, loader
from obscode.checks import CheckContext, run_checks
from obscode.cli import main
from obscode.emit import render
from obscode.grafana.origins import ORIGIN_KEY
from obscode.grafana.recording import frames_of

INIT = '''
from obscode import PrometheusConfig, ScrapeConfig, Stack, StaticConfig

from .boards import DASHBOARDS

stack = Stack(  # <- stack
    name="shop",
    prometheus=PrometheusConfig(scrape_configs=[
        ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={"api": ["instrumentation-http"]},
    dashboards=DASHBOARDS,
)
'''

#: Helpers every target and panel goes through: findings name the caller's line, not these.
HELPERS = '''
import grafanalib.core as g


def target(expr, ref="A"):
    return g.Target(expr=expr, refId=ref)


def timeseries(title, targets, x, y, **kw):
    return g.TimeSeries(title=title, targets=targets, gridPos=g.GridPos(h=8, w=12, x=x, y=y), unit="reqps", **kw)


def job():
    return g.Template(name="job", query="label_values(http_requests_total, job)")
'''

BOARDS = '''
import grafanalib.core as g

from ._panels import job, target, timeseries

overview = g.Dashboard(  # <- overview
    title="Overview",
    uid="overview",
    templating=g.Templating(list=[
        job(),
        job(),  # <- second job
    ]),
    panels=[
        timeseries("Requests", [
            target('sum(rate(http_request_total{job=~"$job"}[5m]))'),  # <- misspelt metric
        ], x=0, y=0),
        timeseries("Errors", [target('sum(rate(http_requests_total{job=~"$job", status=~"5.."}[5m]))'),
                              target('sum(rate(http_requests_total{job=~"$job"}[5m]))', ref="A")],  # <- second A
                   x=12, y=0),
        timeseries("Overlapping", [target('sum(rate(http_requests_total{job=~"$job"}[5m]))')], x=6, y=4),  # <- overlap
        timeseries("Elsewhere", [target('sum(rate(http_requests_total{job=~"$job"}[5m]))')],  # <- datasource
                   x=0, y=12, dataSource="nope"),
        timeseries("Broken", [target('sum(rate(http_requests_total{job=~"$job"}[5m])')], x=12, y=12),  # <- parse
        timeseries("Formats", [  # <- formats panel
            g.Target(expr='sum(rate(http_requests_total{job=~"$job"}[5m]))', refId="A", format="timeseries"),  # <- format
        ], x=0, y=20),
    ],
)

nameless = g.Dashboard(title="Nameless", panels=[  # <- nameless
    timeseries("Fine", [target('sum(rate(http_requests_total[5m]))')], x=0, y=0),
])

legacy = g.Dashboard(title="Legacy", uid="legacy", rows=[
    g.Row(title="Old", panels=[
        g.Graph(title="Old graph", targets=[target('sum(rate(http_requests_total[5m]))')]),  # <- graph
    ]),
])

exported = {"uid": "exported", "title": "Exported", "panels": [{
    "type": "timeseries", "title": "From JSON", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
    "targets": [{"refId": "A", "expr": "sum(rate(http_request_total[5m]))"}]}]}

DASHBOARDS = [overview, nameless, legacy, exported]
'''


def _tags(path: Path) -> dict[str, str]:
    """``# <- name`` comments of ``path``: name -> "file:line"."""
    found = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = re.search(r"# <- (.+)$", line)
        if match:
            found[match.group(1)] = f"{path}:{number}"
    return found


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], dict[str, str]]:
    root = tmp_path_factory.mktemp("sources") / "shop"
    root.mkdir()
    for name, text in (("__init__.py", INIT), ("_panels.py", HELPERS), ("boards.py", BOARDS)):
        (root / name).write_text(textwrap.dedent(text))
    result = CliRunner().invoke(main, ["check", str(root), "--no-tools", "--format", "json"])
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    return problems, {**_tags(root / "__init__.py"), **_tags(root / "boards.py")}


def _sources(problems: list[dict[str, Any]], check: str, obj: str, field: str | None = None) -> list[str]:
    return [p["source"] for p in problems
            if p["check"] == check and p["object"] == obj and (field is None or p["field"] == field)]


def test_every_dashboard_finding_has_a_source_line(checked):
    problems, _tags = checked
    dashboard_findings = [p for p in problems if p["file"].startswith("grafana/dashboards/")]
    assert len(dashboard_findings) >= 8
    assert [p for p in dashboard_findings if p["source"] is None] == []


def test_a_misspelt_metric_names_the_target_line_not_the_helper(checked):
    problems, tags = checked
    found = _sources(problems, "catalog/metric", 'dashboard overview panel "Requests" target A', "expr")
    assert found == [tags["misspelt metric"]]


def test_a_repeated_refid_names_the_second_target(checked):
    problems, tags = checked
    assert _sources(problems, "dashboard/targets", 'dashboard overview panel "Errors"') == [tags["second A"]]


def test_overlapping_panels_name_the_panel(checked):
    problems, tags = checked
    found = _sources(problems, "dashboard/layout", 'dashboard overview panel "Overlapping"', "gridPos")
    assert found and set(found) == {tags["overlap"]}


def test_a_bad_datasource_names_the_panel_and_its_target(checked):
    problems, tags = checked
    found = _sources(problems, "dashboard/datasource", 'dashboard overview panel "Elsewhere"')
    assert sorted(found) == [tags["datasource"]] * 2  # the panel's datasource and its target's


def test_a_query_that_does_not_parse_names_the_target(checked):
    problems, tags = checked
    assert _sources(problems, "dashboard/promql", 'dashboard overview panel "Broken"') == [tags["parse"]]


def test_a_schema_finding_on_a_target_field_names_the_target(checked):
    problems, tags = checked
    found = _sources(problems, "dashboard/schema", 'dashboard overview panel "Formats"', "targets[0].format")
    assert found == [tags["format"]]
    assert tags["format"] != tags["formats panel"]


def test_a_variable_defined_twice_names_the_second_definition(checked):
    problems, tags = checked
    found = [p["source"] for p in problems if p["check"] == "dashboard/variables" and "defined twice" in p["message"]]
    assert found == [tags["second job"]]


def test_a_dashboard_finding_names_the_dashboard(checked):
    problems, tags = checked
    found = [p["source"] for p in problems if p["check"] == "dashboard/uid"]
    assert found == [tags["nameless"]]


def test_a_panel_of_a_legacy_row_names_its_line(checked):
    problems, tags = checked
    found = _sources(problems, "dashboard/schema", 'dashboard legacy panel "Old graph"', "type")
    assert found == [tags["graph"]]


def test_a_dashboard_given_as_json_names_the_stack_it_was_passed_to(checked):
    problems, tags = checked
    found = _sources(problems, "catalog/metric", 'dashboard exported panel "From JSON" target A', "expr")
    assert found == [tags["stack"]]


def test_loading_leaves_grafanalib_as_it_was(tmp_path):
    before = (g.Target.__init__, g.TimeSeries.__init__, g.Dashboard.__init__, attr.evolve)
    (tmp_path / "plain.py").write_text(textwrap.dedent('''
        import grafanalib.core as g
        from obscode import Stack
        stack = Stack(name="plain", dashboards=[g.Dashboard(title="P", uid="p", panels=[
            g.TimeSeries(title="T", targets=[g.Target(expr="up", refId="A")],
                         gridPos=g.GridPos(h=8, w=12, x=0, y=0))])])
    '''))
    loaded = loader.load(tmp_path / "plain.py")
    assert (g.Target.__init__, g.TimeSeries.__init__, g.Dashboard.__init__, attr.evolve) == before
    files = render(loaded.stack)
    assert attr.evolve is before[-1]
    assert not any(ORIGIN_KEY.encode() in content for content in files.values())
    assert frames_of(g.Target(expr="up")) == ()  # built after loading: not recorded


def test_a_dashboard_built_outside_a_stack_module_has_the_stack_line():
    panel = g.TimeSeries(title="T", targets=[g.Target(expr="sum(rate(http_request_total[5m]))", refId="A"),
                                             g.Target(expr="up", refId="A")],
                         gridPos=g.GridPos(h=8, w=12, x=0, y=0))
    stack = Stack(name="direct", dashboards=[g.Dashboard(title="D", uid="d", panels=[panel])])
    found = run_checks(CheckContext(stack=stack, files=render(stack)), only=["dashboard/targets"])
    assert [p.source for p in found] == [stack.source]


def test_foundation_sdk_objects_name_their_lines(tmp_path):
    pytest.importorskip("grafana_foundation_sdk")
    (tmp_path / "sdk.py").write_text(textwrap.dedent('''
        from grafana_foundation_sdk.builders import dashboard, prometheus, timeseries
        from obscode import Stack

        board = (
            dashboard.Dashboard("SDK")
            .uid("sdk")
            .with_panel(
                timeseries.Panel()
                .title("Rate")
                .with_target(prometheus.Dataquery().expr("up").ref_id("A"))
                .with_target(prometheus.Dataquery().expr("up == 0").ref_id("A"))  # <- second A
            )
        )
        stack = Stack(name="sdk", dashboards=[board])
    '''))
    tags = _tags(tmp_path / "sdk.py")
    loaded = loader.load(tmp_path / "sdk.py")
    found = run_checks(CheckContext(stack=loaded.stack, files=render(loaded.stack)), only=["dashboard/targets"])
    assert [str(p.source.file) + f":{p.source.line}" for p in found if p.source] == [tags["second A"]]


def test_an_inline_comment_on_a_target_line_suppresses_its_finding(tmp_path):
    (tmp_path / "quiet.py").write_text(textwrap.dedent('''
        import grafanalib.core as g
        from obscode import Stack

        def ts(title, *targets):
            return g.TimeSeries(title=title, targets=list(targets), gridPos=g.GridPos(h=8, w=12, x=0, y=0))

        stack = Stack(name="quiet", dashboards=[g.Dashboard(title="Q", uid="q", panels=[
            ts("Kept", g.Target(expr="up", refId="A"), g.Target(expr="up == 0", refId="A")),
            ts("Known", g.Target(expr="up", refId="A"),
               g.Target(expr="up == 0", refId="A")),  # obscode: ignore dashboard/targets -- shown as one on purpose
        ])])
    '''))
    result = CliRunner().invoke(main, ["check", str(tmp_path / "quiet.py"), "--no-tools"])
    assert result.exit_code == 1, result.output
    reported = [line for line in result.output.splitlines() if "[dashboard/targets]" in line]
    assert len(reported) == 1 and 'panel "Kept"' in reported[0]
    assert "1 suppressed (1 by inline comment)" in result.output


def test_panels_evolved_by_auto_panel_ids_keep_their_lines(tmp_path):
    (tmp_path / "auto.py").write_text(textwrap.dedent('''
        import grafanalib.core as g
        from obscode import Stack

        board = g.Dashboard(title="A", uid="a", panels=[
            g.TimeSeries(title="One", targets=[g.Target(expr="up", refId="A")], gridPos=g.GridPos(h=8, w=12, x=0, y=0)),
            g.TimeSeries(title="Two", targets=[g.Target(expr="up", refId="A")],  # <- two
                         gridPos=g.GridPos(h=8, w=12, x=6, y=0)),
        ]).auto_panel_ids()
        stack = Stack(name="auto", dashboards=[board])
    '''))
    tags = _tags(tmp_path / "auto.py")
    loaded = loader.load(tmp_path / "auto.py")
    found = run_checks(CheckContext(stack=loaded.stack, files=render(loaded.stack)), only=["dashboard/layout"])
    assert [f"{p.source.file}:{p.source.line}" for p in found if p.source] == [tags["two"]]
