"""kubernetes/selectors: the target Prometheus and Alertmanager select every generated object,
with prometheus-operator's semantics (a null object selector selects nothing, a null namespace
selector the resource's own namespace only, ``{}`` everything); and PrometheusTarget /
AlertmanagerTarget read from the manifests kube-prometheus-stack installs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from obscode import (
    AlertmanagerTarget, KubernetesSettings, LabelSelector, PrometheusTarget, SelectorRequirement, Stack,
)
from obscode.checks import CheckContext, run_checks
from obscode.cli import main
from obscode.emit.rendered import Rendered
from tests.kubernetes.crd import assert_valid

CHECK = "kubernetes/selectors"
KPS = "kube-prometheus-stack"
RELEASE = LabelSelector(match_labels={"release": KPS})
PART_OF = {"app.kubernetes.io/part-of": "shop"}

#: kind → (apiVersion, the file the kubernetes output writes it to)
KINDS = {
    "PrometheusRule": "monitoring.coreos.com/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PodMonitor": "monitoring.coreos.com/v1",
    "ScrapeConfig": "monitoring.coreos.com/v1alpha1",
    "AlertmanagerConfig": "monitoring.coreos.com/v1alpha1",
    "ConfigMap": "v1",
}


def kps_prometheus(**overrides: Any) -> PrometheusTarget:
    """kube-prometheus-stack's Prometheus with its default values: every selector is the release label."""
    fields: dict[str, Any] = dict(
        name=f"{KPS}-prometheus", namespace="monitoring",
        rule_selector=RELEASE, rule_namespace_selector=LabelSelector(),
        service_monitor_selector=RELEASE, service_monitor_namespace_selector=LabelSelector(),
        pod_monitor_selector=RELEASE, pod_monitor_namespace_selector=LabelSelector(),
        scrape_config_selector=RELEASE, scrape_config_namespace_selector=LabelSelector())
    fields.update(overrides)
    return PrometheusTarget(**fields)


def kps_alertmanager(**overrides: Any) -> AlertmanagerTarget:
    fields: dict[str, Any] = dict(name=f"{KPS}-alertmanager", namespace="monitoring",
                                  alertmanager_config_selector=RELEASE,
                                  alertmanager_config_namespace_selector=LabelSelector())
    fields.update(overrides)
    return AlertmanagerTarget(**fields)


def obj(kind: str, name: str = "shop-api", labels: dict[str, str] | None = None,
        namespace: str = "monitoring") -> dict[str, Any]:
    return {"apiVersion": KINDS[kind], "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": {**PART_OF, **(labels or {})}},
            "spec": {}}


def found(*objects: dict[str, Any], **settings: Any) -> list[str]:
    """The check's findings on ``objects`` as the kubernetes output writes them."""
    settings.setdefault("prometheus", kps_prometheus())
    settings.setdefault("alertmanager", kps_alertmanager())
    stack = Stack(name="shop", kubernetes=KubernetesSettings(**settings))
    files = {f"kubernetes/{o['kind'].lower()}-{o['metadata']['name']}.yaml": yaml.safe_dump(o).encode()
             for o in objects}
    ctx = CheckContext(stack=stack, files=files, output=Rendered(stack.name, files))
    return [f"{p.stack}: {p.severity}[{p.check}] {p.file}: {p.obj}, field {p.field!r}: {p.message}"
            for p in run_checks(ctx, only=[CHECK])]


def messages(*objects: dict[str, Any], **settings: Any) -> list[str]:
    """Only the messages (after the object and field)."""
    return [line.split("': ", 1)[1] for line in found(*objects, **settings)]


# -- selected: no finding --------------------------------------------------------------------

