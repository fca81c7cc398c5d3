"""The generated Quantis configuration passes the real promtool and amtool, and the
seed's alerts fire on the right series in `promtool test rules`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from obscode.cli import main
from tests.conftest import ROOT, require_tool

HERE = Path(__file__).parent
QUANTIS = ROOT / "generated" / "quantis"


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


def test_obscode_check_passes_with_real_tools(in_project: Path) -> None:
    require_tool("promtool")
    require_tool("amtool")
    result = CliRunner().invoke(main, ["check", "quantis"])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_promtool_accepts_every_rule_file() -> None:
    promtool = require_tool("promtool")
    rules = sorted((QUANTIS / "prometheus" / "rules").glob("*.yml"))
    assert len(rules) == 2
    proc = _run(promtool, "check", "rules", *map(str, rules))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 3 rules found" in proc.stdout


def test_amtool_accepts_alertmanager_config() -> None:
    amtool = require_tool("amtool")
    proc = _run(amtool, "check-config", str(QUANTIS / "alertmanager" / "alertmanager.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 receivers" in proc.stdout and "1 inhibit rules" in proc.stdout


def test_promtool_accepts_prometheus_config_without_kubernetes_job(tmp_path: Path) -> None:
    """Debian's promtool 2.42 is built without Kubernetes discovery, so the kubernetes job is
    checked by the typed model and the rest of the file by promtool."""
    promtool = require_tool("promtool")
    shutil.copytree(QUANTIS / "prometheus", tmp_path / "prometheus")
    from obscode.tools import _without_kubernetes_sd

    copy, dropped = _without_kubernetes_sd(tmp_path / "prometheus" / "prometheus.yml")
    assert dropped == ["kubernetes"]
    proc = _run(promtool, "check", "config", copy.name, cwd=copy.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_seed_alerts_fire_on_the_right_series(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    for rule_file in (QUANTIS / "prometheus" / "rules").glob("*.yml"):
        shutil.copy(rule_file, tmp_path)
    shutil.copy(HERE / "quantis_rules_test.yml", tmp_path)
    proc = _run(promtool, "test", "rules", "quantis_rules_test.yml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_promtool_rules_test_catches_a_wrong_expectation(tmp_path: Path) -> None:
    """The rules test can fail: expecting the quiet node to alert is reported."""
    promtool = require_tool("promtool")
    for rule_file in (QUANTIS / "prometheus" / "rules").glob("*.yml"):
        shutil.copy(rule_file, tmp_path)
    text = (HERE / "quantis_rules_test.yml").read_text().replace('instance: "busy:9100"}', 'instance: "quiet:9100"}')
    (tmp_path / "quantis_rules_test.yml").write_text(text)
    proc = _run(promtool, "test", "rules", "quantis_rules_test.yml", cwd=tmp_path)
    assert proc.returncode != 0
    assert "HighCpuUsage" in proc.stdout + proc.stderr
