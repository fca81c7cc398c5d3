"""PromQL functions in rules follow the target: obscode accepts an expression for Prometheus
2.42 exactly when the real promtool 2.42 does (holt_winters yes, Prometheus 3's
double_exponential_smoothing and later functions no), and Prometheus 3 targets the other way."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from obscode import RecordingRule, RuleFile, RuleGroup, Stack
from obscode.errors import DefinitionError
from obscode.emit.prometheus import rule_file_data
from tests.conftest import require_tool

EXPRESSIONS = [
    "holt_winters(up[1h], 0.5, 0.5)", "double_exponential_smoothing(up[1h], 0.5, 0.5)",
    "present_over_time(up[5m])", "last_over_time(up[5m])", "group(up)", "sgn(up)", "histogram_count(up)",
    "histogram_fraction(0, 1, up)", "histogram_stddev(up)", "histogram_avg(up)", "mad_over_time(up[5m])",
    'sort_by_label(up, "job")', "limitk(2, up)", "limit_ratio(0.5, up)", "info(up)",
    "ts_of_max_over_time(up[5m])", "first_over_time(up[5m])", "up @ start()", "up offset -5m",
]


def stack(expr: str, version: str = "2.42") -> Stack:
    group = RuleGroup(name="g", rules=[RecordingRule(record="r", expr=expr)])
    return Stack(name="s", prometheus_version=version, rule_files=[RuleFile(name="f", groups=[group])])


def obscode_accepts(expr: str, version: str = "2.42") -> bool:
    try:
        stack(expr, version)
    except DefinitionError:
        return False
    return True


def promtool_accepts(expr: str, tmp_path: Path) -> bool:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "r", "expr": expr}]}]}))
    proc = subprocess.run([require_tool("promtool"), "check", "rules", str(path)],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode == 0


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_function_accepted_for_2_42_exactly_when_promtool_2_42_accepts_it(expr: str, tmp_path: Path) -> None:
    assert obscode_accepts(expr) is promtool_accepts(expr, tmp_path)


def test_holt_winters_is_written_as_the_user_wrote_it() -> None:
    rendered = rule_file_data(stack("holt_winters(up[1h], 0.5, 0.5)").rule_files[0])
    assert rendered["groups"][0]["rules"][0]["expr"] == "holt_winters(up[1h], 0.5, 0.5)"


def test_prometheus_3_target_refuses_holt_winters_and_takes_its_new_name() -> None:
    with pytest.raises(DefinitionError) as caught:
        stack("holt_winters(up[1h], 0.5, 0.5)", "3.0")
    assert str(caught.value).startswith(
        "recording rule r in rule group g in rule file f, field 'expr': PromQL function holt_winters is gone from "
        "Prometheus 3.0 on (holt_winters is now called double_exponential_smoothing and moves behind the "
        "experimental-promql-functions feature flag #14930); the stack targets 3.0 (prometheus_version)")
    assert obscode_accepts("double_exponential_smoothing(up[1h], 0.5, 0.5)", "3.0")


def test_a_newer_function_names_the_release_and_the_feature_flag() -> None:
    with pytest.raises(DefinitionError) as caught:
        stack("limitk(2, up)")
    assert ("field 'expr': PromQL function limitk needs Prometheus >= 2.54 (with "
            "--enable-feature=promql-experimental-functions); the stack targets 2.42") in str(caught.value)
