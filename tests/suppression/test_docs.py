"""The examples of docs/suppression.md run and do what the page says."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from obscode.checks import Problem
from obscode.cli import main
from obscode.errors import SourceLocation
from obscode.suppression import Suppressor
from tests.conftest import ROOT

PAGE = (ROOT / "docs" / "suppression.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, re.S)


def test_inline_comment_example_suppresses_both_alerts(tmp_path: Path) -> None:
    example = _blocks("python")[0]
    stack = tmp_path / "legacy.py"
    stack.write_text(example + '''
stack = Stack(
    name="legacy",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={"api": ["instrumentation-http"]},
    rule_files=[RuleFile(name="legacy", groups=[legacy_alerts])],
)
''')
    result = CliRunner().invoke(main, ["check", str(stack), "--no-tools"])
    assert result.exit_code == 0, result.output
    assert "checked legacy: 0 error(s), 0 warning(s), 2 suppressed (2 by inline comment)" in result.stderr
    without = stack.read_text().replace("# obscode: ignore", "# was ignored")
    stack.write_text(without)
    assert CliRunner().invoke(main, ["check", str(stack), "--no-tools"]).exit_code == 1


def test_yaml_comment_example_covers_the_rule_below_it(tmp_path: Path) -> None:
    rules = tmp_path / "node.yml"
    rules.write_text(_blocks("yaml")[0])
    line = next(i for i, text in enumerate(rules.read_text().splitlines(), 1) if "- alert:" in text)
    finding = Problem("catalog/metric", "legacy", "prometheus/rules/node.yml", "alert NodeHighTemperature (group node)",
                      "m", source=SourceLocation(str(rules), line))
    from obscode import Stack

    assert Suppressor(Stack(name="legacy")).why(finding) == "inline comment"
