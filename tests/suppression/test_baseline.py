"""Baseline files: write the current findings, hide them later, and count stale entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode.cli import main

STACK = '''from obscode import *

stack = Stack(
    name="old",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={"api": ["instrumentation-http"]},
    rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=[
        AlertRule(alert="Down", expr='up{cluster="a"} == 0', labels={"severity": "warning"},
                  annotations={"summary": "s", "description": "d"}),
        AlertRule(alert="Slow", expr='rate(http_requests_total{stauts="500"}[5m]) > 1', labels={"severity": "warning"},
                  annotations={"summary": "s", "description": "d"}),
    ])])],
)
'''


def _stack(tmp_path: Path, text: str = STACK) -> Path:
    path = tmp_path / "old.py"
    path.write_text(text)
    return path


def _run(*args: str):
    return CliRunner().invoke(main, ["check", "--no-tools", *args])


def test_write_baseline_lists_findings_sorted_without_line_numbers(tmp_path: Path) -> None:
    stack, baseline = _stack(tmp_path), tmp_path / "baseline.json"
    result = _run(str(stack), "--write-baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert f"wrote baseline {baseline}: 2 finding(s) of old" in result.stderr
    data = json.loads(baseline.read_text())
    assert data["version"] == 1
    assert [(f["check"], f["object"], f["cause"][:28]) for f in data["findings"]] == [
        ("catalog/label", "alert Down (group g)", "label cluster is not emitted"),
        ("catalog/label", "alert Slow (group g)", "label stauts is not emitted "),
    ]
    assert all(set(f) == {"check", "stack", "file", "object", "field", "cause"} for f in data["findings"])
    assert "old.py" not in baseline.read_text()
    first = baseline.read_text()
    _run(str(stack), "--write-baseline", str(baseline))
    assert baseline.read_text() == first


def test_baseline_hides_its_findings_and_counts_them(tmp_path: Path) -> None:
    stack, baseline = _stack(tmp_path), tmp_path / "baseline.json"
    _run(str(stack), "--write-baseline", str(baseline))
    result = _run(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "checked old: 0 error(s), 0 warning(s), 2 suppressed (2 by baseline)" in result.stderr


def test_baseline_survives_edits_above_a_finding(tmp_path: Path) -> None:
    stack, baseline = _stack(tmp_path), tmp_path / "baseline.json"
    _run(str(stack), "--write-baseline", str(baseline))
    stack.write_text(STACK.replace("from obscode import *\n", "from obscode import *\n\n# a comment\n\n"))
    assert _run(str(stack), "--baseline", str(baseline)).exit_code == 0


def test_new_findings_still_show_and_fixed_ones_are_stale(tmp_path: Path) -> None:
    stack, baseline = _stack(tmp_path), tmp_path / "baseline.json"
    _run(str(stack), "--write-baseline", str(baseline))
    stack.write_text(STACK.replace('up{cluster="a"}', 'up{job="api"}').replace('stauts="500"', 'sttus="500"'))
    result = _run(str(stack), "--baseline", str(baseline))
    assert result.exit_code == 1
    assert "label sttus" in result.stdout and "label stauts" not in result.stdout
    assert "checked old: 1 error(s), 0 warning(s)\n" in result.stderr
    assert (f"baseline {baseline}: 2 entries no longer match a finding; "
            f"`obscode check --write-baseline {baseline}` drops them") in result.stderr


def test_missing_baseline_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(str(_stack(tmp_path)), "--baseline", str(tmp_path / "none.json"))
    assert result.exit_code == 2
    assert (f"error: baseline {tmp_path / 'none.json'} does not exist; write one with "
            f"`obscode check --write-baseline {tmp_path / 'none.json'}`") in result.stderr


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
    ('{"findings": []}', 'is not an obscode baseline (expected an object with "version": 1 and a "findings" list)'),
    ('{"version": 1, "findings": [{"check": 3}]}', "finding 0 must be an object with string fields check, stack, "
                                                    "file, object, field, cause (check and stack required)"),
], ids=["not json", "no version", "bad entry"])
def test_invalid_baseline_is_a_usage_error(tmp_path: Path, content: str, expected: str) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    result = _run(str(_stack(tmp_path)), "--baseline", str(baseline))
    assert result.exit_code == 2
    assert f"error: baseline {baseline}" in result.stderr and expected in result.stderr


def test_generate_accepts_a_baseline(tmp_path: Path) -> None:
    stack, baseline = _stack(tmp_path), tmp_path / "baseline.json"
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["generate", str(stack), "--out", str(out)]).exit_code == 1
    _run(str(stack), "--write-baseline", str(baseline))
    result = CliRunner().invoke(main, ["generate", str(stack), "--out", str(out), "--baseline", str(baseline)])
    assert result.exit_code == 0, result.output
    assert (out / "old" / "prometheus" / "rules" / "r.yml").is_file()


def test_writing_a_baseline_for_one_stack_keeps_the_other_stacks_entries(tmp_path: Path) -> None:
    one, baseline = _stack(tmp_path), tmp_path / "baseline.json"
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = _stack(other_dir, STACK.replace('name="old"', 'name="other"'))
    _run(str(one), str(other), "--write-baseline", str(baseline))
    assert {f["stack"] for f in json.loads(baseline.read_text())["findings"]} == {"old", "other"}
    one.write_text(STACK.replace('up{cluster="a"}', 'up{job="api"}'))
    _run(str(one), "--write-baseline", str(baseline))
    stacks = [f["stack"] for f in json.loads(baseline.read_text())["findings"]]
    assert sorted(stacks) == ["old", "other", "other"]
