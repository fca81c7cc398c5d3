"""Synthesised alert tests: every simple shape gets a test that the real promtool passes,
and that fails when the alert's threshold, `for` or labels change under it."""

from __future__ import annotations

import pytest
import yaml

from obscode.alert_tests.run import run_alert_tests
from obscode.alert_tests.synthesis import synthesise
from obscode.emit import render
from obscode.model.rules import AlertRule
from tests.catalog.helpers import alert, stack
from tests.conftest import require_tool

SYNTHESISED = "prometheus/tests/synthesised.yml"
RULES = "prometheus/tests/rules/synthesised.yml"  # the alerts under test

SHAPES = [
    ("gauge selector", "http_requests_in_progress > 10", {}),
    ("selector with == 0", 'up{job="api"} == 0', {"summary": "{{ $labels.job }} on {{ $labels.instance }} is down"}),
    ("selector with != 1", 'up{job="node"} != 1', {}),
    ("threshold on the left", "10 < http_requests_in_progress", {}),
    ("value in the annotation", "model_drift_score >= 0.3",
     {"summary": "drift {{ $value }} on {{ $labels.feature_name }}"}),
    ("rate with a regex matcher", 'rate(http_requests_total{status=~"5.."}[5m]) > 0.5',
     {"summary": "{{ $labels.path }} returns errors"}),
    ("irate below, without", 'avg without (cpu) (irate(node_cpu_seconds_total{mode="idle"}[1m])) < 0.2', {}),
    ("increase below", "increase(model_predictions_total[1h]) < 10", {}),
    ("ratio of sums of rates", 'sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))'
                               ' / sum by (job) (rate(http_requests_total[5m])) > 0.05',
     {"summary": "{{ $labels.job }} returns errors"}),
    ("ratio of two counters", "rate(model_absolute_error_total[10m]) / rate(model_absolute_actual_total[10m]) > 0.2",
     {"summary": "WAPE of {{ $labels.model_id }} {{ $labels.model_version }}"}),
    ("ratio with on", "sum by (model_id) (rate(model_absolute_error_total[10m]))"
                      " / on (model_id) sum by (model_id) (rate(model_absolute_actual_total[10m])) < 0.5", {}),
    ("histogram_quantile above", "histogram_quantile(0.99, sum by (le, path) "
                                 "(rate(http_request_duration_seconds_bucket[5m]))) > 1",
     {"summary": "p99 of {{ $labels.path }}"}),
    ("histogram_quantile below, no aggregation", "histogram_quantile(0.5, "
                                                 "rate(model_prediction_latency_seconds_bucket[10m])) < 0.01", {}),
    ("percent of a ratio", 'sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))'
                           ' / sum by (job) (rate(http_requests_total[5m])) * 100 > 5', {}),
    ("quantile in milliseconds", "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
                                 " * 1000 > 300", {}),
    ("a number times a gauge, below", "100 * model_drift_score < 30", {"summary": "{{ $labels.feature_name }}"}),
    ("free percent", "100 - sum without (cpu) (model_prediction_interval_coverage) * 100 >= 80", {}),
    ("gauge ratio with clamp_min", "100 * sum by (model_id) (model_drift_score) / clamp_min(sum by (model_id) "
                                   "(model_feature_importance), 1) > 50", {}),
    ("part over a clamped whole", 'sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))'
                                  ' / clamp_min(sum by (job) (rate(http_requests_total[5m])), 1) > 0.1', {}),
    ("scaled inside an aggregation", "max without (model_version) (rate(model_predictions_total[5m]) * 60) > 30", {}),
    ("absent", 'absent(up{job="api"})', {"summary": "{{ $labels.job }} is gone"}),
    ("absent of a comparison", 'absent(up{job="api"} == 1)', {}),
    ("absent_over_time", 'absent_over_time(http_requests_in_progress{job="api"}[10m])', {}),
    ("series present", 'model_drift_detected{model_id="m1"}', {"summary": "{{ $labels.model_id }} {{ $value }}"}),
    ("series present under max", "max by (model_id) (model_drift_detected)", {}),
    ("max without grouping", "max(model_drift_score) > 0.5", {}),
    ("rate equal to 0", 'rate(model_predictions_total[10m]) == 0', {"summary": "{{ $labels.model_id }} is idle"}),
    ("negative matcher", 'min by (instance) (node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}) < 1e9', {}),
]


