"""The catalogs shipped in obscode/catalogs/, built from the exporters' sources by
scripts/catalogs/build.py: their form, a sample of well-known families, the corpus coverage
they reach, and — against the real Debian binaries — that a real scrape serves nothing they lack."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from obscode.errors import DefinitionError
from obscode.model.catalog import Catalog, Collector, Metric, from_exposition, load_yaml, shipped, shipped_names
from stacks.quantis.service.processes import free_port, http_ok, spawn, wait_until
from tests.conftest import ROOT, require_tool

CATALOGS = ROOT / "obscode" / "catalogs"
BUILT = [n for n in shipped_names() if n != "prometheus"]  # prometheus.yml is hand-written
CORPUS = ROOT.parent / "shared" / "corpus" / "mixins"


def test_every_exporter_has_a_shipped_catalog() -> None:
    assert set(BUILT) >= {"node-exporter", "postgres-exporter", "prometheus-server", "alertmanager",
                          "kube-state-metrics", "kubelet", "cadvisor", "blackbox-exporter", "redis-exporter",
                          "pushgateway", "process-exporter"}


@pytest.mark.parametrize("name", BUILT)
def test_built_catalog_records_its_source_and_is_consistent(name: str) -> None:
    catalog = shipped(name)
    # kubelet: single files of kubernetes/kubernetes at a commit (the repository is too big to clone).
    version = r"single-files" if name == "kubelet" else r"v?\d+\.\d+\.\d+"
    assert re.search(r"\S+/\S+ " + version + r" \(commit [0-9a-f]{40}[,)]", catalog.built_from), catalog.built_from
    assert "files: " in catalog.built_from
    assert catalog.namespaces and all(n for n in catalog.namespaces)
    assert catalog.collectors
    for metric in catalog.metrics:
        assert not metric.collector or metric.collector in catalog.collectors, metric.name
    # Written by Catalog.as_yaml, sorted: loading and writing again gives the same bytes.
    assert catalog.as_yaml() == (CATALOGS / f"{name}.yml").read_text(encoding="utf-8")
    # Every family in one of the catalog's namespaces or a shared client library's.
    shared = ("go_", "process_", "promhttp_", "net_conntrack_", "http_request_duration_seconds")
    outside = [m.name for m in catalog.metrics if not m.name.startswith(tuple(catalog.namespaces) + shared)]
    assert not outside, outside[:5]


def test_prometheus_catalog_is_the_hand_written_synthetic_series() -> None:
    series = shipped("prometheus").series()
    assert {"up", "scrape_duration_seconds", "ALERTS", "ALERTS_FOR_STATE"} <= set(series)


def _family(catalog: str, name: str) -> tuple[Metric, Catalog]:
    cat = shipped(catalog)
    found = {m.name: m for m in cat.metrics}
    assert name in found, f"{name} missing from {catalog}"
    return found[name], cat


@pytest.mark.parametrize("catalog, name, mtype, labels, collector, default, condition", [
    ("node-exporter", "node_cpu_seconds_total", "counter", {"cpu", "mode"}, "cpu", True, ""),
    ("node-exporter", "node_memory_MemAvailable_bytes", "gauge", set(), "meminfo", True, ""),
    ("node-exporter", "node_hwmon_temp_celsius", "gauge", {"chip", "sensor"}, "hwmon", True, "hardware:"),
    ("node-exporter", "node_md_disks", "gauge", {"device", "state"}, "mdadm", True, "hardware:"),
    ("node-exporter", "node_edac_correctable_errors_total", "counter", {"controller"}, "edac", True, "hardware:"),
    ("node-exporter", "node_cpu_scaling_frequency_hertz", "gauge", {"cpu"}, "cpufreq", True, "hardware:"),
    ("node-exporter", "node_thermal_zone_temp", "gauge", {"type", "zone"}, "thermal_zone", True, "hardware:"),
    ("node-exporter", "node_systemd_unit_state", "gauge", {"name", "state"}, "systemd", False, "software:"),
    ("node-exporter", "node_processes_state", "gauge", {"state"}, "processes", False, ""),
    ("node-exporter", "node_tcp_connection_states", "gauge", {"state"}, "tcpstat", False, ""),
    ("node-exporter", "node_network_receive_bytes_total", "counter", {"device"}, "netdev", True, ""),
    ("node-exporter", "go_goroutines", "gauge", set(), "go", True, ""),
    ("node-exporter", "node_cpu_info", "gauge", {"cpu", "model_name"}, "cpu.info", False, "flag: --collector.cpu.info"),
    ("kube-state-metrics", "kube_pod_info", "gauge", {"pod", "namespace", "node", "host_ip", "uid"}, "pods", True, ""),
    # docs write these two labels as `value=`&lt;taint-value&gt;, the `=` inside the backticks
    ("kube-state-metrics", "kube_node_spec_taint", "gauge", {"node", "key", "value", "effect"}, "nodes", True, ""),
    ("kube-state-metrics", "kube_deployment_status_replicas_available", "gauge", {"deployment", "namespace"},
     "deployments", True, ""),
    ("kube-state-metrics", "kube_pod_container_resource_requests", "gauge", {"resource", "unit", "container"},
     "pods", True, ""),
    ("prometheus-server", "prometheus_tsdb_head_series", "gauge", set(), "tsdb", True, ""),
    ("prometheus-server", "prometheus_rule_evaluation_failures_total", "counter", {"rule_group"}, "rules", True, ""),
    ("prometheus-server", "prometheus_remote_storage_samples_failed_total", "counter", {"remote_name", "url"},
     "storage/remote", True, "config:"),
    ("alertmanager", "alertmanager_notifications_failed_total", "counter", {"integration"}, "notify", True, ""),
    ("alertmanager", "alertmanager_cluster_members", "gauge", set(), "cluster", True, "cluster:"),
    ("cadvisor", "container_cpu_usage_seconds_total", "counter", {"cpu", "pod", "namespace", "container"}, "cpu",
     True, ""),
    ("cadvisor", "container_memory_working_set_bytes", "gauge", {"pod", "namespace", "container"}, "memory", True, ""),
    ("cadvisor", "container_network_tcp_usage_total", "gauge", {"tcp_state"}, "tcp", False, ""),
    ("postgres-exporter", "pg_up", "gauge", set(), "", None, ""),
    ("postgres-exporter", "pg_stat_database_xact_commit", "counter", {"datname"}, "stat_database", True, ""),
    ("postgres-exporter", "pg_settings_max_connections", "gauge", {"server"}, "settings", True, ""),
    ("postgres-exporter", "pg_stat_statements_calls_total", "counter", {"queryid"}, "stat_statements", False, ""),
    ("blackbox-exporter", "probe_success", "gauge", set(), "prober", True, ""),
    ("blackbox-exporter", "probe_http_status_code", "gauge", set(), "http", True, "the probe's module"),
    ("pushgateway", "push_time_seconds", "gauge", {"job"}, "storage", True, ""),
    ("process-exporter", "namedprocess_namegroup_num_procs", "gauge", {"groupname"}, "", None, ""),
    ("redis-exporter", "redis_connected_clients", "gauge", set(), "info", True, ""),
    ("kubelet", "kubelet_running_pods", "gauge", set(), "kubelet", True, ""),
    ("kubelet", "kubelet_pleg_relist_duration_seconds", "histogram", set(), "kubelet", True, ""),
    ("kubelet", "kubelet_volume_stats_available_bytes", "gauge", {"namespace", "persistentvolumeclaim"},
     "volume_stats", True, "pods with"),
    ("redis-exporter", "redis_commands_total", "counter", {"cmd"}, "info", True, ""),
    ("redis-exporter", "redis_key_size", "gauge", {"db", "key"}, "keys", False, "flags:"),
    ("alertmanager", "process_resident_memory_bytes", "gauge", set(), "go-process", True, ""),
    ("node-exporter", "go_gc_heap_allocs_bytes_total", "counter", set(), "go-runtime-metrics", False, "the exporter"),
])
def test_well_known_family(catalog: str, name: str, mtype: str, labels: set[str], collector: str,
                           default: bool | None, condition: str) -> None:
    metric, cat = _family(catalog, name)
    assert metric.type == mtype
    assert labels <= set(metric.labels), sorted(metric.labels)
    assert metric.collector == collector
    if collector:
        assert cat.collectors[collector].default is default
        assert cat.collectors[collector].condition.startswith(condition)
        if not condition:  # no condition: the family is there wherever the collector runs
            assert not cat.collectors[collector].condition


def test_versions_are_recorded() -> None:
    old, _ = _family("node-exporter", "node_cpu")  # renamed node_cpu_seconds_total in 0.16
    assert old.until == "v0.15.2"
    v1, _ = _family("kube-state-metrics", "kube_pod_container_resource_requests_cpu_cores")
    assert v1.until.startswith("v1.")
    new, _ = _family("prometheus-server", "prometheus_remote_storage_samples_dropped_total")
    assert new.since and not new.until


def test_label_prefixes_mark_labels_made_from_user_data() -> None:
    labels, _ = _family("kube-state-metrics", "kube_pod_labels")
    assert labels.label_prefixes == ["label_"]
    assert "label_POD_LABEL" not in labels.labels
    assert "label_prefixes:\n  - label_" in Catalog(name="x", metrics=[labels]).as_yaml()


def test_a_metric_of_an_unlisted_collector_is_rejected_with_its_name() -> None:
    with pytest.raises(DefinitionError, match="metrics name collector\\(s\\) systemd missing from collectors"):
        Catalog(name="x", collectors={"cpu": Collector()},
                metrics=[Metric(name="node_systemd_units", type="gauge", collector="systemd")])


def _coverage_module():  # noqa: ANN202 - a script, loaded by path
    path = ROOT / "scripts" / "catalogs" / "coverage.py"
    spec = importlib.util.spec_from_file_location("catalog_coverage", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["catalog_coverage"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def corpus_names() -> tuple[dict[str, set[str]], set[str]]:
    if not CORPUS.is_dir():
        pytest.fail(f"the corpus is missing: {CORPUS}")
    names, records, _ = _coverage_module().corpus_queries(CORPUS)
    return names, records


#: Names the corpus queries in a catalog's namespaces that the catalog lacks, and why
#: (docs/catalog.md): not that exporter's metrics, or the user's own configuration.
EXPECTED_MISSES = {
    # kubernetes-autoscaling: custom-resource-state metrics (the user's CRS configuration);
    # kubernetes: kube_pod_windows_container_* from windows-exporter recording rules outside the corpus.
    "kube-state-metrics": 8,
    # supabase queries its own exporter's pg_* names (pg_stat_database_xact_commit_total, ...).
    "postgres-exporter": 13,
    # kubernetes: the certificate manager's kubelet_certificate_manager_* / kubelet_server_expiration_renew_errors
    # (files not read) and kubelet_node_config_error (dynamic kubelet config, removed in 1.24).
    "kubelet": 5,
}


@pytest.mark.parametrize("name", BUILT)
def test_corpus_queries_no_unknown_name_in_the_catalogs_namespaces(
        name: str, corpus_names: tuple[dict[str, set[str]], set[str]]) -> None:
    names, records = corpus_names
    catalog = shipped(name)
    series = catalog.series()
    queried = [n for n in names if n.startswith(tuple(catalog.namespaces)) and n not in records]
    missing = sorted(n for n in queried if n not in series)
    assert len(missing) <= EXPECTED_MISSES.get(name, 0), missing


# --------------------------------------------------------------------------- real components

def _compare(catalog_name: str, text: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Families of a real scrape the catalog lacks, or has with another type or fewer labels."""
    families = {m.name: m for m in shipped(catalog_name).metrics}
    problems = []
    for metric in from_exposition("scrape", text).metrics:
        if metric.name in allowed:
            continue
        known = families.get(metric.name)
        if known is None:
            problems.append(f"{metric.name} missing")
        elif known.type != metric.type:
            problems.append(f"{metric.name} is {metric.type}, catalog says {known.type}")
        elif not set(metric.labels) <= set(known.labels):
            problems.append(f"{metric.name} labels {sorted(set(metric.labels) - set(known.labels))} not in catalog")
    return problems


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus-node-exporter")
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    exporter = spawn("node-exporter", [binary, f"--web.listen-address=127.0.0.1:{port}"], tmp_path)
    try:
        wait_until(http_ok(url), 15, f"the node exporter on {url}", exporter)
        yield url
    finally:
        exporter.stop()


