"""`obscode generate`: deterministic, atomic, equal to the committed generated/ tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from obscode.cli import main
from obscode.output import read_tree
from tests.conftest import ROOT


def _generate(out: Path, seed: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "obscode.cli_entry", "generate", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out, seed in ((first, "1"), (second, "4242")):
        proc = _generate(out, seed)
        assert proc.returncode == 0, proc.stderr
    a, b = read_tree(first), read_tree(second)
    assert a and a == b


def test_committed_generated_tree_equals_what_the_code_generates(tmp_path: Path, in_project: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for stack_dir in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        committed = read_tree(ROOT / "generated" / stack_dir.name)
        fresh = read_tree(stack_dir)
        assert sorted(fresh) == sorted(committed), "run `make generate` and commit generated/"
        for path in fresh:
            assert fresh[path] == committed[path], f"generated/{stack_dir.name}/{path} is stale: run `make generate`"


def test_quantis_outputs_are_at_the_contract_paths(tmp_path: Path, in_project: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "quantis", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = read_tree(tmp_path / "quantis")
    for path in ("prometheus/prometheus.yml", "prometheus/rules/system_alerts.yml",
                 "prometheus/rules/model_alerts.yml", "alertmanager/alertmanager.yml"):
        assert path in files


def test_a_failing_stack_writes_nothing_for_any_stack(tmp_path: Path, in_project: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("from obscode import *\nstack = Stack(name='broken', prometheus=PrometheusConfig(global_=GlobalConfig(scrape_interval='fast')))\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", "quantis", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "stack broken" in result.output and "'scrape_interval'" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_unknown_stack_is_a_usage_error(in_project: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "nosuchstack"])
    assert result.exit_code == 2
    assert "no stack 'nosuchstack'" in result.output and "quantis" in result.output


def test_module_without_stack_is_a_usage_error(tmp_path: Path) -> None:
    module = tmp_path / "empty.py"
    module.write_text("x = 1\n")
    result = CliRunner().invoke(main, ["generate", str(module), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "must define `stack = obscode.Stack(...)`" in result.output


def test_stack_that_raises_names_file_and_line(tmp_path: Path) -> None:
    module = tmp_path / "oops.py"
    module.write_text("from obscode import *\n\nraise RuntimeError('boom')\n")
    result = CliRunner().invoke(main, ["generate", str(module), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "stack oops does not load: RuntimeError: boom" in result.output
    assert "oops.py:3" in result.output


def test_no_secret_value_reaches_the_output(tmp_path: Path, in_project: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "quantis", "--out", str(tmp_path)])
    assert result.exit_code == 0
    text = b"".join(read_tree(tmp_path / "quantis").values()).decode()
    assert "service_key_file: /etc/alertmanager/secrets/" in text
    assert "api_url_file: /etc/alertmanager/secrets/" in text
    assert "service_key:" not in text and "api_url:" not in text


RULES_ONLY_STACK = """
from obscode import AlertRule, RuleFile, RuleGroup, Stack

stack = Stack(
    name="rulesonly",
    rule_files=[RuleFile(name="alerts", groups=[RuleGroup(name="g", rules=[
        AlertRule(alert="NodeDown", expr='up{job="node"} == 0', for_="5m", labels={"severity": "critical"},
                  annotations={"summary": "node {{ $labels.instance }} is down", "description": "no scrape"}),
    ])])],
    job_catalogs={"node": ["node-exporter"]},
)
"""


def test_a_stack_without_prometheus_config_writes_only_its_rules(tmp_path: Path) -> None:
    module = tmp_path / "rulesonly.py"
    module.write_text(RULES_ONLY_STACK)
    result = CliRunner().invoke(main, ["generate", str(module), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    written = read_tree(tmp_path / "o" / "rulesonly")
    assert "prometheus/rules/alerts.yml" in written
    assert "prometheus/prometheus.yml" not in written
    assert b"NodeDown" in written["prometheus/rules/alerts.yml"]
