"""The prometheus-operator objects of a stack: PrometheusRule per rule file, ServiceMonitor /
PodMonitor per monitored job, ScrapeConfig per other job. Each is checked against the upstream
CRD, its rules with the real promtool, and a PrometheusRule against `obscode import rules`."""

from __future__ import annotations

import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from obscode import (
    AlertRule, BasicAuth, GlobalConfig, KubernetesSDConfig, KubernetesSettings, LabelSelector, Monitor,
    PrometheusConfig, RecordingRule, RelabelConfig, RuleFile, RuleGroup, ScrapeConfig, SecretRef, Stack,
    StaticConfig,
)
from obscode.build import load
from obscode.emit import kubernetes as kubernetes_output
from obscode.emit import render_stack
from obscode.emit.prometheus import rule_file_data
from obscode.errors import DefinitionError
from obscode.importers import roundtrip
from obscode.kubernetes import monitoring
from obscode.kubernetes import monitoring_models as models
from obscode.kubernetes.meta import KubeModel
from obscode.model.base import Model
from obscode.model.scrape import RELABEL_ACTIONS
from tests.conftest import ROOT, require_tool
from tests.importers.helpers import generated, imported
from tests.kubernetes.crd import assert_valid, crd, errors

OUTPUTS = ["prometheus", "alertmanager", "grafana", "kubernetes"]
MODELS = {"PrometheusRule": models.PrometheusRule, "ServiceMonitor": models.ServiceMonitor,
          "PodMonitor": models.PodMonitor, "ScrapeConfig": models.ScrapeConfig}

API = ScrapeConfig(
    job_name="api", metrics_path="/internal/metrics", scheme="https", honor_labels=True,
    params={"format": ["prometheus"]},
    static_configs=[StaticConfig(targets=["api-1:8000", "api-2:8000"], labels={"tier": "web"})],
    basic_auth=BasicAuth(username="scraper", password=SecretRef(file="/etc/prometheus/secrets/api-password")),
    metric_relabel_configs=[RelabelConfig(action="drop", source_labels=["__name__"], regex="go_.*")],
)
ORDERS = ScrapeConfig(
    job_name="orders", scrape_interval="15s",
    kubernetes_sd_configs=[KubernetesSDConfig(role="endpoints")],
    relabel_configs=[RelabelConfig(source_labels=["__meta_kubernetes_pod_node_name"], target_label="node")],
    bearer_token=SecretRef(file="/var/run/secrets/orders-token"),
)
WORKERS = ScrapeConfig(job_name="workers", scrape_interval="5s",
                       kubernetes_sd_configs=[KubernetesSDConfig(role="pod", namespaces=["jobs"])])
CLUSTER = ScrapeConfig(
    job_name="cluster-nodes",
    kubernetes_sd_configs=[KubernetesSDConfig(role="node", api_server="https://k8s.example.com:6443",
                                              namespaces=["a", "b"])],
    relabel_configs=[RelabelConfig(action="hashmod", source_labels=["__address__"], modulus=4,
                                   target_label="__tmp_shard"),
                     RelabelConfig(action="keep", source_labels=["__tmp_shard"], regex="0")],
)
ALERTS = RuleFile(name="shop_alerts", groups=[
    RuleGroup(name="api", interval="30s", partial_response_strategy="warn", rules=[
        AlertRule(alert="ApiDown", expr='up{job="api"} == 0', for_="2m", keep_firing_for="5m",
                  labels={"severity": "critical"}, annotations={"summary": "{{ $labels.instance }} is down"})]),
    RuleGroup(name="orders", limit=10, rules=[
        RecordingRule(record="job:orders_up:sum", expr='sum by (job) (up{job="orders"})'),
        AlertRule(alert="OrdersDown", expr="job:orders_up:sum == 0", labels={"severity": "warning"})]),
])
SETTINGS = KubernetesSettings(
    namespace="shop-monitoring", labels={"team": "shop"}, rule_labels={"release": "kps"},
    monitor_labels={"release": "kps", "scrape": "yes"},
    monitors={
        "orders": Monitor(selector=LabelSelector(match_labels={"app": "orders"}), port="http-metrics",
                          namespaces=["shop"]),
        "workers": Monitor(type="PodMonitor", port="metrics", any_namespace=True,
                           selector=LabelSelector.model_validate(
                               {"matchExpressions": [{"key": "role", "operator": "In", "values": ["worker"]}]})),
    },
)


