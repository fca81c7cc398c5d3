"""alerts/threshold: thresholds in the unit of what they compare, quantiles in [0, 1], ratios
compared with fractions, no comparison always true or false, and alerts with a condition."""

from __future__ import annotations

import pytest

from obscode import RecordingRule
from tests.catalog.helpers import alert, dashboard, messages, stack

CHECK = "alerts/threshold"
LATENCY = "histogram_quantile(0.95, sum by (le) (rate(model_prediction_latency_seconds_bucket[5m])))"
ERRORS = 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'

PASSING = [
    ("latency threshold in seconds", f"{LATENCY} > 0.3"),
    ("latency scaled to milliseconds first", f"{LATENCY} * 1000 > 300"),
    ("latency of 90 s (a long query)", f"{LATENCY} > 90"),
    ("seconds since a timestamp", "time() - process_start_time_seconds > 300"),
    ("seconds until an expiration, no catalog", "histogram_quantile(0.01, sum by (le) (rate("
                                                "apiserver_client_certificate_expiration_seconds_bucket[5m]))) < 604800"),
    ("a long operation's duration, no catalog", "histogram_quantile(0.9, sum by (le) (rate("
                                                "backup_duration_seconds_bucket[5m]))) > 3600"),
    ("error share as a fraction", f"{ERRORS} > 0.02"),
    ("share grouped the same way", 'sum by (path) (rate(http_requests_total{status=~"5.."}[5m])) / '
                                   "sum by (path) (rate(http_requests_total[5m])) > 0.05"),
    ("ratio of two different metrics may exceed 1",
     "rate(model_absolute_error_total[5m]) / rate(model_absolute_actual_total[5m]) > 2"),
    ("week over week may exceed 1",
     "sum(rate(http_requests_total[5m])) / sum(rate(http_requests_total[5m] offset 1w)) > 2"),
    ("total over a subset may exceed 1",
     'sum(rate(http_requests_total[5m])) / sum(rate(http_requests_total{status=~"5.."}[5m])) > 2'),
    ("different grouping is not a share",
     'sum by (path) (rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 2'),
    ("a clock offset in seconds may be negative", "node_timex_offset_seconds < -0.05"),
    ("a percent gauge of unknown range", 'model_prediction_error{metric_type="mape"} > 15'),
    ("cpu rate averaged may be compared with anything", 'avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) < 0.2'),
    ("up == 0", "up == 0"),
    ("up < 1", "up < 1"),
    ("absent()", 'absent(up{job="api"})'),
    ("absent_over_time()", 'absent_over_time(up{job="api"}[10m])'),
    ("a dead man's switch fires on purpose", "vector(1)"),
    ("a count of a condition", "count(up == 0) > 0"),
    ("an aggregation of a condition", "sum by (job) (up == 0)"),
    ("and keeps a subset", "rate(http_requests_total[5m]) and on (job) (up == 0)"),
    ("unless keeps a subset", "up unless on (job) model_drift_score"),
    ("or of two conditions", "up == 0 or absent(up)"),
    ("ALERTS exist only while an alert is active", 'ALERTS{alertstate="firing", severity="critical"}'),
    ("a gauge selected by a state label may be the condition", 'model_feature_drifted{feature_name="age"}'),
    ("changes() compared with a count", "changes(up[10m]) > 4"),
    ("quantile in range", "quantile(0.9, rate(http_requests_total[5m])) > 10"),
    ("quantile_over_time in range", "quantile_over_time(0.5, model_drift_score[1h]) > 0.3"),
]