def _alert(expr: str, annotations: dict[str, str], for_: str | None = "5m", **kw: object) -> AlertRule:
    return alert(expr, name="Shape", annotations=annotations or {"summary": "s"}, for_=for_, **kw)


def _synthesised(rule: AlertRule) -> tuple[object, dict[str, bytes]]:
    the_stack = stack([rule])
    files = render(the_stack)
    assert SYNTHESISED in files, synthesise(the_stack).skipped
    return the_stack, files


@pytest.mark.parametrize(("expr", "annotations"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_promtool_passes_the_synthesised_test(expr: str, annotations: dict[str, str]) -> None:
    require_tool("promtool")
    the_stack, files = _synthesised(_alert(expr, annotations))
    assert run_alert_tests("t", files, the_stack) == []


@pytest.mark.parametrize(("expr", "annotations"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_the_synthesised_test_fails_when_for_is_longer(expr: str, annotations: dict[str, str]) -> None:
    """The alert must fire right after `for`: a rule that waits longer fails the test."""
    require_tool("promtool")
    the_stack, files = _synthesised(_alert(expr, annotations))
    slower = render(stack([_alert(expr, annotations, for_="20m")]))
    files = {**files, RULES: slower[RULES]}
    found = run_alert_tests("t", files, the_stack)
    assert found and all(p.check == "tools/promtool-test" for p in found)
    assert "alert Shape at eval_time " in found[0].message and "got:[]" in found[0].message


@pytest.mark.parametrize(("expr", "annotations"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_the_synthesised_test_fails_when_the_alert_fires_early(expr: str, annotations: dict[str, str]) -> None:
    """Nothing may fire before `for`: a rule without `for` fails the test's early check."""
    require_tool("promtool")
    the_stack, files = _synthesised(_alert(expr, annotations))
    eager = render(stack([_alert(expr, annotations, for_=None)]))
    files = {**files, RULES: eager[RULES]}
    messages = [p.message for p in run_alert_tests("t", files, the_stack)]
    assert any(m.startswith("alert Shape at eval_time ") and "exp:[], got:[ 0:" in m for m in messages), messages


def test_keep_firing_for_after_the_window_fills_is_waited_out() -> None:
    """A rate is low while its window fills, so `< t` may fire early; keep_firing_for holds it."""
    require_tool("promtool")
    rule = _alert("rate(http_requests_total[10m]) < 1", {}, for_="1m", keep_firing_for="20m")
    the_stack, files = _synthesised(rule)
    assert run_alert_tests("t", files, the_stack) == []


def test_absent_expects_the_labels_of_the_selectors_equality_matchers() -> None:
    rule = _alert('absent(up{job="api", instance=~"api.*"})', {"summary": "{{ $labels.job }}"})
    groups = synthesise(stack([rule])).tests[0].groups
    assert groups[0]["input_series"] == []
    assert groups[0]["alert_rule_test"][-1]["exp_alerts"] == [
        {"exp_labels": {"job": "api", "severity": "warning"}, "exp_annotations": {"summary": "api"}}]
    assert groups[1]["input_series"] == [{"series": 'up{instance="api:8000", job="api"}', "values": "1x25"}]


def test_a_presence_alert_is_quiet_on_a_series_its_matchers_leave_out() -> None:
    groups = synthesise(stack([_alert('model_drift_detected{model_id="m1"}', {})])).tests[0].groups
    assert groups[1]["input_series"][0]["series"].startswith('model_drift_detected{instance="model:8001", '
                                                             'job="model_service", model_id="not-m1"')


def _pair(expr: str, warning: float, critical: float, value: str = "{{ $value }}") -> list[AlertRule]:
    return [alert(f"{expr} > {warning}", name="Drift", severity="warning", for_="5m",
                  annotations={"summary": f"drift {value} above {warning}"}),
            alert(f"{expr} > {critical}", name="Drift", severity="critical", for_="1m",
                  annotations={"summary": f"drift {value} above {critical}"})]


def test_a_warning_and_critical_pair_expects_both_where_both_fire() -> None:
    require_tool("promtool")
    the_stack = stack(_pair("model_drift_score", 0.3, 0.5))
    result = synthesise(the_stack)
    assert [g["name"] for t in result.tests for g in t.groups] == [
        "Drift (1 of 2): fires after for", "Drift (1 of 2): quiet on the safe side",
        "Drift (2 of 2): fires after for", "Drift (2 of 2): quiet on the safe side"]
    critical_fires = result.tests[1].groups[0]["alert_rule_test"]
    assert [[a["exp_labels"]["severity"] for a in c["exp_alerts"]] for c in critical_fires] == [[], ["critical"]]
    assert run_alert_tests("t", render(the_stack), the_stack) == []


def test_a_pair_on_a_window_is_skipped() -> None:
    result = synthesise(stack(_pair("rate(model_predictions_total[5m])", 1, 2, value="")))
    assert result.tests == [] and "2 rules are named Drift and their value side reads a window" in result.skipped[0].reason


def test_two_absent_rules_with_one_name_are_skipped() -> None:
    rules = [alert('absent(up{job="api"})', name="Gone"), alert('absent(up{job="node"})', name="Gone")]
    result = synthesise(stack(rules))
    assert result.tests == [] and [s.reason for s in result.skipped] == ["2 rules are named Gone: write an AlertTest"] * 2


def test_a_failure_of_a_pair_names_its_alert_and_line() -> None:
    require_tool("promtool")
    the_stack = stack(_pair("model_drift_score", 0.3, 0.5))
    files = render(the_stack)
    files["prometheus/tests/synthesised.yml"] = files["prometheus/tests/synthesised.yml"].replace(
        b"severity: critical", b"severity: page")
    found = run_alert_tests("t", files, the_stack)
    assert found and found[0].obj == "synthesised test 'Drift (2 of 2): fires after for'"
    assert found[0].source is not None and found[0].source.file.endswith("helpers.py")


def test_series_on_the_safe_side_do_not_fire() -> None:
    """The quiet group sits just below the threshold: lowering the threshold under it fails it."""
    require_tool("promtool")
    the_stack, files = _synthesised(_alert("http_requests_in_progress > 10", {}))
    lower = render(stack([_alert("http_requests_in_progress > 8", {})]))
    files = {**files, RULES: lower[RULES]}
    found = run_alert_tests("t", files, the_stack)
    assert len(found) == 1
    assert found[0].obj == "synthesised test 'Shape: quiet on the safe side'"
    assert "exp:[]" in found[0].message and 'Labels:{alertname="Shape"' in found[0].message


def test_values_sit_ten_percent_either_side_of_the_threshold() -> None:
    groups = synthesise(stack([_alert("http_requests_in_progress > 10", {})])).tests[0].groups
    assert [g["input_series"][0]["values"] for g in groups] == ["11x24", "9x24"]
    assert groups[0]["input_series"][0]["series"] == 'http_requests_in_progress{instance="api:8000", job="api", method="method-1"}'


def test_expected_labels_are_the_kept_labels_under_the_alert_labels() -> None:
    rule = _alert('sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) > 1', {"summary": "{{ $labels.job }}"},
                  labels={"team": "web"})
    groups = synthesise(stack([rule])).tests[0].groups
    expected = groups[0]["alert_rule_test"][-1]["exp_alerts"][0]
    assert expected == {"exp_labels": {"job": "api", "severity": "warning", "team": "web"},
                        "exp_annotations": {"summary": "api"}}


def test_the_tests_read_a_copy_of_just_the_alerts_under_test() -> None:
    """promtool evaluates every loaded rule at every step: the tests load only their alerts."""
    rules = [_alert("http_requests_in_progress > 10", {}), alert("up == 0", name="Down", for_="1m"),
             alert("(up - up) > 1", name="NotSimple")]
    files = render(stack(rules))
    data = yaml.safe_load(files[SYNTHESISED])
    assert data["rule_files"] == ["rules/synthesised.yml"] and data["evaluation_interval"] == "15s"
    copy = yaml.safe_load(files[RULES])
    original = yaml.safe_load(files["prometheus/rules/rules.yml"])
    assert copy == {"groups": [{"name": "g", "rules": original["groups"][0]["rules"][:2]}]}
    assert "# Not synthesised: NotSimple: the value side is not a selector" in files[SYNTHESISED].decode()


SKIPPED = [
    ("a rate with no comparison", "rate(http_requests_total[5m])", {}, "not a comparison with a threshold"),
    ("absent of a rate", "absent(rate(http_requests_total[5m]))", {}, "absent() of something other than a selector"),
    ("arithmetic", "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / node_memory_MemTotal_bytes > 0.9",
     {}, "the value side is not a selector"),
    ("clamp that changes the value", "clamp_max(http_requests_in_progress, 5) > 10", {},
     "clamp_max(..., 5) would change the value the test needs"),
    ("count", "count(up) > 3", {}, "aggregation count"),
    ("bool", "up == bool 0", {}, "bool"),
    ("humanize", "http_requests_in_progress > 10", {"summary": "{{ $value | humanize }}"},
     "the template action {{ $value | humanize }} is not one obscode renders"),
    ("dropped label in a template", "sum(http_requests_in_progress) > 10", {"summary": "{{ $labels.method }}"},
     "reads label 'method', which the alert's expression does not keep"),
    ("part over whole without sum", 'rate(http_requests_total{status=~"5.."}[5m])'
                                    ' / ignoring (status) rate(http_requests_total[5m]) > 0.05', {}, "without sum()"),
    ("negative rate", "rate(http_requests_total[5m]) < 0", {}, "negative"),
    ("$value of a rate", "rate(http_requests_total[5m]) > 1", {"summary": "{{ $value }}"}, "prints $value"),
    ("rate equal to a number", "rate(http_requests_total[5m]) == 2", {}, "other than 0"),
    ("recording rule", "job:up:sum < 1", {}, "reads recording rule job:up:sum"),
    ("regex in RE2-only syntax", 'up{job=~"[[:alpha:]]+"} == 0', {},
     'no value of label job is known to satisfy job=~"[[:alpha:]]+"'),
    ("conflicting matchers", 'http_requests_total{status="500"} / http_requests_total{status="200"} > 0.5', {},
     'no value of label status is known to satisfy status="500", status="200"'),
]


@pytest.mark.parametrize(("expr", "annotations", "reason"), [s[1:] for s in SKIPPED], ids=[s[0] for s in SKIPPED])
def test_other_shapes_are_skipped_with_the_reason(expr: str, annotations: dict[str, str], reason: str) -> None:
    from obscode import RecordingRule

    records = [RecordingRule(record="job:up:sum", expr="sum by (job) (up)")]
    result = synthesise(stack([_alert(expr, annotations)], records=records))
    assert result.tests == [] and len(result.skipped) == 1
    assert reason in result.skipped[0].reason, result.skipped[0].reason


def test_an_alert_named_by_an_alert_test_is_not_synthesised() -> None:
    from obscode import AlertExpectation, AlertTest

    test = AlertTest(name="mine", alert_rule_test=[AlertExpectation(eval_time="1m", alertname="Shape")])
    result = synthesise(stack([_alert("http_requests_in_progress > 10", {})], alert_tests=[test]))
    assert result.tests == [] and result.skipped == []


def test_synthesis_can_be_turned_off() -> None:
    files = render(stack([_alert("http_requests_in_progress > 10", {})], synthesise_alert_tests=False))
    assert not any(path.startswith("prometheus/tests/") for path in files)
