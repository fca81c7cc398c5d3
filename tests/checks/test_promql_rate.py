"""promql/rate: rate/irate/increase only over counters, over at least two scrape intervals."""

from __future__ import annotations

import pytest

from obscode import RecordingRule, RuleFile, RuleGroup
from tests.catalog.helpers import alert, dashboard, messages, stack

CHECK = "promql/rate"

PASSING = [
    ("counter, 4x the 5s api interval", "rate(http_requests_total[20s])"),
    ("histogram bucket", "sum by (le) (rate(http_request_duration_seconds_bucket[5m]))"),
    ("histogram sum and count", "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])"),
    ("increase", "increase(model_predictions_total[1h])"),
    ("exactly twice the 15s node interval", "irate(node_cpu_seconds_total[30s])"),
    ("job matcher narrows to the 5s job", 'rate(http_requests_total{job="api"}[10s])'),
    ("subquery of a counter", "rate(http_requests_total[5m:1m])"),
    ("deriv over a gauge is not rate", "deriv(model_drift_score[5m])"),
]

FAILING = [
    ("rate over a gauge", "rate(model_drift_score[5m])",
     "rate() over model_drift_score, which is a gauge, not a counter", "use deriv()"),
    ("increase over a gauge", "increase(http_requests_in_progress[5m])",
     "increase() over http_requests_in_progress, which is a gauge", "use delta()"),
    ("range shorter than two node scrapes", "rate(node_cpu_seconds_total[20s])",
     "rate() over [20s] of node_cpu_seconds_total, written by job(s) node every 15s", "use [1m] or more"),
    ("model_service writes every 10s; api's 5s does not help without job matcher",
     "rate(http_requests_total[15s])", "written by job(s) api, model_service every 10s", "at least [20s]"),
]


@pytest.mark.parametrize("expr", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(expr: str) -> None:
    assert messages(CHECK, stack([alert(expr + " > 0")])) == []


@pytest.mark.parametrize(("expr", "expected", "hint"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_fails(expr: str, expected: str, hint: str) -> None:
    found = messages(CHECK, stack([alert(expr + " > 0")]))
    assert len(found) == 1, found
    assert expected in found[0] and hint in found[0]
    assert "error[promql/rate] prometheus/rules/rules.yml: alert A (group g), field 'expr'" in found[0]


def test_grafana_rate_interval_is_not_range_checked() -> None:
    assert messages(CHECK, stack(), dashboard(("rate(node_cpu_seconds_total[$__rate_interval])", None))) == []


def test_dashboard_short_range_names_panel() -> None:
    found = messages(CHECK, stack(), dashboard(("rate(node_cpu_seconds_total[15s])", None)))
    assert len(found) == 1 and 'panel "P0" target A' in found[0]


def test_recording_rule_output_range_uses_group_interval() -> None:
    group = RuleGroup(name="slow", interval="1m", rules=[
        RecordingRule(record="job:http_requests:sum", expr="sum by (job) (http_requests_total)")])
    s = stack([alert("rate(job:http_requests:sum[1m]) > 0")])
    s.rule_files.append(RuleFile(name="records", groups=[group]))
    found = messages(CHECK, s)
    assert len(found) == 1 and "written by rule evaluation every 1m" in found[0]


def test_second_grafana_range_variable_is_not_range_checked_either() -> None:
    files = dashboard(("rate(node_cpu_seconds_total[$__rate_interval])", None),
                      ("rate(node_cpu_seconds_total[$__interval])", None))
    assert messages(CHECK, stack(), files) == []


def test_range_over_a_job_of_a_prometheus_configured_elsewhere_is_not_checked() -> None:
    # prometheus/dashboards: rate(...[1m]) is fine at the 15s interval the mixin expects;
    # a stack without Prometheus configuration does not know the job's interval.
    rules_only = stack([alert("rate(node_cpu_seconds_total[20s]) > 0")], prometheus=None)
    assert messages(CHECK, rules_only) == []