def _stack(jobs: list[ScrapeConfig] | None = None, settings: KubernetesSettings = SETTINGS,
           rule_files: list[RuleFile] | None = None) -> Stack:
    return Stack(name="shop", outputs=OUTPUTS, kubernetes=settings,
                 prometheus=PrometheusConfig(global_=GlobalConfig(scrape_interval="30s", scrape_timeout="10s"),
                                             scrape_configs=jobs if jobs is not None else
                                             [API, ORDERS, WORKERS, CLUSTER]),
                 rule_files=rule_files if rule_files is not None else [ALERTS])


def _objects(stack: Stack | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in monitoring.objects(stack or _stack())}


def _quantis() -> Stack:
    stack = load(ROOT / "stacks" / "quantis").stack
    return stack.model_copy(update={"outputs": [*stack.outputs, "kubernetes"], "kubernetes": KubernetesSettings()})


def _every_object() -> list[dict[str, Any]]:
    return [*monitoring.objects(_stack()), *monitoring.objects(_quantis())]


# -- what each object holds ---------------------------------------------------------------------
def test_a_rule_file_becomes_one_prometheus_rule_with_its_groups() -> None:
    rule = _objects()["PrometheusRule", "shop-shop-alerts"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"] == {"name": "shop-shop-alerts", "namespace": "shop-monitoring",
                                "labels": {"app.kubernetes.io/part-of": "shop", "team": "shop", "release": "kps"}}
    plain = rule_file_data(ALERTS)["groups"]
    assert rule["spec"]["groups"] == [{**plain[0], "partial_response_strategy": "warn"}, plain[1]]


def test_partial_response_strategy_is_written_only_where_a_group_sets_it() -> None:
    api, orders = _objects()["PrometheusRule", "shop-shop-alerts"]["spec"]["groups"]
    assert api["partial_response_strategy"] == "warn"
    assert "partial_response_strategy" not in orders


def test_a_monitored_job_becomes_a_service_monitor_that_keeps_its_job_label() -> None:
    assert _objects()["ServiceMonitor", "shop-orders"] == {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "shop-orders", "namespace": "shop-monitoring",
                     "labels": {"app.kubernetes.io/part-of": "shop", "team": "shop", "release": "kps",
                                "scrape": "yes"}},
        "spec": {
            "selector": {"matchLabels": {"app": "orders"}},
            "namespaceSelector": {"matchNames": ["shop"]},
            "endpoints": [{
                "port": "http-metrics",
                "interval": "15s",
                "scrapeTimeout": "10s",
                "authorization": {"type": "Bearer", "credentials": {"name": "shop-secrets", "key": "orders-token"}},
                "relabelings": [
                    {"replacement": "orders", "targetLabel": "job", "action": "replace"},
                    {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node", "action": "replace"},
                ],
            }],
        },
    }


def test_a_pod_monitor_in_every_namespace() -> None:
    monitor = _objects()["PodMonitor", "shop-workers"]
    assert monitor["spec"] == {
        "selector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["worker"]}]},
        "namespaceSelector": {"any": True},
        # the global timeout (10s) is longer than the job's interval: Prometheus takes the interval
        "podMetricsEndpoints": [{"port": "metrics", "interval": "5s", "scrapeTimeout": "5s",
                                 "relabelings": [{"replacement": "workers", "targetLabel": "job",
                                                  "action": "replace"}]}],
    }


