"""promql/histogram: histogram_quantile over rated _bucket series that keep le."""

from __future__ import annotations

import pytest

from obscode import RecordingRule
from tests.catalog.helpers import alert, dashboard, messages, stack

CHECK = "promql/histogram"

PASSING = [
    ("by le and path", "histogram_quantile(0.95, sum by (le, path) (rate(http_request_duration_seconds_bucket[5m])))"),
    ("seed style: by after", "histogram_quantile(0.95, sum(rate(model_prediction_latency_seconds_bucket[5m])) by (le, model_id))"),
    ("without keeps le", "histogram_quantile(0.5, sum without (instance) (rate(http_request_duration_seconds_bucket[5m])))"),
    ("no aggregation", "histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))"),
    ("recorded buckets by le", "histogram_quantile(0.9, le:http_request_duration_seconds_bucket:rate5m)"),
    # kubernetes/rules.yaml node_quantile:kubelet_pleg_relist_duration_seconds:histogram_quantile:
    # the gauge on the right only adds a label to the buckets.
    ("buckets joined with a gauge for one label",
     "histogram_quantile(0.5, sum(rate(http_request_duration_seconds_bucket[5m])) by (instance, le)"
     " * on (instance) group_left (team) max by (instance, team) (model_drift_score))"),
]

FAILING = [
    ("aggregation drops le", "histogram_quantile(0.95, sum by (path) (rate(http_request_duration_seconds_bucket[5m])))",
     "sum by (path) drops le: add le to its by (...)", "error"),
    ("plain sum drops le", "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])))",
     "sum drops le", "error"),
    ("over a gauge", "histogram_quantile(0.95, model_drift_score)",
     "over model_drift_score, which is a gauge, not a histogram's _bucket series", "error"),
    ("over _count", "histogram_quantile(0.95, rate(http_request_duration_seconds_count[5m]))",
     "which is the count of a histogram", "error"),
    ("without rate", "histogram_quantile(0.95, sum by (le) (http_request_duration_seconds_bucket))",
     "without rate()", "warning"),
    ("a gauge that group_right makes the value side",
     "histogram_quantile(0.5, sum(rate(http_request_duration_seconds_bucket[5m])) by (instance, le)"
     " * on (instance) group_right max by (instance) (model_drift_score))",
     "over model_drift_score, which is a gauge", "error"),
]


def _stack(expr: str):
    record = RecordingRule(record="le:http_request_duration_seconds_bucket:rate5m",
                           expr="sum by (le) (rate(http_request_duration_seconds_bucket[5m]))")
    return stack([alert(expr + " > 1")], records=[record])


@pytest.mark.parametrize("expr", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(expr: str) -> None:
    assert messages(CHECK, _stack(expr)) == []


@pytest.mark.parametrize(("expr", "expected", "severity"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_fails(expr: str, expected: str, severity: str) -> None:
    found = messages(CHECK, _stack(expr))
    assert len(found) == 1, found
    assert expected in found[0] and f"{severity}[promql/histogram]" in found[0]


def test_recorded_series_without_le_fails() -> None:
    record = RecordingRule(record="path:latency:rate5m",
                           expr="sum by (path) (rate(http_request_duration_seconds_bucket[5m]))")
    found = messages(CHECK, stack([alert("histogram_quantile(0.9, path:latency:rate5m) > 1")], records=[record]))
    assert any("recorded series path:latency:rate5m, which has no le label" in f for f in found)


def test_dashboard_panel_names_target() -> None:
    files = dashboard(("histogram_quantile(0.95, sum by (path) (rate(http_request_duration_seconds_bucket[5m])))", "{{path}}"))
    found = messages(CHECK, stack(), files)
    assert len(found) == 1 and 'dashboard d1 panel "P0" target A' in found[0]
