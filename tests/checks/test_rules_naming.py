"""rules/naming: recording rule names in the level:metric:operations form, and none that
shadows a metric a catalog lists."""

from __future__ import annotations

import pytest

from obscode import RecordingRule
from tests.catalog.helpers import alert, messages, stack

CHECK = "rules/naming"
EXPR = "sum by (job) (rate(http_requests_total[5m]))"

PASSING = [
    ("level:metric:operations", "job:http_requests:rate5m"),
    ("more operations", "instance_path:requests:ratio_rate5m"),
    ("level and metric (published mixins)", "instance:node_cpu"),
    ("metric and operations (published mixins)", "apiserver_request:burnrate1h"),
    ("empty level: nothing kept", ":node_memory_MemAvailable_bytes:sum"),
    ("empty operations", "node_namespace_pod:kube_pod_info:"),
    ("more than three parts", "cluster:namespace:pod_cpu:active:kube_pod_container_resource_requests"),
]

FAILING = [
    ("no colon", "http_error_ratio", "record http_error_ratio has no colon"),
    ("camel case, no colon", "ifNiceName", "record ifNiceName has no colon"),
    ("empty metric", "job::rate5m", "record job::rate5m has an empty metric part"),
    ("only colons", "::", "record :: has an empty metric part"),
]


def _stack(record: str, expr: str = EXPR, **fields: object):
    return stack(records=[RecordingRule(record=record, expr=expr)], **fields)


@pytest.mark.parametrize("record", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(record: str) -> None:
    assert messages(CHECK, _stack(record)) == []


@pytest.mark.parametrize(("record", "expected"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_fails_with_a_warning(record: str, expected: str) -> None:
    found = messages(CHECK, _stack(record))
    assert len(found) == 1, found
    assert found[0].startswith(f"t: warning[rules/naming] prometheus/rules/rules.yml: recording rule {record} "
                               "(group g), field 'record': ")
    assert expected in found[0]


def test_message_suggests_a_name_from_the_expression() -> None:
    found = messages(CHECK, _stack("http_rate"))
    assert found == ["t: warning[rules/naming] prometheus/rules/rules.yml: recording rule http_rate (group g), "
                     "field 'record': record http_rate has no colon: name recording rules level:metric:operations "
                     "(the labels kept, the metric, the operations), e.g. job:http_requests:rate5m "
                     "(tests/checks/test_rules_naming.py:33)"]


@pytest.mark.parametrize(("expr", "suggested"), [
    ("sum by (path, method) (rate(http_requests_total[1h]))", "e.g. path_method:http_requests:rate1h"),
    ("sum by (job) (http_requests_in_progress)", "e.g. job:http_requests_in_progress:sum"),
    ("rate(http_requests_total[5m])", "e.g. instance:http_requests:rate5m"),
    ("sum(rate(http_requests_total[5m])) / sum(rate(model_predictions_total[5m]))", "e.g. job:http_requests:rate5m"),
])
def test_suggestions(expr: str, suggested: str) -> None:
    found = messages(CHECK, _stack("nocolon", expr))
    assert len(found) == 1 and suggested in found[0]


def test_severity_error() -> None:
    found = messages(CHECK, _stack("http_rate", recording_rule_naming="error"))
    assert len(found) == 1 and found[0].startswith("t: error[rules/naming]")


def test_severity_off() -> None:
    assert messages(CHECK, _stack("http_rate", recording_rule_naming="off")) == []


def test_shadowing_a_catalog_metric_is_an_error_naming_both() -> None:
    found = messages(CHECK, _stack("node_cpu_seconds_total", "sum by (instance) (rate(node_cpu_seconds_total[5m]))"))
    assert found == ["t: error[rules/naming] prometheus/rules/rules.yml: recording rule node_cpu_seconds_total "
                     "(group g), field 'record': recording rule node_cpu_seconds_total shadows metric "
                     "node_cpu_seconds_total that catalog node-exporter lists for job node: queries of "
                     "node_cpu_seconds_total read the scraped series and the rule's output mixed; give the rule a "
                     "name of its own in the level:metric:operations form (tests/checks/test_rules_naming.py:33)"]


def test_shadowing_names_every_job() -> None:
    found = messages(CHECK, _stack("http_requests_total"))
    assert len(found) == 1 and "catalog instrumentation-http lists for jobs api, model_service" in found[0]


def test_shadowing_prometheus_own_series() -> None:
    found = messages(CHECK, _stack("up", "max by (job) (up)"))
    assert len(found) == 1 and "shadows metric up that catalog prometheus lists for jobs api, model_service, node" \
        in found[0]


def test_shadowing_is_reported_with_naming_off() -> None:
    found = messages(CHECK, _stack("http_requests_total", recording_rule_naming="off"))
    assert len(found) == 1 and "shadows metric http_requests_total" in found[0]


def test_shadowing_is_the_only_finding_about_the_name() -> None:
    # The rule's output keeps only instance; before, queries of the name were checked
    # against those labels alone and mode, cpu and job were reported as missing.
    shadow = RecordingRule(record="node_cpu_seconds_total", expr="sum by (instance) (rate(node_cpu_seconds_total[5m]))")
    queries = [alert('sum by (job, cpu) (rate(node_cpu_seconds_total{mode="idle"}[5m])) < 0.2'),
               alert("node_cpu_seconds_total > 0", name="B", annotations={"summary": "{{ $labels.mode }}",
                                                                          "description": "d"})]
    the_stack = stack(queries, records=[shadow])
    for check in ("catalog/label", "catalog/metric", "promql/rate", "alerts/annotations", "alerts/threshold"):
        assert messages(check, the_stack) == [], check
    assert len(messages(CHECK, the_stack)) == 1
