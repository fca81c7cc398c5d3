"""obscode's dashboard model accepts every key Grafana's own JSON schemas define (Grafana
v11.6 kind registry, as the Grafana Foundation SDK publishes it: ../shared/schemas/).

The schemas are walked here independently of scripts/grafana_schema/derive_keys.py: for each
place (dashboard, panel, field config, variable, annotation, each panel type's options and
custom field config, the Prometheus query) a document holding every key the schema lists,
nested as the schema nests them, must give no dashboard/schema finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from obscode.grafana.schema import dashboard_key_findings, panel_key_findings
from tests.conftest import ROOT

SCHEMAS = ROOT.parent / "shared" / "schemas" / "grafana-dashboard"
PANEL_KINDS = {
    "timeseries": "timeseries", "stat": "stat", "gauge": "gauge", "bargauge": "bargauge", "table": "table",
    "text": "text", "piechart": "piechart", "barchart": "barchart", "histogram": "histogram",
    "heatmap": "heatmap", "logs": "logs", "state-timeline": "statetimeline", "status-history": "statushistory",
    "news": "news", "dashlist": "dashboardlist", "annolist": "annotationslist", "nodeGraph": "nodegraph",
    "geomap": "geomap", "canvas": "canvas", "xychart": "xychart", "trend": "trend", "candlestick": "candlestick",
    "datagrid": "datagrid", "debug": "debug",
}
TARGET = "11.6"


def load(kind: str) -> dict[str, Any]:
    path = SCHEMAS / f"{kind}.jsonschema.json"
    if not path.is_file():
        pytest.skip(f"{path} is not there (the shared schemas sit next to the project)")
    return json.loads(path.read_text())


def example(schema: Any, defs: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """A value holding every key ``schema`` lists, recursively; 1 for anything that is not an object."""
    if not isinstance(schema, dict):
        return 1
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return 1 if name in seen else example(defs[name], defs, seen | {name})
    if schema.get("type") == "array" or "items" in schema:
        return [example(schema.get("items"), defs, seen)]
    out: dict[str, Any] = {}
    for member in [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        value = example(member, defs, seen)
        if isinstance(value, dict):
            out.update(value)
    for key, value in (schema.get("properties") or {}).items():
        out[key] = example(value, defs, seen)
    return out or 1


def of(kind: str, definition: str) -> Any:
    document = load(kind)
    return example({"$ref": f"#/definitions/{definition}"}, document["definitions"])


def messages(findings: Any) -> list[str]:
    return [f"{f.field}: {f.message}" for f in findings]


def test_every_dashboard_variable_and_annotation_key_is_accepted() -> None:
    dashboard = of("dashboard", "Dashboard")
    dashboard["templating"] = {"list": [of("dashboard", "VariableModel")]}
    dashboard["annotations"] = {"list": [of("dashboard", "AnnotationQuery")]}
    assert len(dashboard) > 20
    assert messages(dashboard_key_findings(dashboard, TARGET)) == []


def test_every_panel_and_field_config_key_is_accepted() -> None:
    panel = of("dashboard", "Panel")
    panel["type"] = "timeseries"
    panel["targets"] = []
    assert "fieldMinMax" in panel["fieldConfig"]["defaults"]
    assert messages(panel_key_findings(panel, TARGET)) == []


def test_every_row_key_is_accepted() -> None:
    row = of("dashboard", "RowPanel")
    row["type"] = "row"
    assert messages(panel_key_findings(row, TARGET)) == []


@pytest.mark.parametrize("plugin", sorted(PANEL_KINDS))
def test_every_option_and_custom_field_key_of_a_panel_type_is_accepted(plugin: str) -> None:
    document = load(PANEL_KINDS[plugin])
    defs = document["definitions"]
    panel: dict[str, Any] = {"type": plugin, "id": 1, "title": "P", "targets": []}
    if "Options" in defs:
        panel["options"] = example({"$ref": "#/definitions/Options"}, defs)
    if "FieldConfig" in defs:
        panel["fieldConfig"] = {"defaults": {"custom": example({"$ref": "#/definitions/FieldConfig"}, defs)},
                                "overrides": []}
    assert "options" in panel or "fieldConfig" in panel
    assert messages(panel_key_findings(panel, TARGET)) == []


def test_every_prometheus_query_key_is_accepted() -> None:
    query = of("prometheus", "Dataquery")
    query["datasource"] = {"type": "prometheus", "uid": "p"}
    assert "legendFormat" in query and "expr" in query
    panel = {"type": "timeseries", "id": 1, "title": "P", "targets": [query]}
    assert messages(panel_key_findings(panel, TARGET)) == []


def test_a_key_no_schema_lists_is_still_found() -> None:
    """The walk above can fail: a key the schemas do not list is reported."""
    panel = {"type": "timeseries", "id": 1, "title": "P", "options": {"legend": {"placment": "right"}}}
    assert messages(panel_key_findings(panel, TARGET)) == [
        "options.legend.placment: unknown key 'placment'; did you mean 'placement'? (Grafana ignores a "
        "misspelled key silently)"]


def test_the_key_tree_was_derived_from_the_schemas_tested_here() -> None:
    """upstream_keys.py records the SDK commit of each release it read; the last one, main, is
    the commit ../shared/schemas/ copied (its README names it)."""
    from obscode.grafana.upstream_keys import COMMITS, RELEASES

    readme = ROOT.parent / "shared" / "schemas" / "README.md"
    if not readme.is_file():
        pytest.skip(f"{readme} is not there")
    assert COMMITS["main"] in readme.read_text()
    assert list(COMMITS) == [*RELEASES, "main"]