SELECTED = [
    ("the release label on every kind",
     [obj(k, labels={"release": KPS}) for k in ("PrometheusRule", "ServiceMonitor", "PodMonitor", "ScrapeConfig",
                                                 "AlertmanagerConfig")], {}),
    ("{} selects every object",
     [obj("PrometheusRule")], {"prometheus": kps_prometheus(rule_selector=LabelSelector())}),
    ("a null namespace selector: the target's own namespace",
     [obj("PrometheusRule", labels={"release": KPS})],
     {"prometheus": kps_prometheus(rule_namespace_selector=None)}),
    ("a namespace selector matching the declared namespace labels",
     [obj("PrometheusRule", labels={"release": KPS}, namespace="apps")],
     {"namespace": "apps", "namespace_labels": {"monitoring": "on"},
      "prometheus": kps_prometheus(rule_namespace_selector=LabelSelector(match_labels={"monitoring": "on"}))}),
    ("kubernetes.io/metadata.name is always a namespace label",
     [obj("PrometheusRule", labels={"release": KPS}, namespace="apps")],
     {"namespace": "apps", "prometheus": kps_prometheus(rule_namespace_selector=LabelSelector(
         match_expressions=[SelectorRequirement(key="kubernetes.io/metadata.name", operator="In",
                                                values=["apps", "web"])]))}),
    ("set-based requirements that hold",
     [obj("PrometheusRule", labels={"team": "ml", "tier": "gold"})],
     {"prometheus": kps_prometheus(rule_selector=LabelSelector(match_expressions=[
         SelectorRequirement(key="team", operator="Exists"),
         SelectorRequirement(key="tier", operator="NotIn", values=["bronze"]),
         SelectorRequirement(key="legacy", operator="DoesNotExist")]))}),
    ("kinds no target selects are not checked", [obj("ConfigMap")], {}),
    ("no target declared: nothing checked",
     [obj("PrometheusRule"), obj("AlertmanagerConfig")], {"prometheus": None, "alertmanager": None}),
]


@pytest.mark.parametrize(("objects", "settings"), [c[1:] for c in SELECTED], ids=[c[0] for c in SELECTED])
def test_selected_objects_pass(objects: list[dict[str, Any]], settings: dict[str, Any]) -> None:
    assert found(*objects, **settings) == []


# -- the missing release label ----------------------------------------------------------------

def test_a_rule_without_the_release_label_names_object_file_selector_and_the_label_to_add() -> None:
    assert found(obj("PrometheusRule", "shop-alerts")) == [
        "shop: error[kubernetes/selectors] kubernetes/prometheusrule-shop-alerts.yaml: PrometheusRule shop-alerts, "
        "field 'metadata.labels': ruleSelector of Prometheus monitoring/kube-prometheus-stack-prometheus: "
        "release=kube-prometheus-stack does not select it: it lacks label release=kube-prometheus-stack, so its "
        'rules are never evaluated; add rule_labels={"release": "kube-prometheus-stack"}']


@pytest.mark.parametrize(("kind", "selector", "setting", "lost"), [
    ("ServiceMonitor", "serviceMonitorSelector", "monitor_labels", "its targets are never scraped"),
    ("PodMonitor", "podMonitorSelector", "monitor_labels", "its targets are never scraped"),
    ("ScrapeConfig", "scrapeConfigSelector", "monitor_labels", "its targets are never scraped"),
])
def test_monitors_are_checked_against_their_own_selector(kind: str, selector: str, setting: str, lost: str) -> None:
    assert messages(obj(kind)) == [
        f"{selector} of Prometheus monitoring/kube-prometheus-stack-prometheus: release=kube-prometheus-stack "
        f"does not select it: it lacks label release=kube-prometheus-stack, so {lost}; "
        f'add {setting}={{"release": "kube-prometheus-stack"}}']


def test_the_alertmanager_config_is_checked_against_the_alertmanager() -> None:
    assert messages(obj("AlertmanagerConfig")) == [
        "alertmanagerConfigSelector of Alertmanager monitoring/kube-prometheus-stack-alertmanager: "
        "release=kube-prometheus-stack does not select it: it lacks label release=kube-prometheus-stack, so its "
        'routes, receivers and inhibit rules are never loaded; add alertmanager_config_labels={"release": '
        '"kube-prometheus-stack"}']


