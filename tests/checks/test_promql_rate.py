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


def _recorded(expr: str, record: str = "job:x:y") -> list[str]:
    rule = RecordingRule(record=record, expr=expr)
    return messages(CHECK, stack([alert(f"rate({record}[5m]) > 0")], records=[rule]))


RECORDED_GAUGES = [
    ("a ratio", 'sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))',
     "a division returns a gauge"),
    ("a rate", "sum by (job) (rate(http_requests_total[5m]))", "rate() returns a gauge"),
    ("a gauge", "sum by (job) (http_requests_in_progress)", "http_requests_in_progress is a gauge"),
    ("a count", "count by (job) (up)", "count() returns a gauge"),
    ("a quantile", "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
     "histogram_quantile() returns a gauge"),
    ("a difference of counters", "http_requests_total - model_predictions_total", "arithmetic returns a gauge"),
]

RECORDED_COUNTERS = [
    ("a counter", "http_requests_total"),
    ("a sum of counters", "sum by (job) (http_requests_total)"),
    ("a max of counters", "max by (job) (model_predictions_total)"),
    ("a counter scaled", "http_requests_total * 8"),
    ("buckets summed by le", "sum by (le) (http_request_duration_seconds_bucket)"),
    ("a sum of two counters", "http_requests_total + model_predictions_total"),
    ("a counter relabelled", 'label_replace(http_requests_total, "service", "$1", "job", "(.*)")'),
    ("unknown type: an average of counters", "avg by (job) (http_requests_total)"),
    ("unknown type: a metric no catalog lists", "sum by (job) (unknown_things)"),
]


@pytest.mark.parametrize(("expr", "why"), [c[1:] for c in RECORDED_GAUGES], ids=[c[0] for c in RECORDED_GAUGES])
def test_rate_over_a_recorded_gauge_fails(expr: str, why: str) -> None:
    found = _recorded(expr)
    assert len(found) == 1, found
    assert (f"rate() over job:x:y, which recording rule job:x:y records as a gauge ({why}), not a counter: rate() "
            "treats every drop as a counter reset; apply rate() to the counter the rule reads, or use deriv() "
            "(in job:x:y{}[5m])") in found[0]


@pytest.mark.parametrize("expr", [c[1] for c in RECORDED_COUNTERS], ids=[c[0] for c in RECORDED_COUNTERS])
def test_rate_over_a_recorded_counter_or_unknown_passes(expr: str) -> None:
    assert _recorded(expr) == []


def test_a_recorded_series_keeps_type_recorded_and_gains_recorded_type() -> None:
    from obscode.catalog_index import StackCatalog

    s = stack(records=[RecordingRule(record="job:a:sum", expr="sum by (job) (http_requests_total)"),
                       RecordingRule(record="job:b:rate5m", expr="rate(job:a:sum[5m])"),
                       RecordingRule(record="job:c:avg", expr="avg(job:a:sum)")])
    catalog = StackCatalog(s)
    assert [(catalog.lookup(n).type, catalog.lookup(n).recorded_type) for n in ("job:a:sum", "job:b:rate5m", "job:c:avg")] \
        == [("recorded", "counter"), ("recorded", "gauge"), ("recorded", "untyped")]


def test_a_rule_reading_a_rule_defined_after_it_gets_its_type() -> None:
    later = RecordingRule(record="job:a:sum", expr="sum by (job) (rate(http_requests_total[5m]))")
    reader = RecordingRule(record="job:a:max", expr="max by (job) (job:a:sum)")
    found = messages(CHECK, stack([alert("rate(job:a:max[5m]) > 0")], records=[reader, later]))
    assert len(found) == 1 and "records as a gauge (rate() returns a gauge)" in found[0]
