"""catalog/metric: every selected metric exists in a catalog the stack uses."""

from __future__ import annotations

import pytest

from obscode import RecordingRule
from tests.catalog.helpers import alert, dashboard, messages, problems, stack

CHECK = "catalog/metric"

PASSING = [
    ("instrumented counter", "rate(http_requests_total[5m])"),
    ("histogram bucket", "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"),
    ("histogram count", "rate(http_request_duration_seconds_count[5m])"),
    ("model gauge", 'model_prediction_error{metric_type="mape"}'),
    ("node exporter", 'rate(node_cpu_seconds_total{mode="idle"}[5m])'),
    ("prometheus synthetic up", "up == 0"),
    ("synthetic scrape series", "scrape_duration_seconds > 1"),
    ("ALERTS", 'ALERTS{alertstate="firing"}'),
    ("job matcher naming a providing job", 'http_requests_total{job="model_service"}'),
    ("__name__ matcher", '{__name__="up"}'),
    ("recording rule output", "job:http_requests:rate5m > 1"),
]

FAILING = [
    ("misspelt counter", "rate(http_request_total[5m])", "did you mean http_requests_total?"),
    ("counter without _total", "rate(http_requests[5m])",
     "counters are exposed with _total: http_requests_total"),
    ("bare histogram name", "http_request_duration_seconds",
     "it is a histogram, query http_request_duration_seconds_bucket"),
    ("unknown metric, nothing close", "totally_unrelated_thing",
     "add the catalog of the job that emits it"),
    ("metric from another job", 'node_load1{job="api"}',
     "node_load1 is not emitted by job 'api'"),
    ("OTel name before unit translation", "rate(model_prediction_latency_bucket[5m])",
     "did you mean model_prediction_latency_seconds_bucket?"),
]


def _stack(expr: str):
    record = RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))")
    return stack([alert(expr)], records=[record])


@pytest.mark.parametrize("expr", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_alert_passes(expr: str) -> None:
    assert messages(CHECK, _stack(expr)) == []


@pytest.mark.parametrize(("expr", "expected"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_alert_fails_with_suggestion(expr: str, expected: str) -> None:
    found = messages(CHECK, _stack(expr))
    assert len(found) == 1, found
    assert expected in found[0]
    assert found[0].startswith("t: error[catalog/metric] prometheus/rules/rules.yml: alert A (group g), field 'expr'")


@pytest.mark.parametrize(("expr", "expected"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_dashboard_target_fails_naming_panel_and_ref(expr: str, expected: str) -> None:
    found = messages(CHECK, stack(), dashboard((expr, None), uid="api-performance"))
    assert len(found) == 1, found
    assert 'grafana/dashboards/api-performance.json: dashboard api-performance panel "P0" target A' in found[0]
    assert expected in found[0]


def test_grafana_variables_are_substituted_before_lookup() -> None:
    files = dashboard(('sum by (path) (rate(http_requests_total{job="$job"}[$__rate_interval]))', "{{path}}"))
    assert messages(CHECK, stack(), files) == []


def test_panel_query_that_does_not_parse_is_reported_as_unchecked() -> None:
    found = messages(CHECK, stack(), dashboard(("rate(http_requests_total[5m]", None)))
    assert len(found) == 1 and "warning[catalog/metric]" in found[0] and "cannot parse" in found[0]


def test_label_values_variable_metric_is_checked() -> None:
    variable = {"type": "query", "name": "path", "query": "label_values(http_request_totl, path)"}
    found = messages(CHECK, stack(), dashboard(variables=[variable]))
    assert len(found) == 1 and "variable path" in found[0] and "did you mean http_requests_total?" in found[0]


def test_a_job_without_catalog_emits_only_prometheus_series() -> None:
    assert messages(CHECK, stack([alert('up{job="api"} == 0')], job_catalogs={})) == []


def test_summary_bucket_names_the_summary_series() -> None:
    found = messages(CHECK, _stack("go_gc_duration_seconds_bucket"))
    assert len(found) == 1, found
    assert ("field 'expr': metric go_gc_duration_seconds_bucket does not exist: go_gc_duration_seconds is a "
            "summary, which has no buckets; query go_gc_duration_seconds (it has quantile), "
            "go_gc_duration_seconds_sum or go_gc_duration_seconds_count") in found[0]


def test_total_on_a_gauge_names_the_gauge() -> None:
    found = messages(CHECK, _stack("node_load1_total"))
    assert len(found) == 1, found
    assert "metric node_load1_total does not exist: node_load1 is a gauge, without _total; query node_load1" in found[0]


def test_the_same_unknown_metric_twice_in_a_query_is_one_finding() -> None:
    found = messages(CHECK, _stack("http_request_total / http_request_total offset 1d > 2"))
    assert len(found) == 1, found


def test_misspelt_recording_rule_is_suggested() -> None:
    found = messages(CHECK, _stack("job:http_request:rate5m > 1"))
    assert len(found) == 1, found
    assert "metric job:http_request:rate5m is not emitted by any catalog" in found[0]
    assert found[0].split(" (tests/")[0].endswith("did you mean job:http_requests:rate5m?")


def test_metric_names_made_of_grafana_variables_are_not_checked() -> None:
    files = dashboard(('sum(rate($metric{job="api"}[5m]))', None), ("sum(rate(http_${kind}_total[5m]))", None))
    assert messages(CHECK, stack(), files) == []


def test_a_counter_named_count_is_not_taken_for_a_histogram_part() -> None:
    from obscode.model.catalog import Catalog, Metric

    jobs = Catalog(name="jobs", metrics=[Metric(name="batch_runs_count", type="counter")])
    found = messages(CHECK, stack([alert("batch_runs > 0")], job_catalogs={"api": [jobs], "model_service": [jobs],
                                                                            "node": [jobs]}))
    assert len(found) == 1, found
    assert "is a counter, query" not in found[0]
    assert "metric batch_runs is not emitted by any catalog of this stack" in found[0]


def test_one_unknown_metric_in_many_selectors_has_one_cause() -> None:
    found = problems(CHECK, stack([alert('http_request_total{path="/a"} > 1', name="A"),
                                   alert('http_request_total{path="/b"} > 1', name="B")]))
    assert len(found) == 2, found
    assert len({p.group_key() for p in found}) == 1
    assert found[0].reason == ("metric http_request_total is not emitted by any catalog of this stack; "
                               "did you mean http_requests_total?")
    assert '(selector http_request_total{path="/a"})' in found[0].message + found[1].message