def test_each_unselected_object_is_one_finding_and_they_share_one_cause() -> None:
    stack = Stack(name="shop", kubernetes=KubernetesSettings(prometheus=kps_prometheus()))
    objects = [obj("PrometheusRule", "shop-alerts"), obj("PrometheusRule", "shop-records"),
               obj("PrometheusRule", "shop-slos", labels={"release": KPS})]
    files = {f"kubernetes/prometheusrule-{o['metadata']['name']}.yaml": yaml.safe_dump(o).encode() for o in objects}
    problems = run_checks(CheckContext(stack=stack, files=files), only=[CHECK])
    assert [(p.file, p.obj) for p in problems] == [
        ("kubernetes/prometheusrule-shop-alerts.yaml", "PrometheusRule shop-alerts"),
        ("kubernetes/prometheusrule-shop-records.yaml", "PrometheusRule shop-records")]
    assert len({p.group_key() for p in problems}) == 1
    assert all(p.severity == "error" for p in problems)
    assert problems[0].source is not None and problems[0].source.file.endswith("test_selectors.py")


# -- other label mismatches ---------------------------------------------------------------------

def test_a_wrong_value_says_which_value_is_expected() -> None:
    assert messages(obj("PrometheusRule", labels={"release": "kps"})) == [
        "ruleSelector of Prometheus monitoring/kube-prometheus-stack-prometheus: release=kube-prometheus-stack "
        "does not select it: it carries release=kps, not release=kube-prometheus-stack, so its rules are never "
        'evaluated; add rule_labels={"release": "kube-prometheus-stack"}']


def test_set_based_requirements_say_what_to_add_and_what_to_remove() -> None:
    selector = LabelSelector(match_expressions=[
        SelectorRequirement(key="team", operator="Exists"),
        SelectorRequirement(key="tier", operator="In", values=["gold", "silver"]),
        SelectorRequirement(key="legacy", operator="DoesNotExist"),
        SelectorRequirement(key="env", operator="NotIn", values=["dev"])])
    assert messages(obj("PrometheusRule", labels={"legacy": "yes", "env": "dev"}),
                    labels={"env": "dev"}, rule_labels={"legacy": "yes"},
                    prometheus=kps_prometheus(rule_selector=selector)) == [
        "ruleSelector of Prometheus monitoring/kube-prometheus-stack-prometheus: team Exists, tier In (gold,silver), "
        "legacy DoesNotExist, env NotIn (dev) does not select it: it lacks labels tier=gold, team (any value) and "
        "it carries legacy=yes, which the selector excludes and it carries env=dev, which the selector excludes, "
        'so its rules are never evaluated; add rule_labels={"tier": "gold", "team": "<any value>"}; '
        "remove 'legacy' from rule_labels; remove 'env' from labels"]


def test_a_selector_excluding_the_part_of_label_says_obscode_sets_it() -> None:
    selector = LabelSelector(match_expressions=[SelectorRequirement(key="app.kubernetes.io/part-of",
                                                                    operator="DoesNotExist")])
    [message] = messages(obj("PrometheusRule"), prometheus=kps_prometheus(rule_selector=selector))
    assert message.endswith("obscode puts app.kubernetes.io/part-of on every object: change the selector to allow it")


def test_a_null_object_selector_selects_nothing() -> None:
    assert messages(obj("ServiceMonitor", labels={"release": KPS}),
                    prometheus=kps_prometheus(service_monitor_selector=None)) == [
        "serviceMonitorSelector of Prometheus monitoring/kube-prometheus-stack-prometheus is null, which selects no "
        "ServiceMonitor at all, so its targets are never scraped: set spec.serviceMonitorSelector on the Prometheus "
        "(matchLabels the objects carry, or {} for every ServiceMonitor)"]


