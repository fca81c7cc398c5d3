"""catalog/metric: an unknown metric is an error only where the catalogs can be sure that
nothing emits it; elsewhere one warning per stack says how many metrics were not checked."""

from __future__ import annotations

import re
from typing import Any

import pytest

from obscode import Stack
from obscode.errors import DefinitionError
from tests.catalog.helpers import alert, dashboard, messages, problems, stack
from tests.checks._node_catalog import NODE, node_stack

CHECK = "catalog/metric"
_SELECTOR = re.compile(r"\(selector [^()]*\)")
#: api has the HTTP catalog, node a node-exporter catalog owning node_, model_service none.
OPEN = {"api": ["instrumentation-http"], "node": [NODE]}


def _open(*exprs: str, **fields: Any) -> Stack:
    return stack([alert(e, name=f"A{i}") for i, e in enumerate(exprs)], job_catalogs=OPEN, **fields)


def _found(the_stack: Stack, files: dict[str, bytes] | None = None) -> list[tuple[str, str, str]]:
    """(severity, object, message) of each finding; the selector as printed is shown as S
    (how the parser prints a selector is not this check's business)."""
    return [(p.severity, p.obj, _SELECTOR.sub("(selector S)", p.message)) for p in problems(CHECK, the_stack, files)]


def test_unknown_metrics_a_job_without_catalog_may_emit_are_one_summary_warning() -> None:
    files = dashboard(("sum(kube_pod_info)", None))
    assert _found(_open("kube_pod_info == 0", "rate(kube_pod_restarts_total[5m]) > 0"), files) == [(
        "warning", "alert A0 (group g)",
        "2 metrics are not checked against a catalog (3 uses, the first here): kube_pod_info, "
        "kube_pod_restarts_total; job model_service has no catalog and may emit them; give it one in "
        "job_catalogs to check them")]


def test_summary_lists_five_names_and_counts_the_rest() -> None:
    found = _found(_open(*(f"metric_{i} > 0" for i in range(7))))
    assert len(found) == 1, found
    assert ("7 metrics are not checked against a catalog (7 uses, the first here): metric_0, metric_1, metric_2, "
            "metric_3, metric_4 and 2 more;") in found[0][2]


def test_summary_names_every_job_without_catalog() -> None:
    found = _found(stack([alert("kube_pod_info == 0")], job_catalogs={"node": [NODE]}))
    assert [f[2] for f in found] == [
        "1 metric is not checked against a catalog (1 use, the first here): kube_pod_info; jobs api, "
        "model_service have no catalog and may emit it; give them catalogs in job_catalogs to check it"]


def test_summary_of_a_stack_that_names_no_job() -> None:
    found = _found(Stack(name="t", rule_files=stack([alert("kube_pod_info == 0")]).rule_files))
    assert [f[2] for f in found] == [
        "1 metric is not checked against a catalog (1 use, the first here): kube_pod_info; the stack names no "
        "scrape job, so it may come from any; name the jobs and their catalogs in job_catalogs to check it"]


def test_job_matcher_naming_a_catalogued_job_makes_it_an_error() -> None:
    assert _found(_open('kube_pod_info{job="api"} == 0')) == [(
        "error", "alert A0 (group g)",
        "metric kube_pod_info is not emitted by any catalog of this stack (selector S): "
        "job 'api' has catalogs (instrumentation-http) and none lists it; check the name, and the exporter "
        "version its catalog describes")]


def test_job_matcher_error_suggests_a_near_miss() -> None:
    found = _found(_open('rate(http_request_total{job="api"}[5m]) > 0'))
    assert [f[:1] for f in found] == [("error",)]
    assert found[0][2].endswith("job 'api' has catalogs (instrumentation-http) and none lists it; "
                                "did you mean http_requests_total?")


def test_name_in_a_namespace_an_exporter_owns_is_an_error() -> None:
    assert _found(_open("node_made_up_metric > 0")) == [(
        "error", "alert A0 (group g)",
        "metric node_made_up_metric is not emitted by any catalog of this stack (selector S): "
        "names starting node_ belong to node-exporter, which does not list it; check the name, and the "
        "exporter version its catalog describes")]


