"""`obscode check`: exit codes, warnings, JSON output, and tools missing from PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from obscode.cli import main
from tests.conftest import ROOT

UNUSED_RECEIVER = """
from obscode import *

stack = Stack(
    name="spare",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    alertmanager=AlertmanagerConfig(
        route=Route(receiver="default"),
        receivers=[
            Receiver(name="default", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/hook")]),
            Receiver(name="forgotten", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/other")]),
        ],
    ),
)
"""


def test_unused_receiver_is_a_warning_that_does_not_fail(tmp_path: Path) -> None:
    stack = tmp_path / "spare.py"
    stack.write_text(UNUSED_RECEIVER)
    result = CliRunner().invoke(main, ["check", str(stack), "--no-tools"])
    assert result.exit_code == 0, result.output
    assert "spare: warning[alertmanager/receivers] alertmanager/alertmanager.yml: receiver forgotten" in result.output
    assert "no route sends alerts to this receiver" in result.output
    assert "spare.py:" in result.output


def test_json_format_lists_problems(tmp_path: Path) -> None:
    stack = tmp_path / "spare.py"
    stack.write_text(UNUSED_RECEIVER)
    result = CliRunner().invoke(main, ["check", str(stack), "--no-tools", "--format", "json"])
    payload = json.loads(result.stdout)
    assert payload == [{
        "check": "alertmanager/receivers", "severity": "warning", "stack": "spare",
        "file": "alertmanager/alertmanager.yml", "object": "receiver forgotten", "field": "name",
        "message": "no route sends alerts to this receiver; route to it or remove it",
        "source": payload[0]["source"],
        "cause": "no route sends alerts to this receiver; route to it or remove it",
        "group": "spare:alertmanager/receivers:warning:no route sends alerts to this receiver; route to it or remove it",
    }]


def test_missing_tools_are_a_clear_warning(tmp_path: Path) -> None:
    """With promtool/amtool off PATH, check still runs and says what to install."""
    stack = tmp_path / "spare.py"
    stack.write_text(UNUSED_RECEIVER)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run([sys.executable, "-m", "obscode.cli_entry", "check", str(stack)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "warning: promtool is not on PATH, its check was skipped" in proc.stderr
    assert "apt-get install prometheus prometheus-alertmanager" in proc.stderr


def test_help_describes_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "check"):
        assert command in result.output
    gen = CliRunner().invoke(main, ["generate", "--help"])
    assert "--out" in gen.output and "--profile" in gen.output


MISSING_CLUSTER = '''
from obscode import *

def down(name):
    return AlertRule(alert=name, expr='up{cluster="a", job="api"} == 0', labels={"severity": "warning"},
                     annotations={"summary": "s", "description": "d"})

stack = Stack(
    name="many",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={"api": ["instrumentation-http"]},
    rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=[down("A"), down("B"), down("C"), down("D")])])],
)
'''


def test_findings_with_one_cause_are_reported_once(tmp_path: Path) -> None:
    stack = tmp_path / "many.py"
    stack.write_text(MISSING_CLUSTER)
    result = CliRunner().invoke(main, ["check", str(stack), "--no-tools"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith("many: error[catalog/label] prometheus/rules/r.yml: alert A (group g), field 'expr': "
                               'label cluster (matcher cluster="a" of up{cluster="a",job="api"}) does not exist there')
    assert lines[1].startswith("    label cluster is not emitted by job api: used in 4 places; "
                               "also prometheus/rules/r.yml: alert B (group g), field 'expr' (")
    assert "alert C (group g)" in lines[1] and lines[1].endswith("; and 1 more")
    assert "alert D" not in lines[1]
    assert "checked many: 4 error(s), 0 warning(s)" in result.stderr


def test_json_keeps_every_finding_of_a_group(tmp_path: Path) -> None:
    stack = tmp_path / "many.py"
    stack.write_text(MISSING_CLUSTER)
    payload = json.loads(CliRunner().invoke(main, ["check", str(stack), "--no-tools", "--format", "json"]).stdout)
    assert [p["object"] for p in payload] == [f"alert {n} (group g)" for n in "ABCD"]
    assert {p["group"] for p in payload} == {"many:catalog/label:error:label cluster is not emitted by job api"}
