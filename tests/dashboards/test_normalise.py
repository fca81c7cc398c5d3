"""Normalisation: what grafanalib, the Foundation SDK and exported JSON become."""

from __future__ import annotations

import grafanalib.core as g
from click.testing import CliRunner

from obscode import PrometheusConfig, Stack
from obscode.cli import main
from obscode.emit.grafana import normalised_dashboards


def _stack(*dashboards, **kw) -> Stack:
    return Stack(name="n", prometheus=PrometheusConfig(), dashboards=list(dashboards), **kw)


def _only(*dashboards, **kw) -> dict:
    return normalised_dashboards(_stack(*dashboards, **kw))[0]


def test_grafanalib_output_gets_current_schema_and_typed_datasources():
    out = _only(g.Dashboard(title="T", uid="t", panels=[
        g.TimeSeries(title="A", targets=[g.Target(expr="up")], gridPos=g.GridPos(h=8, w=12, x=0, y=0))]))
    panel = out["panels"][0]
    assert out["schemaVersion"] == 39 and "rows" not in out and "id" not in out
    assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
    assert panel["targets"][0] == {"datasource": {"type": "prometheus", "uid": "prometheus"}, "expr": "up",
                                   "format": "time_series", "hide": False, "instant": False, "interval": "",
                                   "legendFormat": "", "refId": "A"}


def test_given_panel_ids_are_kept_and_missing_ones_numbered_after_them():
    out = _only(g.Dashboard(title="T", uid="t", panels=[
        g.Stat(title="A", id=7, gridPos=g.GridPos(h=4, w=6, x=0, y=0)),
        g.Stat(title="B", gridPos=g.GridPos(h=4, w=6, x=6, y=0)),
        g.Stat(title="C", gridPos=g.GridPos(h=4, w=6, x=12, y=0))]))
    assert [p["id"] for p in out["panels"]] == [7, 8, 9]


def test_legacy_rows_are_laid_out_on_the_grid():
    out = _only(g.Dashboard(title="T", uid="t", rows=[
        g.Row(title="First", showTitle=True, panels=[g.Stat(title="A", span=6), g.Stat(title="B", span=6)]),
        g.Row(title="Second", showTitle=True, panels=[g.Stat(title="C", span=12)])]))
    layout = [(p["type"], p["title"], p["gridPos"]) for p in out["panels"]]
    assert layout == [
        ("row", "First", {"h": 1, "w": 24, "x": 0, "y": 0}),
        ("stat", "A", {"h": 9, "w": 12, "x": 0, "y": 1}), ("stat", "B", {"h": 9, "w": 12, "x": 12, "y": 1}),
        ("row", "Second", {"h": 1, "w": 24, "x": 0, "y": 10}),
        ("stat", "C", {"h": 9, "w": 24, "x": 0, "y": 11}),
    ]


def test_legacy_gauge_field_options_move_to_field_config_and_reduce_options():
    out = _only(g.Dashboard(title="T", uid="t", panels=[g.BarGauge(
        title="Bars", format="percent", calc="lastNotNull", gridPos=g.GridPos(h=4, w=6, x=0, y=0))]))
    panel = out["panels"][0]
    assert "fieldOptions" not in panel["options"]
    assert panel["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    assert panel["fieldConfig"]["defaults"]["unit"] == "percent"
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"][0] == {"color": "green", "value": None}


def test_exported_json_with_string_datasources_is_resolved_by_name():
    exported = {"uid": "x", "title": "X", "schemaVersion": 22, "panels": [
        {"type": "timeseries", "title": "P", "datasource": "Elasticsearch", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
         "targets": [{"query": "level:error", "refId": "A"}]}]}
    from obscode.model.logs import LogsConfig

    panel = _only(exported, logs=LogsConfig())["panels"][0]  # a stack that ships logs has the datasource
    assert panel["datasource"] == {"type": "elasticsearch", "uid": "elasticsearch"}
    assert panel["targets"][0]["datasource"] == panel["datasource"]


def test_foundation_sdk_builders_go_through_the_same_path():
    from grafana_foundation_sdk.builders import prometheus, timeseries
    from grafana_foundation_sdk.builders.dashboard import Dashboard

    builder = Dashboard("SDK").uid("sdk").with_panel(
        timeseries.Panel().title("Up").unit("short").with_target(prometheus.Dataquery().expr("up")))
    out = _only(builder)
    assert out["schemaVersion"] == 39
    assert out["panels"][0]["targets"][0]["refId"] == "A"
    assert out["panels"][0]["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_logs_index_defaults_to_stack_name_and_feeds_the_elasticsearch_datasource():
    from obscode.model.logs import LogsConfig

    assert _stack().logs_index == "n-logs"
    custom = _stack(logs_index="applogs", logs=LogsConfig())
    assert [d.json_data.get("index") for d in custom.datasources()] == [None, "applogs"]
    assert [d.type for d in _stack(logs_index="applogs").datasources()] == ["prometheus"]  # no logs shipped


def test_something_that_is_no_dashboard_is_a_definition_error(tmp_path):
    path = tmp_path / "odd.py"
    path.write_text("from obscode import PrometheusConfig, Stack\n"
                    "stack = Stack(name='odd', prometheus=PrometheusConfig(), dashboards=[42])\n")
    result = CliRunner().invoke(main, ["check", str(path), "--no-tools"])
    assert result.exit_code == 2
    assert ("dashboards[0]: expected a grafanalib Dashboard, a Grafana Foundation SDK dashboard or a dict of "
            "dashboard JSON, got int") in result.stderr


def test_a_newer_declared_schema_version_is_kept_never_downgraded():
    def version(declared):
        return _only({"uid": "v", "title": "V", "schemaVersion": declared, "panels": []})["schemaVersion"]

    assert version(41) == 41
    assert version(42) == 42
    assert version("41") == 41
    assert version(16) == 39
    assert version(None) == 39


def test_gauge_only_options_leave_bar_gauges():
    """grafanalib writes showThresholdLabels/Markers on bar gauges, which never read them."""
    out = _only(g.Dashboard(title="T", uid="t", panels=[
        g.BarGauge(title="Bars", gridPos=g.GridPos(h=4, w=6, x=0, y=0)),
        g.GaugePanel(title="Gauge", gridPos=g.GridPos(h=4, w=6, x=6, y=0))]))
    bars, gauge = out["panels"]
    assert "showThresholdLabels" not in bars["options"] and "showThresholdMarkers" not in bars["options"]
    assert gauge["options"]["showThresholdMarkers"] is True


def test_a_string_datasource_of_any_variable_becomes_a_reference():
    out = _only({"uid": "v", "title": "V", "panels": [], "templating": {"list": [
        {"name": "ds_var", "type": "custom", "query": "a,b", "datasource": "${datasource}"}]}})
    assert out["templating"]["list"][0]["datasource"] == {"uid": "${datasource}"}


def test_the_datasource_named_default_is_the_default_datasource():
    out = _only({"uid": "d", "title": "D", "panels": [
        {"type": "timeseries", "title": "P", "datasource": "default", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
         "targets": [{"expr": "up", "refId": "A", "datasource": {"uid": "default"}}]}]})
    panel = out["panels"][0]
    assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
    assert panel["targets"][0]["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_an_empty_panels_list_leaves_panels_that_are_not_rows():
    out = _only({"uid": "p", "title": "P", "panels": [
        {"type": "timeseries", "title": "T", "panels": [], "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}},
        {"type": "row", "title": "R", "panels": [], "gridPos": {"h": 1, "w": 24, "x": 0, "y": 8}}]})
    series, row = out["panels"]
    assert "panels" not in series and row["panels"] == []