FAILING = [
    ("milliseconds on a latency histogram", f"{LATENCY} > 300",
     "model_prediction_latency_seconds is in seconds; 300 s is 5 minutes — did you mean 0.3? (> 300)"),
    ("milliseconds on a mean latency",
     "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m]) > 500",
     "the mean of http_request_duration_seconds (_sum / _count) is in seconds; 500 s is 8.3 minutes — "
     "did you mean 0.5? (> 500)"),
    ("milliseconds, the number first", f"250 < {LATENCY}", "250 s is 4.2 minutes — did you mean 0.25? (> 250)"),
    ("percent on an error share", f"{ERRORS} > 2",
     'the share of http_requests_total{status=~"5.."} in http_requests_total is a fraction between 0 and 1, so > 2 '
     "is always false; did you mean 0.02 (2%)?"),
    ("percent on one minus a share", f"1 - {ERRORS} < 99",
     "is a fraction between 0 and 1, so < 99 is always true; did you mean 0.99 (99%)?"),
    ("percent on a bucket share", 'sum(rate(http_request_duration_seconds_bucket{le="0.5"}[5m])) / '
                                  "sum(rate(http_request_duration_seconds_count[5m])) < 95",
     "so < 95 is always true; did you mean 0.95 (95%)?"),
    ("a share above 1 exactly", f"{ERRORS} > 1",
     "> 1 is always false: sum(rate(http_requests_total{status=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) "
     "is between 0 and 1, so the alert never fires"),
    ("histogram_quantile(99)", "histogram_quantile(99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 0.5",
     "histogram_quantile(99, ...) asks for a quantile outside [0, 1], so it returns +Inf; did you mean 0.99?"),
    ("quantile(95)", "quantile(95, rate(http_requests_total[5m])) > 10",
     "quantile(95, ...) asks for a quantile outside [0, 1], so it returns +Inf; did you mean 0.95?"),
    ("quantile_over_time(1.5)", "quantile_over_time(1.5, model_drift_score[1h]) > 0.3",
     "quantile_over_time(1.5, ...) asks for a quantile outside [0, 1], so it returns +Inf; did you mean 0.015?"),
    ("negative quantile", "quantile(-0.5, rate(http_requests_total[5m])) > 10",
     "quantile(-0.5, ...) asks for a quantile outside [0, 1], so it returns -Inf; 0.99 is the 99th percentile"),
    ("a rate above a negative number", "rate(http_requests_total[5m]) > -0.02",
     "> -0.02 is always true: rate(http_requests_total[5m]) is never negative, so the alert fires for every series"),
    ("a rate at least 0", "sum(rate(http_requests_total[5m])) >= 0", ">= 0 is always true"),
    ("a counter below 0", "http_requests_total < 0",
     "< 0 is always false: http_requests_total is never negative, so the alert never fires"),
    ("bytes below 0", "node_memory_MemAvailable_bytes < 0", "< 0 is always false"),
    ("a latency quantile below 0", f"{LATENCY} < 0", "< 0 is always false"),
    ("up above 1", "up > 1", "> 1 is always false: up is 0 or 1, so the alert never fires"),
    ("up equal to 2", "up == 2", "== 2 is always false: up is 0 or 1"),
    ("an hour after midnight", "hour() > 24", "> 24 is always false: hour() is between 0 and 23"),
    ("no comparison: up", "up",
     "the alert expression has no condition, so it fires at once for every series up returns, and keeps firing; "
     "compare it with a threshold (e.g. up == 0, rate(errors_total[5m]) > 0.1)"),
    ("no comparison: a rate", "rate(http_requests_total[5m])",
     "fires at once for every series rate(http_requests_total[5m]) returns"),
    ("no comparison: a sum of rates", 'sum by (path) (rate(http_requests_total{status="500"}[5m]))',
     "the alert expression has no condition"),
    ("no comparison: a counter selected by label", 'http_requests_total{status="500"}', "has no condition"),
    ("no comparison: a target's up", 'up{job="api"}', "has no condition"),
    ("no comparison: up of some targets", 'up{env="prod"}', "has no condition"),
    ("no comparison on one side of or", "up == 0 or up", "has no condition"),
    ("a bool comparison is no condition", "up == bool 0",
     "the alert compares with bool, which returns 0 or 1 for every series instead of keeping those that meet "
     "the condition, so it fires for all of them at once; drop bool"),
]


@pytest.mark.parametrize("expr", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(expr: str) -> None:
    assert messages(CHECK, stack([alert(expr)])) == []


@pytest.mark.parametrize(("expr", "expected"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_fails(expr: str, expected: str) -> None:
    found = messages(CHECK, stack([alert(expr)]))
    assert len(found) == 1, found
    assert expected in found[0]
    assert found[0].startswith("t: error[alerts/threshold] prometheus/rules/rules.yml: alert A (group g), field 'expr': ")
    assert found[0].endswith("(tests/catalog/helpers.py:51)")  # where the alert was defined


def test_a_recorded_latency_keeps_its_unit() -> None:
    record = RecordingRule(record="job:http_request_duration_seconds:p99", expr="histogram_quantile(0.99, "
                           "sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))")
    found = messages(CHECK, stack([alert("job:http_request_duration_seconds:p99 > 500")], records=[record]))
    assert len(found) == 1
    assert "job:http_request_duration_seconds:p99 is in seconds; 500 s is 8.3 minutes — did you mean 0.5?" in found[0]


def test_a_recorded_share_is_a_ratio() -> None:
    record = RecordingRule(record="job:http_errors:ratio_rate5m",
                           expr='sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) / '
                                "sum by (job) (rate(http_requests_total[5m]))")
    found = messages(CHECK, stack([alert("job:http_errors:ratio_rate5m > 5")], records=[record]))
    assert len(found) == 1 and "job:http_errors:ratio_rate5m is a fraction between 0 and 1, so > 5 is always false; " \
                               "did you mean 0.05 (5%)?" in found[0]


def test_a_comparison_in_a_recording_rule_says_what_it_keeps() -> None:
    record = RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m])) < 0")
    found = messages(CHECK, stack(records=[record]))
    assert len(found) == 1
    assert "recording rule job:http_requests:rate5m (group g), field 'expr': < 0 is always false: " \
           "sum by (job)(rate(http_requests_total[5m])) is never negative, so it keeps none" in found[0]


