"""The generated Quantis configuration passes the real promtool and amtool, and the
seed's alerts fire on the right series in `promtool test rules`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
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
    from stacks.quantis import stack

    # Every rule file of the stack: the hand-written ones (one per monitoring area) and one per SLO.
    assert [p.stem for p in rules] == sorted(f.name for f in stack.rule_files)
    assert len(rules) == 14
    proc = _run(promtool, "check", "rules", *map(str, rules))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 3 rules found" in proc.stdout


def test_amtool_accepts_alertmanager_config() -> None:
    amtool = require_tool("amtool")
    proc = _run(amtool, "check-config", str(QUANTIS / "alertmanager" / "alertmanager.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 receivers" in proc.stdout and "4 inhibit rules" in proc.stdout  # the seed's and one per SLO


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


def _generated() -> dict[str, bytes]:
    return {str(path.relative_to(QUANTIS)): path.read_bytes() for path in sorted(QUANTIS.rglob("*")) if path.is_file()}


def test_every_quantis_alert_is_tested() -> None:
    """Each alert is named by an AlertTest of stacks/quantis/alert_tests.py or has a
    synthesised test in the generated tree."""
    from obscode.alert_tests.synthesis import FIRES
    from stacks.quantis import stack

    files = _generated()
    synthesised = yaml.safe_load(files["prometheus/tests/synthesised.yml"])["tests"]
    covered = {name for test in stack.alert_tests for name in test.alertnames()}
    # "<alert>: fires after for", or "<alert> (2 of 2): ..." when several rules share the name
    covered |= {re.sub(r" \(\d+ of \d+\)$", "", group["name"].removesuffix(FIRES))
                for group in synthesised if group["name"].endswith(FIRES)}
    alerts = {alert.alert for _file, alert in stack.alerts()}
    assert alerts and alerts <= covered, alerts - covered


def test_generated_alert_tests_pass_in_promtool() -> None:
    require_tool("promtool")
    from obscode.alert_tests.run import run_alert_tests
    from stacks.quantis import stack

    files = _generated()
    written = {p for p in files if p.startswith("prometheus/tests/") and "/slo-" not in p}
    # one file per AlertTest of stacks/quantis/alert_tests.py, and the synthesised tests with their rules
    own = {f"prometheus/tests/{test.name}.yml" for test in stack.alert_tests if not test.name.startswith("slo-")}
    # and, for a test that loads only its own rules, the copy of them beside it
    own |= {f"prometheus/tests/rules/{test.name}.yml" for test in stack.alert_tests
            if test.rules is not None and not test.name.startswith("slo-")}
    assert written == own | {"prometheus/tests/rules/synthesised.yml", "prometheus/tests/synthesised.yml"}
    assert {"prometheus/tests/disk-space-low.yml", "prometheus/tests/high-http-error-ratio.yml"} <= written
    # and two proofs per burn-rate tier of each SLO, each with the copy of its rules
    proofs = {p for p in files if p.startswith("prometheus/tests/slo-")}
    assert len(proofs) == 2 * sum(len(slo.tiers) for slo in stack.slos)
    assert run_alert_tests("quantis", files, stack) == []


def test_a_wrong_expectation_fails_with_the_test_alert_time_and_line(in_project: Path) -> None:
    """Expecting the quiet node to alert is reported on the AlertTest that says so."""
    require_tool("promtool")
    from obscode.alert_tests.run import run_alert_tests
    from stacks.quantis import stack

    files = _generated()
    test = files["prometheus/tests/high-cpu.yml"].decode()
    files["prometheus/tests/high-cpu.yml"] = test.replace("instance: busy:9100", "instance: quiet:9100").encode()
    found = run_alert_tests("quantis", files, stack)
    assert len(found) == 1, found
    problem = found[0]
    assert (problem.check, problem.file, problem.obj) == (
        "tools/promtool-test", "prometheus/tests/high-cpu.yml", "alert test high-cpu")
    assert problem.message.startswith("alert HighCpuUsage at eval_time 12m: promtool: exp:[ 0: Labels:{")
    assert 'instance="quiet:9100"' in problem.message and 'got:[ 0: Labels:{' in problem.message
    assert str(problem.source).startswith("stacks/quantis/alert_tests.py:")