def test_a_null_alertmanager_config_selector_selects_nothing() -> None:
    [message] = messages(obj("AlertmanagerConfig"), alertmanager=kps_alertmanager(alertmanager_config_selector=None))
    assert message.startswith("alertmanagerConfigSelector of Alertmanager monitoring/kube-prometheus-stack-alertmanager"
                              " is null, which selects no AlertmanagerConfig at all")
    assert message.endswith("set spec.alertmanagerConfigSelector on the Alertmanager (matchLabels the objects "
                            "carry, or {} for every AlertmanagerConfig)")


# -- the wrong namespace ----------------------------------------------------------------------------

def test_a_null_namespace_selector_and_another_namespace_names_both_namespaces() -> None:
    assert found(obj("PrometheusRule", "shop-alerts", labels={"release": KPS}, namespace="apps"), namespace="apps",
                 prometheus=kps_prometheus(rule_namespace_selector=None)) == [
        "shop: error[kubernetes/selectors] kubernetes/prometheusrule-shop-alerts.yaml: PrometheusRule shop-alerts, "
        "field 'metadata.namespace': ruleNamespaceSelector of Prometheus "
        "monitoring/kube-prometheus-stack-prometheus is null, which selects PrometheusRules in its own namespace "
        "monitoring only, and this one is in namespace apps, so its rules are never evaluated: "
        'set namespace="monitoring" in KubernetesSettings, or set spec.ruleNamespaceSelector on the Prometheus '
        "(matchLabels of namespace apps, "
        "or {} for every namespace)"]


def test_a_namespace_selector_the_namespace_labels_miss_says_how_to_label_the_namespace() -> None:
    target = kps_prometheus(service_monitor_namespace_selector=LabelSelector(match_labels={"monitoring": "on"}))
    assert messages(obj("ServiceMonitor", labels={"release": KPS}, namespace="apps"), namespace="apps",
                    namespace_labels={"team": "shop"}, prometheus=target) == [
        "serviceMonitorNamespaceSelector of Prometheus monitoring/kube-prometheus-stack-prometheus: monitoring=on "
        "does not select namespace apps (its labels: kubernetes.io/metadata.name=apps, team=shop), so its targets "
        "are never scraped; label the namespace (kubectl label namespace apps monitoring=on) and declare it with "
        'namespace_labels={"monitoring": "on"}']


def test_a_namespace_label_the_selector_excludes_is_to_be_removed() -> None:
    target = kps_prometheus(rule_namespace_selector=LabelSelector(match_expressions=[
        SelectorRequirement(key="sandbox", operator="DoesNotExist")]))
    [message] = messages(obj("PrometheusRule", labels={"release": KPS}), namespace_labels={"sandbox": "true"},
                         prometheus=target)
    assert message.endswith("remove label 'sandbox' from namespace monitoring and from namespace_labels")


def test_wrong_labels_and_wrong_namespace_are_two_findings() -> None:
    lines = found(obj("PodMonitor", namespace="apps"), namespace="apps",
                  prometheus=kps_prometheus(pod_monitor_namespace_selector=None))
    assert [line.split(", field ")[1].split(":")[0] for line in lines] == ["'metadata.labels'", "'metadata.namespace'"]


# -- the targets read from kube-prometheus-stack's manifests ---------------------------------------