def test_owned_namespace_wins_over_a_job_without_catalog() -> None:
    found = _found(_open('node_made_up_metric{job="model_service"} > 0'))
    assert [f[0] for f in found] == ["error"]
    assert "names starting node_ belong to node-exporter" in found[0][2]


def test_every_job_catalogued_makes_it_an_error() -> None:
    found = _found(node_stack("kube_pod_info == 0"))
    assert found == [(
        "error", "alert A0 (group g)",
        "metric kube_pod_info is not emitted by any catalog of this stack (selector S); "
        "add the catalog of the job that emits it to the stack's job_catalogs")]


def test_likely_typo_is_a_warning_even_where_a_job_has_no_catalog() -> None:
    assert _found(_open("rate(http_request_total[5m]) > 0")) == [(
        "warning", "alert A0 (group g)",
        "metric http_request_total is not in any catalog of this stack (selector S); "
        "did you mean http_requests_total? (unless a job without a catalog emits it)")]


def test_known_mistake_is_a_warning_even_where_a_job_has_no_catalog() -> None:
    assert _found(_open("rate(http_requests[5m]) > 0")) == [(
        "warning", "alert A0 (group g)",
        "metric http_requests does not exist; counters are exposed with _total: http_requests_total "
        "(unless a job without a catalog emits it)")]


def test_known_metric_from_a_job_without_catalog_is_not_checked() -> None:
    found = _found(_open('rate(http_requests_total{job="model_service"}[5m]) > 0'))
    assert [f[0] for f in found] == ["warning"]
    assert found[0][2].startswith("1 metric is not checked against a catalog")


def test_known_metric_from_another_catalogued_job_stays_an_error() -> None:
    found = _found(_open('node_cpu_seconds_total{job="api"}'))
    assert [f[0] for f in found] == ["error"]
    assert "metric node_cpu_seconds_total is not emitted by job 'api'" in found[0][2]


def test_job_declared_without_catalog_opens_a_stack_without_prometheus() -> None:
    rules = stack([alert("kube_pod_info == 0", name="A0"), alert("node_made_up_metric > 0", name="A1")]).rule_files
    found = _found(Stack(name="t", rule_files=rules, job_catalogs={"node": [NODE], "kube-state-metrics": []}))
    assert [(f[0], f[1]) for f in found] == [("warning", "alert A0 (group g)"), ("error", "alert A1 (group g)")]
    assert "job kube-state-metrics has no catalog and may emit it" in found[0][2]


def test_stack_without_prometheus_whose_jobs_all_have_catalogs_is_closed() -> None:
    rules = stack([alert("kube_pod_info == 0")]).rule_files
    found = _found(Stack(name="t", rule_files=rules, job_catalogs={"node": [NODE]}))
    assert [f[0] for f in found] == ["error"]
    assert "add the catalog of the job that emits it" in found[0][2]


def test_summary_is_anchored_at_a_dashboard_when_only_dashboards_use_them() -> None:
    found = messages(CHECK, _open(), dashboard(("kube_node_info", None), uid="k8s"))
    assert len(found) == 1, found
    assert found[0].startswith('t: warning[catalog/metric] grafana/dashboards/k8s.json: dashboard k8s panel "P0" '
                               "target A, field 'expr': 1 metric is not checked against a catalog")


def test_recording_rule_name_in_an_owned_namespace_is_not_the_exporters() -> None:
    found = _found(_open('node_namespace_pod:kube_pod_info:{job="node"}'))
    assert [f[0] for f in found] == ["warning"]
    assert found[0][2].startswith("1 metric is not checked against a catalog (1 use, the first here): "
                                  "node_namespace_pod:kube_pod_info:;")


def test_missing_recording_rule_in_a_closed_world_says_to_add_the_rule() -> None:
    assert _found(node_stack("instance:node_cpu:ratio > 0")) == [(
        "error", "alert A0 (group g)",
        "metric instance:node_cpu:ratio is not emitted by any catalog of this stack (selector S); its name says "
        "it is a recording rule's: add the rule to the stack's rule_files")]


