"""Which catalog each queried job gets: by the namespaces a catalog owns, or its metric list."""

from __future__ import annotations

from obscode.importers.catalogs import suggest
from obscode.model.catalog import Catalog, Metric

REDIS = Catalog(name="redis-exporter", namespaces=["redis_"],
                metrics=[Metric(name="go_goroutines", type="gauge")])
NODE = Catalog(name="node-exporter", metrics=[Metric(name="node_load1", type="gauge"),
                                              Metric(name="go_goroutines", type="gauge")])
CATALOGS = [REDIS, NODE]


def test_a_metric_in_a_namespace_a_catalog_owns_maps_its_job() -> None:
    found = suggest(['redis_up{job="cache"} == 0'], CATALOGS)
    assert found.job_catalogs == {"cache": ["redis-exporter"]}


def test_a_metric_a_catalog_lists_maps_its_job() -> None:
    assert suggest(['node_load1{job="hosts"} > 4'], CATALOGS).job_catalogs == {"hosts": ["node-exporter"]}


def test_every_name_of_a_job_alternation_is_a_job() -> None:
    found = suggest(['node_load1{job=~"node|node-exporter"}'], CATALOGS)
    assert found.job_catalogs == {"node": ["node-exporter"], "node-exporter": ["node-exporter"]}


def test_a_metric_several_catalogs_emit_is_no_evidence() -> None:
    found = suggest(['go_goroutines{job="app"}'], CATALOGS)
    assert found.job_catalogs == {} and found.without == ["app"]


def test_series_prometheus_writes_itself_are_no_evidence() -> None:
    assert suggest(['up{job="app"} == 0'], CATALOGS).without == ["app"]


def test_a_job_regex_or_a_grafana_variable_names_no_job() -> None:
    found = suggest(['redis_up{job=~".*redis.*"}', 'node_load1{job="$job"}', 'node_load1{job=~"$job"}'], CATALOGS)
    assert found.job_catalogs == {} and found.without == []


def test_conventional_target_labels_the_queries_use_are_suggested() -> None:
    found = suggest(['sum by (cluster, node) (node_load1{namespace="monitoring"})',
                     'node_load1 * on (pod) group_left(nodename) kube_pod_info', 'avg by (instnace) (node_load1)'],
                    CATALOGS)
    assert found.target_labels == ["cluster", "namespace", "node", "pod"]
