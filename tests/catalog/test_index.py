"""The catalog index: which labels a job's series carry (catalog labels, what the job's
targets get, external labels, declared target labels), and which jobs have catalogs."""

from __future__ import annotations

import pytest

from obscode import PrometheusConfig, ScrapeConfig, Stack, StaticConfig
from obscode.catalog_index import StackCatalog
from obscode.errors import DefinitionError
from obscode.model.scrape import RelabelConfig
from obscode.promql import Selector
from tests.catalog.helpers import alert, messages, stack
from tests.checks._node_catalog import NODE

CPU = Selector(name="node_cpu_seconds_total", matchers=(), range_seconds=None, text="node_cpu_seconds_total")


def _labels(the_stack: Stack) -> set[str]:
    return set(StackCatalog(the_stack).resolve(CPU).names)


def _prometheus(*jobs: ScrapeConfig, **global_: object) -> PrometheusConfig:
    return PrometheusConfig(global_=global_ or {}, scrape_configs=list(jobs))


def _node(**fields: object) -> ScrapeConfig:
    return ScrapeConfig(job_name="node", **({"static_configs": [StaticConfig(targets=["n:9100"])]} | fields))


def test_series_carry_catalog_job_instance_static_and_relabelled_labels() -> None:
    job = _node(static_configs=[StaticConfig(targets=["n:9100"], labels={"team": "infra"})],
                relabel_configs=[RelabelConfig(source_labels=["__address__"], target_label="host")])
    assert _labels(Stack(name="t", prometheus=_prometheus(job), job_catalogs={"node": [NODE]})) == {
        "cpu", "mode", "job", "instance", "team", "host"}


def test_external_labels_are_treated_as_present() -> None:
    the_stack = Stack(name="t", prometheus=_prometheus(_node(), external_labels={"cluster": "eu-1"}),
                      job_catalogs={"node": [NODE]})
    assert "cluster" in _labels(the_stack)


def test_target_labels_apply_to_every_job_of_a_stack_without_prometheus() -> None:
    the_stack = Stack(name="t", job_catalogs={"node": [NODE], "api": ["instrumentation-http"]},
                      target_labels=["cluster", "namespace", "pod"])
    index = StackCatalog(the_stack)
    assert {"cluster", "namespace", "pod", "job", "instance"} <= set(index.resolve(CPU).names)
    assert {"cluster", "namespace", "pod"} <= set(index.job_labels["api"].names)


def test_job_labels_apply_to_their_job_only() -> None:
    the_stack = Stack(name="t", job_catalogs={"node": [NODE], "api": ["instrumentation-http"]},
                      job_labels={"node": ["nodename"]})
    index = StackCatalog(the_stack)
    assert "nodename" in index.resolve(CPU).names
    assert "nodename" not in index.job_labels["api"].names


def test_labelmap_keeps_the_label_set_open() -> None:
    job = ScrapeConfig(job_name="node", kubernetes_sd_configs=[{"role": "node"}],
                       relabel_configs=[RelabelConfig(action="labelmap", regex="__meta_kubernetes_node_label_(.+)")])
    assert StackCatalog(Stack(name="t", prometheus=_prometheus(job), job_catalogs={"node": [NODE]})).resolve(CPU).open


def test_by_an_external_label_passes_catalog_label() -> None:
    expr = "sum by (cluster) (rate(node_cpu_seconds_total[5m])) > 0"
    plain = stack([alert(expr)])
    assert [m for m in messages("catalog/label", plain) if "label cluster" in m]  # the label is needed
    prometheus = plain.prometheus.model_copy(update={"global_": plain.prometheus.global_.model_copy(
        update={"external_labels": {"cluster": "eu-1"}})})
    labelled = stack([alert(expr)], prometheus=prometheus)
    assert [m for m in messages("catalog/label", labelled) if "label cluster" in m] == []


def test_by_a_declared_target_label_passes_catalog_label() -> None:
    expr = "sum by (namespace) (rate(http_requests_total[5m])) > 0"
    assert [m for m in messages("catalog/label", stack([alert(expr)], target_labels=["namespace"]))
            if "label namespace" in m] == []


def test_closed_world_when_every_job_has_catalogs() -> None:
    assert StackCatalog(stack()).closed_world
    assert StackCatalog(stack()).uncatalogued_jobs == []


def test_a_job_without_catalog_opens_the_world() -> None:
    index = StackCatalog(stack(job_catalogs={"node": [NODE]}))
    assert not index.closed_world
    assert index.uncatalogued_jobs == ["api", "model_service"]


def test_a_stack_naming_no_job_is_not_closed() -> None:
    assert not StackCatalog(Stack(name="t")).closed_world


def test_owned_namespaces() -> None:
    index = StackCatalog(stack(job_catalogs={"node": [NODE]}))
    assert index.owner("node_anything") == ("node_", "node-exporter")
    assert index.owner("kube_pod_info") is None


def _error(**fields: object) -> str:
    with pytest.raises(DefinitionError) as caught:
        Stack(name="t", **({"job_catalogs": {"node": [NODE], "api": ["instrumentation-http"]}} | fields))
    return str(caught.value)


def test_job_collectors_of_a_job_without_catalog() -> None:
    assert _error(job_collectors={"kube": {"systemd": True}}) == (
        "stack t, field 'job_collectors': job_collectors names job 'kube', which has no catalog in job_catalogs; "
        "jobs with catalogs: node, api")


def test_unknown_collector_lists_the_known_ones() -> None:
    assert _error(job_collectors={"node": {"tcpstat": True}}) == (
        "stack t, field 'job_collectors': job_collectors names collector 'tcpstat' for job 'node', which none of "
        "its catalogs (node-exporter) has; known collectors: cpu, hwmon, systemd, textfile")


def test_unknown_collector_close_to_a_known_one_says_did_you_mean() -> None:
    assert "has; did you mean systemd? known collectors: cpu," in _error(job_collectors={"node": {"systmd": True}})


def test_collector_of_catalogs_without_collectors() -> None:
    assert _error(job_collectors={"api": {"http": True}}) == (
        "stack t, field 'job_collectors': job_collectors names collector 'http' for job 'api', but its catalogs "
        "(instrumentation-http) list no collectors")


def test_job_labels_of_an_unknown_job() -> None:
    assert _error(job_labels={"kube": ["cluster"]}) == (
        "stack t, field 'job_labels': job_labels names job 'kube', which is not a scrape job; jobs: node, api")


def test_target_label_that_is_not_a_label_name() -> None:
    assert _error(target_labels=["k8s-cluster"]) == (
        "stack t, field 'target_labels': 'k8s-cluster' is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")


def test_job_label_that_is_not_a_label_name() -> None:
    assert _error(job_labels={"node": ["node name"]}) == (
        "stack t, field 'job_labels': 'node name' is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")
