"""Every mixin of the shared corpus (../shared/corpus/mixins/: rendered alerts, recording rules
and dashboards of about 100 public monitoring mixins) imports into a stack, generates, and
round-trips. In-process, one stack per mixin: the whole corpus takes seconds."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from obscode.importers import roundtrip
from obscode.importers.dashboards import read_files
from obscode.importers.problems import Collector
from tests.conftest import require_tool
from tests.importers.helpers import generated, obscode
from tests.realworld import harness

CORPUS = harness.CORPUS
MIXINS = [p.name for p in harness.mixins()]

#: Round-trip differences that are expected, by mixin, each with its reason.
EXCEPTIONS: dict[str, list[str]] = {}


def test_the_corpus_is_there() -> None:
    if not MIXINS:
        message = f"the shared corpus is missing at {CORPUS}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    assert len(MIXINS) >= 100


@pytest.mark.parametrize("name", MIXINS)
def test_a_mixin_imports_generates_and_round_trips(name: str, tmp_path: Path) -> None:
    mixin = CORPUS / name
    stack = tmp_path / "corpus"
    rules = [p for p in (mixin / "alerts.yaml", mixin / "rules.yaml") if p.is_file()]
    dashboards = sorted((mixin / "dashboards").iterdir()) if (mixin / "dashboards").is_dir() else []
    result = obscode("import", "rules", *rules, "--stack", "corpus", "--out", stack)
    if all(harness.is_empty(p) for p in rules):
        # Files holding only null, {} or `groups: []` are reported empty; with nothing else, nothing is written.
        assert result.exit_code == 2 and result.output.count("holds no rule groups: nothing to import") == len(rules)
    else:
        assert result.exit_code == 0, result.output
        assert result.output.count("holds no rule groups (empty): skipped") == sum(map(harness.is_empty, rules))
    if dashboards:
        result = obscode("import", "dashboard", *dashboards, "--stack", "corpus", "--out", stack)
        assert result.exit_code == 0, result.output
    if not (stack / "__init__.py").is_file():
        return
    out = generated(stack, tmp_path / "out")

    differences = [line.replace(f"{mixin}/", "") for line in roundtrip.rules_round_trip(rules, out)]
    for dashboard in read_files(dashboards, Collector()):
        output = json.loads((out / "grafana" / "dashboards" / dashboard.file_name).read_text())
        differences += [f"{dashboard.source.name}: {d}" for d in roundtrip.dashboard_differences(dashboard.data, output)]
    assert differences == EXCEPTIONS.get(name, [])


def test_every_rule_file_of_the_corpus_imports_into_one_stack_that_promtool_accepts(tmp_path: Path) -> None:
    if not MIXINS:
        pytest.skip("the shared corpus is missing")
    promtool = require_tool("promtool")
    files = [CORPUS / name / f for f in ("alerts.yaml", "rules.yaml") for name in MIXINS if (CORPUS / name / f).is_file()]
    result = obscode("import", "rules", *files, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 0, result.output
    # Every mixin names its files alerts.yaml and rules.yaml: each rule file takes its folder's name.
    assert result.output.count("rule file named") == sum(not harness.is_empty(f) for f in files)
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip(files, out) == []
    rule_files = sorted((out / "prometheus" / "rules").glob("*.yml"))
    # --lint=none: six mixins hold rules promtool's duplicate-rules lint names (so does their input).
    check = subprocess.run([promtool, "check", "rules", "--lint=none", *map(str, rule_files)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("SUCCESS") == len(rule_files)