@pytest.mark.integration
def test_real_node_exporter_serves_nothing_the_catalog_lacks(node_exporter: str) -> None:
    assert _compare("node-exporter", httpx.get(node_exporter, timeout=10).text) == []


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: self\n"
                      f"  static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n", encoding="utf-8")
    server = spawn("prometheus", [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                                  f"--storage.tsdb.path={tmp_path / 'data'}"], tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(http_ok(f"{url}/-/ready"), 30, f"prometheus on {url}", server)
        # A scrape of itself has run: the scrape and target families exist.
        wait_until(lambda: "prometheus_target_interval_length_seconds" in httpx.get(f"{url}/metrics").text, 30,
                   "prometheus' first self-scrape", server)
        yield f"{url}/metrics"
    finally:
        server.stop()


@pytest.mark.integration
def test_real_prometheus_serves_nothing_the_catalog_lacks(prometheus_server: str) -> None:
    assert _compare("prometheus-server", httpx.get(prometheus_server, timeout=10).text) == []


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus-alertmanager")
    port, cluster = free_port(), free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text("route: {receiver: nobody}\nreceivers: [{name: nobody}]\n", encoding="utf-8")
    server = spawn("alertmanager", [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                                    f"--cluster.listen-address=127.0.0.1:{cluster}",
                                    f"--storage.path={tmp_path / 'data'}"], tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(http_ok(f"{url}/-/ready"), 30, f"alertmanager on {url}", server)
        yield f"{url}/metrics"
    finally:
        server.stop()


@pytest.mark.integration
def test_real_alertmanager_serves_nothing_the_catalog_lacks(alertmanager: str) -> None:
    assert _compare("alertmanager", httpx.get(alertmanager, timeout=10).text) == []


BUILD = ROOT / "scripts" / "catalogs" / "build.py"


def test_build_script_wants_owner_name_and_a_git_directory(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(BUILD), "prometheus/pushgateway"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "'prometheus/pushgateway': give OWNER/NAME=GITDIR" in result.stderr
    result = subprocess.run([sys.executable, str(BUILD), f"prometheus/pushgateway={tmp_path}"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert f"prometheus/pushgateway: {tmp_path} is not a git directory" in result.stderr


def test_build_script_says_which_repository_a_catalog_needs(tmp_path: Path) -> None:
    git = tmp_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", str(git)], check=True)
    result = subprocess.run([sys.executable, str(BUILD), f"prometheus/client_golang={git}", "--only", "pushgateway",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "pushgateway: not built, needs prometheus/pushgateway" in result.stderr
    assert not (tmp_path / "pushgateway.yml").exists()


def test_unknown_shipped_catalog_names_the_new_ones() -> None:
    with pytest.raises(DefinitionError) as info:
        shipped("kube-state-metric")
    assert "kube-state-metrics" in info.value.message and "prometheus-server" in info.value.message


def test_catalog_files_are_yaml_the_loader_reads() -> None:
    for path in sorted(CATALOGS.glob("*.yml")):
        assert load_yaml(path).name == path.stem