def test_a_static_job_becomes_a_scrape_config_with_secret_key_references() -> None:
    scrape = _objects()["ScrapeConfig", "shop-api"]
    assert scrape["apiVersion"] == "monitoring.coreos.com/v1alpha1"
    assert scrape["spec"] == {
        "jobName": "api",
        "scrapeInterval": "30s",
        "scrapeTimeout": "10s",
        "metricsPath": "/internal/metrics",
        "scheme": "https",
        "honorLabels": True,
        "params": {"format": ["prometheus"]},
        "basicAuth": {"username": {"name": "shop-secrets", "key": "api-password-username"},
                      "password": {"name": "shop-secrets", "key": "api-password"}},
        "staticConfigs": [{"targets": ["api-1:8000", "api-2:8000"], "labels": {"tier": "web"}}],
        "metricRelabelings": [{"sourceLabels": ["__name__"], "regex": "go_.*", "action": "drop"}],
    }


def test_a_discovery_job_becomes_a_scrape_config_with_the_operators_role_names() -> None:
    spec = _objects()["ScrapeConfig", "shop-cluster-nodes"]["spec"]
    assert spec["kubernetesSDConfigs"] == [{"role": "Node", "apiServer": "https://k8s.example.com:6443",
                                            "namespaces": {"names": ["a", "b"]}}]
    assert spec["relabelings"] == [
        {"sourceLabels": ["__address__"], "modulus": 4, "targetLabel": "__tmp_shard", "action": "hashmod"},
        {"sourceLabels": ["__tmp_shard"], "regex": "0", "action": "keep"},
    ]


def test_the_secret_is_the_one_the_settings_name() -> None:
    settings = SETTINGS.model_copy(update={"secret_name": "scrape-credentials"})
    spec = _objects(_stack(settings=settings))["ScrapeConfig", "shop-api"]["spec"]
    assert {ref["name"] for ref in spec["basicAuth"].values()} == {"scrape-credentials"}


def test_no_secret_path_or_value_is_written() -> None:
    text = b"".join(kubernetes_output.emit(_stack()).values())
    assert b"/etc/prometheus/secrets" not in text and b"/var/run/secrets" not in text
    assert b"scraper" not in text


def test_quantis_kubernetes_job_becomes_a_node_scrape_config_with_its_relabelings() -> None:
    stack = _quantis()
    scrape = {(o["kind"], o["metadata"]["name"]): o for o in kubernetes_output.objects(stack)}[
        "ScrapeConfig", "quantis-kubernetes"]
    spec = scrape["spec"]
    assert spec["jobName"] == "kubernetes"
    assert spec["kubernetesSDConfigs"] == [{"role": "Node"}]
    assert spec["relabelings"] == [
        {"sourceLabels": ["__address__"], "regex": "(.*):10250", "replacement": "${1}:9100",
         "targetLabel": "__address__", "action": "replace"},
        {"regex": "__meta_kubernetes_node_label_(.+)", "action": "labelmap"},
    ]
    jobs = [job.job_name for job in stack.prometheus.scrape_configs]  # type: ignore[union-attr]
    assert sorted(o["spec"]["jobName"] for o in monitoring.objects(stack) if o["kind"] == "ScrapeConfig") \
        == sorted(jobs)


@pytest.mark.parametrize("model", [ScrapeConfig, StaticConfig, KubernetesSDConfig, RelabelConfig, BasicAuth])
def test_every_field_of_the_scrape_models_is_translated(model: type) -> None:
    own = set(model.model_fields) - set(Model.model_fields)  # Model's own fields are obscode's (ignore)
    assert own == monitoring.TRANSLATED[model.__name__]


# -- agreement with upstream --------------------------------------------------------------------
def test_every_object_is_valid_against_the_upstream_crd() -> None:
    found = _every_object()
    assert {o["kind"] for o in found} == set(MODELS)
    for obj in found:
        assert_valid(obj)