def test_summary_of_several_metrics_of_a_stack_that_names_no_job() -> None:
    rules = stack([alert("kube_pod_info == 0", name="A0"), alert("kube_node_info == 0", name="A1")]).rule_files
    assert [f[2] for f in _found(Stack(name="t", rule_files=rules))] == [
        "2 metrics are not checked against a catalog (2 uses, the first here): kube_pod_info, kube_node_info; the "
        "stack names no scrape job, so they may come from any; name the jobs and their catalogs in job_catalogs "
        "to check them"]


def test_job_a_stack_without_prometheus_does_not_declare_is_not_checked_and_named() -> None:
    rules = stack([alert('kube_pod_info{job="kube-state-metrics"} == 0', name="A0"),
                   alert('up{job="kube-apiserver"} == 0', name="A1"),
                   alert('node_cpu_seconds_total{job="kube-apiserver"}', name="A2")]).rule_files
    found = _found(Stack(name="t", rule_files=rules, job_catalogs={"node": [NODE]}))
    assert found == [(
        "warning", "alert A0 (group g)",
        "2 metrics are not checked against a catalog (2 uses, the first here): kube_pod_info, node_cpu_seconds_total; "
        "jobs kube-apiserver, kube-state-metrics have no catalog and may emit them; give them catalogs in "
        "job_catalogs to check them")]


def test_job_missing_from_the_prometheus_configuration_is_an_error() -> None:
    found = _found(node_stack('kube_pod_info{job="kube-state-metrics"} == 0'))
    assert [f[0] for f in found] == ["error"]
    assert "add the catalog of the job that emits it" in found[0][2]


def test_a_query_naming_an_undeclared_job_opens_a_stack_without_prometheus() -> None:
    rules = stack([alert('up{job="kubelet"} == 0', name="A0"), alert("kubelet_running_pods > 100", name="A1"),
                   alert("node_made_up_metric > 0", name="A2")]).rule_files
    found = _found(Stack(name="t", rule_files=rules, job_catalogs={"node": [NODE]}))
    assert [(f[0], f[1]) for f in found] == [("warning", "alert A1 (group g)"), ("error", "alert A2 (group g)")]
    assert found[0][2] == (
        "1 metric is not checked against a catalog (1 use, the first here): kubelet_running_pods; job kubelet has "
        "no catalog and may emit it; give it one in job_catalogs to check it")


def test_unlisted_jobs_keep_a_stack_without_prometheus_open() -> None:
    rules = stack([alert("redis_blocked_clients > 0")]).rule_files
    found = _found(Stack(name="t", rule_files=rules, job_catalogs={"node": [NODE]}, unlisted_jobs=True))
    assert [f[0] for f in found] == ["warning"]
    assert "the stack's Prometheus has jobs job_catalogs does not list (unlisted_jobs=True)" in found[0][2]


def test_unlisted_jobs_with_a_prometheus_configuration_is_refused() -> None:
    with pytest.raises(DefinitionError, match="unlisted_jobs is for a stack without prometheus"):
        stack(unlisted_jobs=True)


PARTIAL_NODE = NODE.model_copy(update={"partial": True})


def test_a_partial_catalog_proves_nothing_absent() -> None:
    # The kubelet catalog lists only the files its build could read (docs/catalog.md).
    the_stack = node_stack('node_made_up_metric{job="node"} > 0', "node_other_made_up > 0",
                           job_catalogs={"node": [PARTIAL_NODE], "edge": [PARTIAL_NODE]})
    found = _found(the_stack)
    assert [f[0] for f in found] == ["warning"], found
    assert "node_made_up_metric" in found[0][2] and "node_other_made_up" in found[0][2]
    assert found[0][2].endswith("catalog node-exporter lists only part of what its exporter emits, so they may exist")


def test_the_same_catalog_complete_makes_both_errors() -> None:
    found = _found(node_stack('node_made_up_metric{job="node"} > 0', "node_other_made_up > 0"))
    assert [f[0] for f in found] == ["error", "error"], found