def test_a_recording_rule_needs_no_condition() -> None:
    record = RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))")
    assert messages(CHECK, stack(records=[record])) == []


def test_a_quantile_in_a_dashboard_panel_is_checked() -> None:
    files = dashboard(("histogram_quantile(99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", None))
    found = messages(CHECK, stack(), files)
    assert found == ['t: error[alerts/threshold] grafana/dashboards/d1.json: dashboard d1 panel "P0" target A, '
                     "field 'expr': histogram_quantile(99, ...) asks for a quantile outside [0, 1], so it returns "
                     "+Inf; did you mean 0.99?"]


def test_thresholds_in_dashboard_panels_are_not_checked() -> None:
    assert messages(CHECK, stack(), dashboard((f"{LATENCY} > 300", None), ("up", None))) == []


def test_quantis_passes() -> None:
    from obscode import build

    built = build.build("stacks/quantis")
    assert [p for p in built.check() if p.check == CHECK] == []


def test_recorded_rates_of_a_subset_and_its_total_make_a_ratio() -> None:
    records = [RecordingRule(record="job:http_errors:rate5m",
                             expr='sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))'),
               RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))")]
    found = messages(CHECK, stack([alert("job:http_errors:rate5m / job:http_requests:rate5m > 2")], records=records))
    assert len(found) == 1 and "did you mean 0.02 (2%)?" in found[0]


def test_a_quantile_of_recorded_buckets_is_a_latency() -> None:
    record = RecordingRule(record="job_le:http_request_duration_seconds_bucket:rate5m",
                           expr="sum by (job, le) (rate(http_request_duration_seconds_bucket[5m]))")
    expr = "histogram_quantile(0.99, job_le:http_request_duration_seconds_bucket:rate5m) > 250"
    found = messages(CHECK, stack([alert(expr)], records=[record]))
    assert len(found) == 1 and "http_request_duration_seconds is in seconds; 250 s is 4.2 minutes" in found[0]


@pytest.mark.parametrize("expr", ['absent(up{job="api"}) > 0', "group by (job) (up == 0) > 0",
                                  'max_over_time(model_feature_drifted{feature_name="age"}[10m])'])
def test_a_redundant_comparison_on_a_condition_is_harmless(expr: str) -> None:
    assert messages(CHECK, stack([alert(expr)])) == []


def test_absent_compared_with_zero_never_fires() -> None:
    found = messages(CHECK, stack([alert('absent(up{job="api"}) == 0')]))
    assert len(found) == 1 and "== 0 is always false: absent(up{job=\"api\"}) is always 1, so the alert never fires" in found[0]


@pytest.mark.parametrize(("expr", "expected"), [
    (f"{ERRORS} * 100 > 150", f"> 150 is always false: {ERRORS} * 100 is between 0 and 100"),
    ("count(up) < 0", "< 0 is always false: count(up) is never negative"),
    ("clamp_max(rate(http_requests_total[5m]), 1) > 2",
     "> 2 is always false: clamp_max(rate(http_requests_total[5m]), 1) is between 0 and 1"),
    ("histogram_fraction(0, 0.3, rate(http_request_duration_seconds_bucket[5m])) > 5",
     "histogram_fraction() of http_request_duration_seconds_bucket is a fraction between 0 and 1, so > 5 is always "
     "false; did you mean 0.05 (5%)?"),
    ("-rate(http_requests_total[5m]) > 0", "> 0 is always false: -rate(http_requests_total[5m]) is at most 0"),
])
def test_bounds_follow_functions_and_arithmetic(expr: str, expected: str) -> None:
    found = messages(CHECK, stack([alert(expr)]))
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize("expr", ["time() - process_start_time_seconds < 0", "deriv(model_drift_score[10m]) < 0",
                                  f"{ERRORS} * 100 > 2", "predict_linear(node_memory_MemAvailable_bytes[1h], 3600) < 0"])
def test_unbounded_results_are_not_judged(expr: str) -> None:
    assert messages(CHECK, stack([alert(expr)])) == []