PROMETHEUS_MANIFEST = f"""\
# kubectl get prometheus -n monitoring {KPS}-prometheus -o yaml (kube-prometheus-stack 65, trimmed)
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: {KPS}-prometheus
  namespace: monitoring
  labels:
    app: {KPS}-prometheus
    app.kubernetes.io/instance: {KPS}
    app.kubernetes.io/managed-by: Helm
    app.kubernetes.io/part-of: {KPS}
    release: {KPS}
spec:
  alerting:
    alertmanagers:
    - apiVersion: v2
      name: {KPS}-alertmanager
      namespace: monitoring
      pathPrefix: /
      port: http-web
  enableAdminAPI: false
  evaluationInterval: 30s
  externalUrl: http://{KPS}-prometheus.monitoring:9090
  hostNetwork: false
  image: quay.io/prometheus/prometheus:v2.54.1
  listenLocal: false
  logFormat: logfmt
  logLevel: info
  paused: false
  podMonitorNamespaceSelector: {{}}
  podMonitorSelector:
    matchLabels:
      release: {KPS}
  portName: http-web
  probeNamespaceSelector: {{}}
  probeSelector:
    matchLabels:
      release: {KPS}
  replicas: 1
  retention: 10d
  routePrefix: /
  ruleNamespaceSelector: {{}}
  ruleSelector:
    matchLabels:
      release: {KPS}
  scrapeConfigNamespaceSelector: {{}}
  scrapeConfigSelector:
    matchLabels:
      release: {KPS}
  scrapeInterval: 30s
  securityContext:
    fsGroup: 2000
    runAsGroup: 2000
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
  serviceAccountName: {KPS}-prometheus
  serviceMonitorNamespaceSelector: {{}}
  serviceMonitorSelector:
    matchLabels:
      release: {KPS}
  shards: 1
  tsdb:
    outOfOrderTimeWindow: 0s
  version: v2.54.1
  walCompression: true
"""

ALERTMANAGER_MANIFEST = f"""\
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata:
  name: {KPS}-alertmanager
  namespace: monitoring
  labels:
    release: {KPS}
spec:
  alertmanagerConfigMatcherStrategy:
    type: OnNamespace
  alertmanagerConfigNamespaceSelector: {{}}
  alertmanagerConfigSelector:
    matchLabels:
      release: {KPS}
  externalUrl: http://{KPS}-alertmanager.monitoring:9093
  image: quay.io/prometheus/alertmanager:v0.27.0
  listenLocal: false
  logFormat: logfmt
  logLevel: info
  paused: false
  portName: http-web
  replicas: 1
  retention: 120h
  routePrefix: /
  serviceAccountName: {KPS}-alertmanager
  version: v0.27.0
"""


def dump(model: Any) -> dict[str, Any]:
    """A model's fields (``==`` on models also compares where each was built)."""
    return model.model_dump()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_manifests_are_what_the_upstream_crds_accept() -> None:
    assert_valid(yaml.safe_load(PROMETHEUS_MANIFEST))
    assert_valid(yaml.safe_load(ALERTMANAGER_MANIFEST))


def test_prometheus_target_from_a_kube_prometheus_stack_manifest(tmp_path: Path) -> None:
    target = PrometheusTarget.from_file(_write(tmp_path, "prometheus.yaml", PROMETHEUS_MANIFEST))
    assert dump(target) == dump(kps_prometheus())
    assert target.enforced_namespace_label == ""


def test_prometheus_target_from_file_keeps_nulls_and_the_enforced_namespace_label(tmp_path: Path) -> None:
    manifest = yaml.safe_load(PROMETHEUS_MANIFEST)
    for key in ("ruleNamespaceSelector", "serviceMonitorSelector"):
        del manifest["spec"][key]
    manifest["spec"]["enforcedNamespaceLabel"] = "namespace"
    assert_valid(manifest)
    target = PrometheusTarget.from_file(_write(tmp_path, "prometheus.yaml", yaml.safe_dump(manifest)))
    assert target.rule_namespace_selector is None and target.service_monitor_selector is None
    assert dump(target.rule_selector) == dump(RELEASE)
    assert target.enforced_namespace_label == "namespace"


def test_alertmanager_target_from_a_kube_prometheus_stack_manifest(tmp_path: Path) -> None:
    target = AlertmanagerTarget.from_file(_write(tmp_path, "alertmanager.yaml", ALERTMANAGER_MANIFEST))
    assert dump(target) == dump(kps_alertmanager())
    assert target.matcher_strategy == "OnNamespace"