def test_the_typed_models_read_back_what_they_write() -> None:
    for obj in _every_object():
        assert MODELS[obj["kind"]].model_validate(obj).data() == obj


def _kube_models(annotation: Any) -> list[type[KubeModel]]:
    """The KubeModel classes an annotation holds (``list[X]``, ``X | None``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, KubeModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _kube_models(arg)]


def _fields_missing_from(model: type[KubeModel], schema: dict[str, Any], where: str) -> list[str]:
    schema = schema.get("items", schema)
    properties = schema.get("properties")
    if properties is None:  # metadata: the API server's ObjectMeta, which the CRD does not describe
        return []
    missing = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in properties:
            missing.append(f"{where}.{key}")
            continue
        for inner in _kube_models(field.annotation):
            missing.extend(_fields_missing_from(inner, properties[key], f"{where}.{key}"))
    return missing


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_field_of_the_typed_models_is_in_the_crd(kind: str) -> None:
    model = MODELS[kind]
    version = model.API_VERSION.rpartition("/")[2]
    schema = next(v["schema"]["openAPIV3Schema"] for v in crd(kind)["spec"]["versions"] if v["name"] == version)
    assert _fields_missing_from(model, schema, kind) == []


def test_every_relabel_action_prometheus_knows_is_in_the_operators_enum() -> None:
    for kind, path in (("ServiceMonitor", ["endpoints", "items", "properties", "relabelings"]),
                       ("PodMonitor", ["podMetricsEndpoints", "items", "properties", "relabelings"]),
                       ("ScrapeConfig", ["relabelings"])):
        version = MODELS[kind].API_VERSION.rpartition("/")[2]
        node = next(v["schema"]["openAPIV3Schema"] for v in crd(kind)["spec"]["versions"] if v["name"] == version)
        node = node["properties"]["spec"]["properties"]
        for step in path:
            node = node[step]
        assert set(RELABEL_ACTIONS) <= set(node["items"]["properties"]["action"]["enum"]), kind


def _with_unknown(obj: dict[str, Any], path: list[str | int]) -> dict[str, Any]:
    copy = yaml.safe_load(yaml.safe_dump(obj))
    target = copy
    for step in path:
        target = target[step]
    target["scrapeEvery"] = "1m"
    return copy


@pytest.mark.parametrize(("kind", "name", "path"), [
    ("PrometheusRule", "shop-shop-alerts", ["spec"]),
    ("PrometheusRule", "shop-shop-alerts", ["spec", "groups", 0, "rules", 0]),
    ("ServiceMonitor", "shop-orders", ["spec", "endpoints", 0]),
    ("ServiceMonitor", "shop-orders", ["spec", "endpoints", 0, "relabelings", 0]),
    ("PodMonitor", "shop-workers", ["spec", "podMetricsEndpoints", 0]),
    ("ScrapeConfig", "shop-api", ["spec"]),
    ("ScrapeConfig", "shop-api", ["spec", "basicAuth", "password"]),
    ("ScrapeConfig", "shop-cluster-nodes", ["spec", "kubernetesSDConfigs", 0]),
])
def test_an_unknown_field_is_rejected_by_the_model_and_by_the_crd(kind: str, name: str, path: list[str | int]) -> None:
    bad = _with_unknown(_objects()[kind, name], path)
    assert any("scrapeEvery" in e for e in errors(bad))
    with pytest.raises(ValidationError, match="scrapeEvery"):
        MODELS[kind].model_validate(bad)


def test_a_role_the_operator_does_not_spell_that_way_is_rejected_by_both() -> None:
    bad = _with_unknown(_objects()["ScrapeConfig", "shop-cluster-nodes"], ["spec"])
    del bad["spec"]["scrapeEvery"]
    bad["spec"]["kubernetesSDConfigs"][0]["role"] = "node"
    assert errors(bad)
    with pytest.raises(ValidationError, match="role"):
        models.ScrapeConfig.model_validate(bad)


def test_promtool_accepts_the_groups_of_every_prometheus_rule(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    rules = [o for o in _every_object() if o["kind"] == "PrometheusRule"]
    assert len(rules) >= 3
    files = []
    for obj in rules:
        # partial_response_strategy is Thanos Ruler's: the operator leaves it out of a Prometheus'
        # rule files, and promtool (Prometheus' rulefmt) refuses it.
        groups = [{k: v for k, v in g.items() if k != "partial_response_strategy"} for g in obj["spec"]["groups"]]
        path = tmp_path / f"{obj['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([promtool, "check", "rules", *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_a_prometheus_rule_round_trips_through_import_rules(tmp_path: Path) -> None:
    rule_file = RuleFile(name="shop_alerts", groups=[g.model_copy(update={"partial_response_strategy": None})
                                                     for g in ALERTS.groups])
    obj = _objects(_stack(rule_files=[rule_file]))["PrometheusRule", "shop-shop-alerts"]
    source = tmp_path / "shop-alerts.yaml"
    source.write_text(yaml.safe_dump(obj, sort_keys=False), encoding="utf-8")
    imported("rules", source, stack=tmp_path / "stack")
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip([source], out) == []


# -- what the operator cannot express -----------------------------------------------------------
def _error(stack: Stack) -> str:
    with pytest.raises(DefinitionError) as caught:
        render_stack(stack)
    return str(caught.value)


def test_a_kubeconfig_file_is_a_definition_error_naming_the_job_and_field() -> None:
    job = ScrapeConfig(job_name="remote",
                       kubernetes_sd_configs=[KubernetesSDConfig(role="pod", kubeconfig_file="/etc/kube/config")])
    message = _error(_stack([job], settings=KubernetesSettings()))
    assert ("scrape job remote, field 'kubernetes_sd_configs[0].kubeconfig_file': a ScrapeConfig cannot express it; "
            "the operator's Prometheus discovers with its own service account") in message


def test_labels_of_static_targets_cannot_move_to_a_monitor() -> None:
    settings = KubernetesSettings(monitors={"api": Monitor(selector=LabelSelector(match_labels={"app": "api"}),
                                                           port="http")})
    message = _error(_stack([API], settings=settings))
    assert ("scrape job api, field 'static_configs[0].labels': a ServiceMonitor cannot express it; its targets "
            "come from the monitor's selector; set the labels with a relabel_configs step") in message


def test_a_monitor_cannot_discover_in_another_cluster() -> None:
    settings = KubernetesSettings(monitors={"cluster-nodes": Monitor(type="PodMonitor", port="metrics",
                                                                     selector=LabelSelector())})
    message = _error(_stack([CLUSTER], settings=settings))
    assert ("scrape job cluster-nodes, field 'kubernetes_sd_configs[0].api_server': a PodMonitor cannot express "
            "it; a monitor discovers in the operator's own cluster") in message


def test_a_monitor_for_a_job_the_stack_does_not_have_is_named() -> None:
    settings = KubernetesSettings(monitors={"ordres": Monitor(selector=LabelSelector(), port="http")})
    message = _error(_stack([API, ORDERS], settings=settings))
    assert "kubernetes settings, field 'monitors': 'ordres' is not a scrape job of the stack; jobs: api, orders" \
        in message


def test_a_secret_file_name_that_cannot_be_a_secret_key_is_named() -> None:
    job = API.model_copy(update={"basic_auth": BasicAuth(username="u", password=SecretRef(
        file="/etc/prometheus/secrets/api password"))})
    message = _error(_stack([job], settings=KubernetesSettings()))
    assert ("scrape job api, field 'basic_auth.password': the secret 'api password' cannot be a key of a "
            "Kubernetes Secret") in message
