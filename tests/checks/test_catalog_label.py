"""catalog/label: every label a query relies on exists where it is used."""

from __future__ import annotations

import pytest

from obscode import RecordingRule
from tests.catalog.helpers import alert, dashboard, messages, stack

CHECK = "catalog/label"

PASSING = [
    ("catalog labels in matchers", 'http_requests_total{method="GET", status=~"5.."}'),
    ("target labels", 'up{job="api", instance="api:8000"}'),
    ("static_config label", 'model_predictions_total{team="ds"}'),
    ("known label value", 'model_prediction_error{metric_type="mape"}'),
    ("regex over known values", 'model_prediction_error{metric_type=~"ma.*"}'),
    ("by keeps a label", "sum by (path) (rate(http_requests_total[5m]))"),
    ("without", "sum without (instance) (rate(http_requests_total[5m]))"),
    ("label_replace adds its destination",
     'sum by (route) (label_replace(http_requests_in_progress, "route", "$1", "method", "(.*)"))'),
    ("on both sides", "rate(http_requests_total[5m]) / on (method) group_left http_requests_in_progress"),
    ("group_left copies from the right",
     "model_drift_score * on (model_id) group_left (team) max by (model_id, team) (model_predictions_total)"),
    ("ALERTS carries alert labels", 'ALERTS{severity="warning"}'),
    ("empty-value matcher selects absence", 'http_requests_total{nolabel=""}'),
]

FAILING = [
    ("typo in matcher", 'http_requests_total{stauts="500"}', "label stauts", "did you mean status?"),
    ("unknown label value", 'model_prediction_error{metric_type="mapee"}',
     'model_prediction_error never has metric_type="mapee"', "did you mean mape?"),
    ("regex matching no value", 'model_prediction_error{metric_type=~"xyz.*"}', "matches none of the values", ""),
    ("by a label the metric lacks", "sum by (model_id) (rate(http_requests_total[5m]))",
     "label model_id (sum by (model_id))", ""),
    ("label dropped by an inner aggregation",
     "sum by (path) (sum by (method) (rate(http_requests_total[5m])))", "label path (sum by (path))",
     "labels available: method"),
    ("on a label one side lacks", "http_requests_total / on (status) http_requests_in_progress",
     "(right-hand side)", ""),
    ("group_left label missing on the one side",
     "model_drift_score * on (model_id) group_left (owner) max by (model_id) (model_predictions_total)",
     "label owner (group_left (owner)", ""),
    ("label_replace source missing",
     'label_replace(http_requests_total, "x", "$1", "paht", "(.*)")', "label paht", "did you mean path?"),
]


def _stack(expr: str):
    return stack([alert(expr, labels={"team": "x"})])


@pytest.mark.parametrize("expr", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(expr: str) -> None:
    assert messages(CHECK, _stack(expr)) == []


@pytest.mark.parametrize(("expr", "expected", "hint"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_fails(expr: str, expected: str, hint: str) -> None:
    found = messages(CHECK, _stack(expr))
    assert found, "expected a problem"
    assert expected in found[0] and hint in found[0], found
    assert "error[catalog/label] prometheus/rules/rules.yml: alert A (group g)" in found[0]


def test_legend_label_kept_passes() -> None:
    files = dashboard(("sum by (method, path) (rate(http_requests_total[5m]))", "{{method}} {{path}}"))
    assert messages(CHECK, stack(), files) == []


def test_legend_label_dropped_fails_on_legend_field() -> None:
    files = dashboard(("sum by (method) (rate(http_requests_total[5m]))", "{{method}} {{ path }}"))
    found = messages(CHECK, stack(), files)
    assert len(found) == 1
    assert "field 'legendFormat'" in found[0] and "label path (legend" in found[0]
    assert 'dashboard d1 panel "P0" target A' in found[0]


def test_label_values_variable_needs_the_label() -> None:
    ok = {"type": "query", "name": "m", "query": "label_values(model_predictions_total, model_id)"}
    bad = {"type": "query", "name": "m", "query": "label_values(model_predictions_total, model)"}
    assert messages(CHECK, stack(), dashboard(variables=[ok])) == []
    found = messages(CHECK, stack(), dashboard(variables=[bad]))
    assert len(found) == 1 and "variable m" in found[0] and "did you mean model_id?" in found[0]


def test_alert_label_template_must_survive_expression() -> None:
    good = stack([alert("max by (model_id) (model_drift_score) > 1", labels={"owner": "{{ $labels.model_id }}"})])
    bad = stack([alert("max by (model_id) (model_drift_score) > 1", labels={"owner": "{{ $labels.feature_name }}"})])
    assert messages(CHECK, good) == []
    found = messages(CHECK, bad)
    assert len(found) == 1 and "field 'labels.owner'" in found[0] and "$labels.feature_name" in found[0]


def test_recording_rule_output_carries_the_labels_it_keeps() -> None:
    record = RecordingRule(record="path:http_requests:rate5m", expr="sum by (path) (rate(http_requests_total[5m]))")
    ok = stack([alert('path:http_requests:rate5m{path="/x"} > 1')], records=[record])
    bad = stack([alert('path:http_requests:rate5m{method="GET"} > 1')], records=[record])
    assert messages(CHECK, ok) == []
    assert "label method" in messages(CHECK, bad)[0]


def test_labelmap_job_turns_typos_into_warnings() -> None:
    from obscode import RelabelConfig, ScrapeConfig, StaticConfig

    s = stack([alert('node_load1{instanse="x"} > 1')])
    s.prometheus.scrape_configs.append(ScrapeConfig(
        job_name="k8s", static_configs=[StaticConfig(targets=["n:9100"])],
        relabel_configs=[RelabelConfig(action="labelmap", regex="__meta_kubernetes_node_label_(.+)")]))
    s.job_catalogs["k8s"] = s.job_catalogs["node"]
    found = messages(CHECK, s)
    assert len(found) == 1 and "warning[catalog/label]" in found[0] and "did you mean instance?" in found[0]
    s.rule_files[0].groups[0].rules[0].expr = 'node_load1{kubernetes_io_hostname="x"} > 1'
    assert messages(CHECK, s) == []