def test_from_file_finds_the_resource_among_others_and_in_a_list(tmp_path: Path) -> None:
    both = _write(tmp_path, "both.yaml", ALERTMANAGER_MANIFEST + "---\n" + PROMETHEUS_MANIFEST)
    assert dump(PrometheusTarget.from_file(both)) == dump(kps_prometheus())
    assert dump(AlertmanagerTarget.from_file(both)) == dump(kps_alertmanager())
    listed = {"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(PROMETHEUS_MANIFEST)]}
    from_list = PrometheusTarget.from_file(_write(tmp_path, "list.yaml", yaml.safe_dump(listed)))
    assert dump(from_list) == dump(kps_prometheus())


def test_from_file_of_a_missing_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "prometheus.yaml"
    with pytest.raises(ValueError) as caught:
        PrometheusTarget.from_file(missing)
    assert str(caught.value) == f"cannot read Prometheus manifest {missing}: No such file or directory"


def test_from_file_without_the_resource_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, "alertmanager.yaml", ALERTMANAGER_MANIFEST)
    with pytest.raises(ValueError) as caught:
        PrometheusTarget.from_file(path)
    assert str(caught.value) == f"{path} holds no Prometheus resource"
    with pytest.raises(ValueError) as caught:
        AlertmanagerTarget.from_file(_write(tmp_path, "empty.yaml", ""))
    assert str(caught.value) == f"{tmp_path / 'empty.yaml'} holds no Alertmanager resource"


def test_from_file_of_a_file_that_is_not_yaml_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, "prometheus.yaml", "spec: [unclosed\n")
    with pytest.raises(ValueError) as caught:
        PrometheusTarget.from_file(path)
    assert str(caught.value).startswith(f"{path} is not YAML: ")


def test_the_check_reads_a_target_from_a_manifest(tmp_path: Path) -> None:
    target = PrometheusTarget.from_file(_write(tmp_path, "prometheus.yaml", PROMETHEUS_MANIFEST))
    [message] = messages(obj("PrometheusRule"), prometheus=target, alertmanager=None)
    assert message.endswith('add rule_labels={"release": "kube-prometheus-stack"}')
    assert messages(obj("PrometheusRule", labels={"release": KPS}), prometheus=target, alertmanager=None) == []


def test_messages_quote_labels_as_python_writes_them() -> None:
    [message] = messages(obj("PrometheusRule"), prometheus=kps_prometheus(
        rule_selector=LabelSelector(match_labels={"release": KPS, "team": "ml"})))
    wanted = message.split("add rule_labels=", 1)[1]
    assert json.loads(wanted) == {"release": KPS, "team": "ml"}


# -- end to end: obscode check on a stack -------------------------------------------------------------

STACK = textwrap.dedent('''\
    from pathlib import Path

    from obscode import *

    HERE = Path(__file__).parent

    stack = Stack(
        name="shop",
        outputs=["prometheus", "alertmanager", "grafana", "kubernetes"],
        prometheus=PrometheusConfig(scrape_configs=[
            ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])]),
            ScrapeConfig(job_name="node", static_configs=[StaticConfig(targets=["node:9100"])])],
            alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["alertmanager:9093"])])]),
        job_catalogs={{"api": ["instrumentation-http"], "node": ["node-exporter"]}},
        rule_files=[RuleFile(name="alerts", groups=[RuleGroup(name="api", rules=[
            AlertRule(alert="ApiDown", expr='up{{job="api"}} == 0', for_="5m", labels={{"severity": "critical"}},
                      annotations={{"summary": "api is down", "description": "no scrape of api for 5m"}})])])],
        alertmanager=AlertmanagerConfig(route=Route(receiver="team"), receivers=[
            Receiver(name="team", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/hook")])]),
        dashboards=[{{"uid": "api", "title": "API", "panels": []}}],
        kubernetes=KubernetesSettings({comment}
            {labels}
            monitors={{"api": Monitor(selector=LabelSelector(match_labels={{"app": "api"}}), port="http")}},
            prometheus=PrometheusTarget.from_file(HERE / "prometheus.yaml"),
            alertmanager=AlertmanagerTarget.from_file(HERE / "alertmanager.yaml"),
        ),
    )
''')


