"""`obscode import dashboard`: Grafana JSON kept as JSON next to the code."""

from __future__ import annotations

import json
from pathlib import Path

from obscode.importers import roundtrip
from tests.importers.helpers import generated, imported, obscode, write

DASHBOARD = {
    "uid": "node-overview", "title": "Node overview", "schemaVersion": 36,
    "panels": [
        {"id": 1, "type": "timeseries", "title": "CPU", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
         "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "targets": [{"refId": "A", "expr": 'sum by (instance) (rate(node_cpu_seconds_total{job="node"}[$__rate_interval]))'}]},
    ],
    "templating": {"list": []},
}


def test_a_dashboard_is_kept_byte_for_byte_and_round_trips(tmp_path: Path) -> None:
    source = write(tmp_path / "node.json", json.dumps(DASHBOARD, indent=4))
    result = imported("dashboard", source, stack=tmp_path / "stack")
    assert "dashboard 'Node overview'" in result.output and "kept as JSON in dashboards/node-overview.json" in result.output
    assert (tmp_path / "stack" / "dashboards" / "node-overview.json").read_bytes() == source.read_bytes()
    out = generated(tmp_path / "stack", tmp_path / "out")
    output = json.loads((out / "grafana/dashboards/node-overview.json").read_text())
    assert roundtrip.dashboard_differences(DASHBOARD, output) == []


def test_a_file_without_json_suffix_is_imported(tmp_path: Path) -> None:
    imported("dashboard", write(tmp_path / "overview", json.dumps(DASHBOARD)), stack=tmp_path / "stack")
    assert (tmp_path / "stack" / "dashboards" / "node-overview.json").is_file()


def test_invalid_json_is_an_error_at_its_line(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.json", '{\n  "title": "x",\n  "panels": [,]\n}\n')
    result = obscode("import", "dashboard", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "bad.json:3: error: is not valid JSON: Expecting value (column 14)" in result.output
    assert not (tmp_path / "stack").exists()


def test_json_that_is_not_a_dashboard_is_an_error(tmp_path: Path) -> None:
    result = obscode("import", "dashboard", write(tmp_path / "x.json", "[1, 2]"), "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "x.json:1: error: is not a Grafana dashboard: a dashboard is a JSON object with a `panels` (or `rows`) list" \
        in result.output


def test_a_target_whose_expr_is_not_text_is_an_error_at_its_line(tmp_path: Path) -> None:
    bad = {**DASHBOARD, "panels": [DASHBOARD["panels"][0], {"type": "stat", "title": "Up",  # type: ignore[index]
                                   "targets": [{"refId": "A", "expr": 1}]}]}
    source = write(tmp_path / "bad.json", json.dumps(bad, indent=2))
    result = obscode("import", "dashboard", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    lines = source.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if '"expr": 1' in text) - 2  # the target's "{"
    assert lines[line - 1].strip() == "{"
    assert f"bad.json:{line}: error: panel 'Up': a target's expr must be a string, not int" in result.output


def test_a_second_dashboard_with_the_same_uid_gets_its_own_file(tmp_path: Path) -> None:
    one = write(tmp_path / "a.json", json.dumps(DASHBOARD))
    two = write(tmp_path / "b.json", json.dumps({**DASHBOARD, "title": "Copy"}))
    result = imported("dashboard", one, two, stack=tmp_path / "stack")
    assert "b.json: kept as dashboards/node-overview-2.json (node-overview.json is taken)" in result.output


def test_a_schema_version_normalisation_changes_is_reported(tmp_path: Path) -> None:
    result = imported("dashboard", write(tmp_path / "a.json", json.dumps({**DASHBOARD, "schemaVersion": 30})),
                      stack=tmp_path / "stack")
    assert "dashboard 'Node overview': obscode generate writes schemaVersion 39 (the input declares 30)" in result.output


def test_a_dashboard_older_than_schema_16_is_imported_with_a_note(tmp_path: Path) -> None:
    old = {"uid": "old", "title": "Old", "schemaVersion": 14, "rows": [{"title": "r", "panels": [
        {"id": 1, "type": "graph", "title": "CPU", "span": 12, "targets": [{"expr": "up", "refId": "A"}]}]}]}
    result = imported("dashboard", write(tmp_path / "old.json", json.dumps(old)), stack=tmp_path / "stack")
    assert "schemaVersion 14 is older than 16: imported as it is; obscode generate lays out its rows" in result.output
    out = generated(tmp_path / "stack", tmp_path / "out")
    output = json.loads((out / "grafana/dashboards/old.json").read_text())
    assert roundtrip.dashboard_differences(old, output) == []
    assert output["panels"][0]["gridPos"] == {"h": 9, "w": 24, "x": 0, "y": 0}


def test_keys_normalisation_drops_are_reported(tmp_path: Path) -> None:
    legacy = {**DASHBOARD, "style": "dark", "panels": [{**DASHBOARD["panels"][0], "span": 6}]}  # type: ignore[dict-item]
    result = imported("dashboard", write(tmp_path / "a.json", json.dumps(legacy)), stack=tmp_path / "stack")
    assert ("dashboard 'Node overview': obscode generate drops keys Grafana no longer reads or that normalisation "
            "rewrites: span, style") in result.output


def test_the_dashboard_comparison_sees_a_moved_panel() -> None:
    moved = json.loads(json.dumps(DASHBOARD))
    moved["panels"][0]["gridPos"]["x"] = 12
    output = roundtrip.normalise(moved, roundtrip.default_datasources())
    assert roundtrip.dashboard_differences(DASHBOARD, output) == ["dashboard.panels[0].gridPos.x: 0 became 12"]


def test_what_normalisation_changes_is_listed_apart() -> None:
    changes = roundtrip.normalisation_changes({**DASHBOARD, "schemaVersion": 30, "style": "dark"})
    assert "dashboard.schemaVersion: 30 became 39" in changes
    assert "dashboard.style: missing from the output" in changes
