"""`obscode routes` agrees with Alertmanager's own router (`amtool config routes test`) for
every Quantis alert and for a tree with continue, nesting, regexes and negative matchers."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from click.testing import CliRunner

from obscode.cli import main
from tests.conftest import ROOT, require_tool


def _amtool(config: Path, labels: dict[str, str]) -> list[str]:
    amtool = require_tool("amtool")
    proc = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config}",
                           *[f"{k}={v}" for k, v in sorted(labels.items())]],
                          capture_output=True, text=True, timeout=60, check=True)
    return proc.stdout.strip().split(",")


def _routes(*args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["routes", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_every_quantis_alert_reaches_what_amtool_says(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    config = ROOT / "generated/quantis/alertmanager/alertmanager.yml"
    report = _routes("quantis")
    names = {row["alert"] for row in report}
    from obscode.loader import load

    assert names == {alert.alert for _f, alert in load("quantis").stack.alerts()}
    for row in report:
        assert all(d["certain"] for d in row["receivers"]), row
        ours = [d["receiver"] for d in row["receivers"]]
        assert ours == _amtool(config, row["labels"]), row["alert"]


def test_text_table_names_each_alert_and_its_receivers(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["routes", "quantis"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["stack", "alert", "labels", "routes", "read", "receivers"]
    service_down = next(line for line in lines if " ServiceDown " in line)
    assert service_down.rstrip().endswith("pager")
    assert "severity=critical" in service_down


TREE_STACK = '''
from obscode import *

RULES = [
    AlertRule(alert=name, expr="up == 0", labels=labels, annotations={"summary": "s", "description": "d"})
    for name, labels in [
        ("A", {"severity": "critical", "team": "db"}),
        ("B", {"severity": "warning", "team": "db"}),
        ("C", {"severity": "critical", "team": "web"}),
        ("D", {"severity": "info", "team": "web", "env": "staging"}),
        ("E", {"severity": "warning"}),
    ]
]
stack = Stack(
    name="tree",
    rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=RULES)])],
    prometheus=PrometheusConfig(scrape_configs=[
        ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={"api": ["node-exporter"]},
    alertmanager=AlertmanagerConfig(
        route=Route(receiver="default", routes=[
            Route(matchers=['severity=~"critical|warning"'], receiver="oncall", continue_=True, routes=[
                Route(matchers=['team="db"'], receiver="db"),
                Route(matchers=['team!="db"', 'severity="critical"'], receiver="pager"),
            ]),
            Route(matchers=['env="staging"'], receiver="staging"),
            Route(matchers=['team=~"w.*"'], receiver="web", continue_=True),
            Route(matchers=['severity!~"info"'], receiver="rest"),
        ]),
        receivers=[Receiver(name=n, webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/" + n)])
                   for n in ["default", "oncall", "db", "pager", "staging", "web", "rest"]],
    ),
)
'''


def test_nested_tree_with_continue_and_regexes_agrees_with_amtool(tmp_path: Path) -> None:
    stack = tmp_path / "tree.py"
    stack.write_text(textwrap.dedent(TREE_STACK))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", "--no-checks", str(stack), "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = out / "tree/alertmanager/alertmanager.yml"
    report = _routes(str(stack))
    assert len(report) == 5
    for row in report:
        assert [d["receiver"] for d in row["receivers"]] == _amtool(config, row["labels"]), row["alert"]


def test_a_stack_without_alertmanager_is_a_usage_error(tmp_path: Path) -> None:
    stack = tmp_path / "bare.py"
    stack.write_text("from obscode import *\nstack = Stack(name='bare')\n")
    result = CliRunner().invoke(main, ["routes", str(stack)])
    assert result.exit_code == 2
    assert "stack bare has no alertmanager configuration" in result.output