def _check_stack(tmp_path: Path, labels: str = "", comment: str = "") -> Any:
    _write(tmp_path, "prometheus.yaml", PROMETHEUS_MANIFEST)
    _write(tmp_path, "alertmanager.yaml", ALERTMANAGER_MANIFEST)
    path = _write(tmp_path, "shop.py", STACK.format(labels=labels, comment=comment))
    return CliRunner().invoke(main, ["check", str(path), "--no-tools", "--format", "json"])


def _selector_findings(result: Any) -> list[dict[str, Any]]:
    return [f for f in json.loads(result.stdout) if f["check"] == CHECK]


def test_obscode_check_fails_on_every_object_without_the_release_label(tmp_path: Path) -> None:
    result = _check_stack(tmp_path)
    assert result.exit_code == 1, result.output
    findings = _selector_findings(result)
    assert [(f["file"], f["object"], f["field"]) for f in findings] == [
        ("kubernetes/alertmanagerconfig-shop.yaml", "AlertmanagerConfig shop", "metadata.labels"),
        ("kubernetes/prometheusrule-shop-alerts.yaml", "PrometheusRule shop-alerts", "metadata.labels"),
        ("kubernetes/scrapeconfig-shop-node.yaml", "ScrapeConfig shop-node", "metadata.labels"),
        ("kubernetes/servicemonitor-shop-api.yaml", "ServiceMonitor shop-api", "metadata.labels")]
    fixes = [f["message"].rsplit("; ", 1)[1] for f in findings]
    assert fixes == [f'add {setting}={{"release": "kube-prometheus-stack"}}'
                     for setting in ("alertmanager_config_labels", "rule_labels", "monitor_labels", "monitor_labels")]
    line = next(i for i, text in enumerate(STACK.splitlines(), start=1) if "kubernetes=KubernetesSettings(" in text)
    assert {f["source"] for f in findings} == {f"{tmp_path / 'shop.py'}:{line}"}
    assert len({f["group"] for f in findings}) == 4  # one cause per selector
    assert [f for f in json.loads(result.stdout) if f["check"] != CHECK] == []


def test_obscode_check_passes_once_every_object_carries_the_label(tmp_path: Path) -> None:
    result = _check_stack(tmp_path, 'labels={"release": "kube-prometheus-stack"},')
    assert _selector_findings(result) == [], result.output
    assert result.exit_code == 0, result.output


def test_an_inline_comment_on_the_settings_suppresses_the_findings(tmp_path: Path) -> None:
    result = _check_stack(tmp_path, comment="  # obscode: ignore kubernetes/selectors -- rules loaded by hand")
    assert _selector_findings(result) == []
    assert result.exit_code == 0, result.output


def test_the_docs_page_shows_the_messages_the_check_gives() -> None:
    from tests.conftest import ROOT

    page = (ROOT / "docs" / "checks" / "kubernetes-selectors.md").read_text()
    python, message = page.split("## Failing", 1)[1].split("```")[1:4:2]  # the example, then its output
    assert python.startswith("python\n")
    shown = [" ".join(entry.split()).rsplit(" (", 1)[0] for entry in message.split("\nshop: ")[1:]]
    assert len(shown) == 2
    assert found(obj("PrometheusRule", "shop-alerts"), obj("ScrapeConfig", "shop-api")) == [
        f"shop: {line}" for line in shown]


def test_a_missing_manifest_stops_the_stack_from_loading(tmp_path: Path) -> None:
    _write(tmp_path, "alertmanager.yaml", ALERTMANAGER_MANIFEST)
    path = _write(tmp_path, "shop.py", STACK.format(labels="", comment=""))
    result = CliRunner().invoke(main, ["check", str(path), "--no-tools"])
    assert result.exit_code == 2
    assert (f"error: stack shop does not load: ValueError: cannot read Prometheus manifest {tmp_path / 'prometheus.yaml'}"
            ": No such file or directory") in result.stderr
