"""`obscode diff` on stacks that write more than plain Prometheus: the same alert in
prometheus/rules, a PrometheusRule, a Thanos and a Mimir rule file is one change naming its
outputs (each form listed when they disagree); form-specific group settings are group
changes; an AlertmanagerConfig's routes, receivers and inhibit rules, monitors and dashboards
carried by ConfigMaps or GrafanaDashboards show where a reviewer looks for them.

The generated trees are input data built here, every Kubernetes object checked against its
upstream CRD, then the same through the real generator."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from typing import Any, Callable

import pytest
import yaml

from obscode import paths
from obscode.diff import diff_stack
from obscode.diff.changes import Change
from obscode.diff.markdown import render_stack
from tests.kubernetes.crd import CRDS, assert_valid
from tests.review.edits import AM, BOARD, RULES, Tree, alert, base_tree, edit_json, edit_yaml, panel

NAMESPACE = "monitoring"
ALL_RULE_FORMS = ("prometheus", "kubernetes", "thanos", "mimir")


def _meta(name: str, **labels: str) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "quantis", **labels}}


def _dump(obj: Any) -> bytes:
    return yaml.safe_dump(obj, sort_keys=False).encode()


def _object(tree: Tree, obj: dict[str, Any]) -> Tree:
    """``tree`` with ``obj`` as the kubernetes output writes it (checked against its CRD
    when it has one: a ConfigMap is core Kubernetes)."""
    if obj["kind"] in CRDS:
        assert_valid(obj)
    return {**tree, paths.kubernetes_object(obj["kind"], obj["metadata"]["name"]): _dump(obj)}


def rule_forms(tree: Tree, forms: tuple[str, ...] = ("kubernetes", "thanos", "mimir")) -> Tree:
    """``tree`` with its prometheus/rules written in the other forms too, as the generator
    writes them from the same groups."""
    out = dict(tree)
    for path in [p for p in tree if p.startswith(paths.RULES_DIR)]:
        name = path.removeprefix(paths.RULES_DIR).removesuffix(".yml")
        groups = yaml.safe_load(tree[path])["groups"]
        if "kubernetes" in forms:
            out = _object(out, {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                                "metadata": _meta(f"quantis-{name.replace('_', '-')}", release="kps"),
                                "spec": {"groups": groups}})
        if "thanos" in forms:
            out[paths.thanos_rule_file(name)] = _dump(
                {"groups": [{**g, "partial_response_strategy": "abort"} for g in groups]})
        if "mimir" in forms:
            out[paths.mimir_rule_file(name)] = _dump({"namespace": name, "groups": groups})
    return out


PROMETHEUS_RULE = paths.kubernetes_object("PrometheusRule", "quantis-model-alerts")
THANOS_RULES = paths.thanos_rule_file("model_alerts")
MIMIR_RULES = paths.mimir_rule_file("model_alerts")


def _threshold(tree: Tree, path: str = RULES, value: str = "10") -> Tree:
    def change(data: Any) -> None:
        groups = data["spec"]["groups"] if "spec" in data else data["groups"]
        rule = alert({"groups": groups}, "HighModelError")
        rule["expr"] = rule["expr"].replace("> 15", f"> {value}")
    return edit_yaml(tree, path, change)


def _shape(base: Tree, head: Tree) -> list[tuple[str, str, str, tuple[str, ...], list[tuple[str, Any, Any]]]]:
    result = diff_stack("quantis", base, head)
    return [(c.section, c.action, c.name, c.outputs, [(f.field, f.before, f.after) for f in c.fields])
            for c in result.changes]


def _lines(base: Tree, head: Tree) -> list[str]:
    return render_stack(diff_stack("quantis", base, head)).splitlines()


# -- rules in every form --------------------------------------------------------------------

def test_an_alert_changed_alike_in_every_form_is_one_change_naming_the_outputs() -> None:
    base = rule_forms(base_tree())
    head = rule_forms(_threshold(base_tree()))
    assert _shape(base, head) == [
        ("alerts", "changed", "HighModelError", ALL_RULE_FORMS, [("threshold", "> 15", "> 10")])]
    assert "- ✏️ **HighModelError** changed (prometheus, kubernetes, thanos, mimir): threshold on " \
           '`model_prediction_error{metric_type="mape"}`: `> 15` → `> 10`' in _lines(base, head)


def test_only_the_prometheus_form_names_no_output_as_before() -> None:
    result = diff_stack("quantis", base_tree(), _threshold(base_tree()))
    assert [c.outputs for c in result.changes] == [()]
    assert "outputs" not in result.changes[0].as_dict()
    assert "- ✏️ **HighModelError** changed: threshold on " \
           '`model_prediction_error{metric_type="mape"}`: `> 15` → `> 10`' in render_stack(result).splitlines()


def test_an_alert_changed_only_inside_a_prometheusrule_shows_as_that_alerts_change() -> None:
    base = rule_forms(base_tree(), ("kubernetes",))
    head = _threshold(base, PROMETHEUS_RULE)
    assert _shape(base, head) == [
        ("alerts", "changed", "HighModelError", ("kubernetes",), [("threshold", "> 15", "> 10")])]
    assert "- ✏️ **HighModelError** changed (kubernetes): threshold on " \
           '`model_prediction_error{metric_type="mape"}`: `> 15` → `> 10`' in _lines(base, head)


def test_forms_that_disagree_are_each_listed_next_to_each_other() -> None:
    base = rule_forms(base_tree())
    head = _threshold(_threshold(_threshold(base), PROMETHEUS_RULE, "12"), THANOS_RULES)
    assert _shape(base, head) == [
        ("alerts", "changed", "HighModelError", ("prometheus", "thanos"), [("threshold", "> 15", "> 10")]),
        ("alerts", "changed", "HighModelError", ("kubernetes",), [("threshold", "> 15", "> 12")])]
    lines = _lines(base, head)
    assert lines[lines.index("#### Alerts") + 2:][:2] == [
        '- ✏️ **HighModelError** changed (prometheus, thanos): threshold on `model_prediction_error{metric_type="mape"}`: '
        "`> 15` → `> 10`",
        '- ✏️ **HighModelError** changed (kubernetes): threshold on `model_prediction_error{metric_type="mape"}`: '
        "`> 15` → `> 12`"]


def test_an_alert_added_to_a_mimir_namespace_only() -> None:
    base = rule_forms(base_tree(), ("mimir",))

    def add(data: Any) -> None:
        data["groups"][0]["rules"].append({"alert": "PredictionsStopped", "expr": "sum(rate(model_predictions_total[5m])) == 0",
                                           "labels": {"severity": "critical"}})
    head = edit_yaml(base, MIMIR_RULES, add)
    assert _shape(base, head) == [("alerts", "added", "PredictionsStopped", ("mimir",), [
        ("expr", None, "sum(rate(model_predictions_total[5m])) == 0"), ("labels.severity", None, "critical")])]


def test_thanos_partial_response_strategy_is_a_group_change_of_the_thanos_output() -> None:
    base = rule_forms(base_tree())
    head = edit_yaml(base, THANOS_RULES, lambda d: d["groups"][0].update(partial_response_strategy="warn"))
    assert _shape(base, head) == [
        ("rule groups", "changed", "models", ("thanos",), [("partial_response_strategy", "abort", "warn")])]
    assert "- ✏️ **models** changed (thanos): partial_response_strategy: `abort` → `warn`" in _lines(base, head)


def test_mimir_source_tenants_are_a_group_change_of_the_mimir_output() -> None:
    base = rule_forms(base_tree())
    head = edit_yaml(base, MIMIR_RULES, lambda d: d["groups"][0].update(source_tenants=["team-a", "team-b"]))
    assert _shape(base, head) == [
        ("rule groups", "changed", "models", ("mimir",), [("source_tenants", None, "team-a, team-b")])]
    assert "- ✏️ **models** changed (mimir): source_tenants: (none) → `team-a, team-b`" in _lines(base, head)


def test_a_mimir_namespace_renamed_is_a_change_of_its_file() -> None:
    base = rule_forms(base_tree(), ("mimir",))
    head = edit_yaml(base, MIMIR_RULES, lambda d: d.update(namespace="models"))
    assert _shape(base, head) == [("files", "changed", MIMIR_RULES, (), [("namespace", "model_alerts", "models")])]


def test_a_new_output_form_lists_its_alerts_as_added_in_it_as_in_prometheus() -> None:
    base = base_tree()
    head = rule_forms(base_tree(), ("thanos",))
    added = diff_stack("quantis", base, head)
    assert {(c.name, c.outputs, tuple((f.field, f.before, f.after) for f in c.fields))
            for c in added.section("alerts")} == {
        (name, ("thanos",), (("as in prometheus", None, None),))
        for name in ("HighCpuUsage", "HighMemoryUsage", "ServiceDown", "HighModelError", "DataDriftDetected",
                     "SlowPredictions")}
    assert "- ➕ **HighModelError** added (thanos): as in prometheus" in render_stack(added).splitlines()
    assert [(c.name, [(f.field, f.before, f.after) for f in c.fields]) for c in added.section("rule groups")] == [
        ("models", [("partial_response_strategy", None, "abort")]),
        ("system", [("partial_response_strategy", None, "abort")])]
    assert [c for c in added.changes if c.section == "files"] == []


def test_a_new_output_form_carrying_an_alert_unlike_prometheus_lists_its_fields() -> None:
    head = _threshold(rule_forms(base_tree(), ("kubernetes",)), PROMETHEUS_RULE)
    changes = {c.name: c for c in diff_stack("quantis", base_tree(), head).section("alerts")}
    assert [(f.field, f.after) for f in changes["HighModelError"].fields] == [
        ("expr", 'model_prediction_error{metric_type="mape"} > 10'), ("for", "30m"),
        ("labels.category", "model"), ("labels.severity", "warning")]
    assert [f.field for f in changes["ServiceDown"].fields] == ["as in prometheus"]


def test_a_prometheusrule_losing_its_release_label_is_a_change_of_that_object() -> None:
    base = rule_forms(base_tree(), ("kubernetes",))
    head = edit_yaml(base, PROMETHEUS_RULE, lambda d: d["metadata"]["labels"].pop("release"))
    assert _shape(base, head) == [
        ("kubernetes", "changed", "PrometheusRule quantis-model-alerts", (), [("metadata.labels.release", "kps", None)])]
    assert "- ✏️ **PrometheusRule quantis-model-alerts** changed: metadata.labels.release: `kps` → (none)" \
        in _lines(base, head)


def test_reordered_and_reformatted_forms_are_no_change() -> None:
    base = rule_forms(base_tree())
    head = edit_yaml(base, PROMETHEUS_RULE, lambda d: d["spec"]["groups"][0]["rules"].reverse())
    head = edit_yaml(head, THANOS_RULES, lambda d: d["groups"][0]["rules"].reverse())
    head = {**head, MIMIR_RULES: yaml.safe_dump(yaml.safe_load(head[MIMIR_RULES]), default_flow_style=True).encode()}
    assert not diff_stack("quantis", base, head)


# -- the AlertmanagerConfig -----------------------------------------------------------------

def _matcher(name: str, value: str, op: str = "=") -> dict[str, str]:
    return {"name": name, "value": value, "matchType": op}


ALERTMANAGER_CONFIG: dict[str, Any] = {
    "apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
    "metadata": _meta("quantis", alertmanagerConfig="quantis"),
    "spec": {
        "route": {"receiver": "team-email", "groupBy": ["alertname", "service"], "groupWait": "30s",
                  "routes": [{"receiver": "pager", "matchers": [_matcher("severity", "critical")], "continue": True},
                             {"receiver": "data-science-team", "matchers": [_matcher("category", "model")]}]},
        "receivers": [
            {"name": "team-email", "emailConfigs": [{"to": "team@quantis.example.com", "sendResolved": True}]},
            {"name": "pager", "pagerdutyConfigs": [{"serviceKey": {"name": "quantis-alertmanager", "key": "pagerduty"},
                                                    "sendResolved": True}]},
            {"name": "data-science-team", "slackConfigs": [{
                "apiURL": {"name": "quantis-alertmanager", "key": "slack"}, "channel": "#data-science-alerts",
                "sendResolved": True}]}],
        "inhibitRules": [{"sourceMatch": [_matcher("severity", "critical")],
                          "targetMatch": [_matcher("severity", "warning")], "equal": ["alertname", "service"]}],
    },
}
AM_CONFIG = paths.kubernetes_object("AlertmanagerConfig", "quantis")


def _with_am_config(tree: Tree, change: Callable[[dict[str, Any]], None] | None = None) -> Tree:
    obj = copy.deepcopy(ALERTMANAGER_CONFIG)
    if change:
        change(obj["spec"])
    return _object(tree, obj)


def _channel(value: str) -> Callable[[dict[str, Any]], None]:
    return lambda spec: spec["receivers"][2]["slackConfigs"][0].update(channel=value)


def test_a_receiver_changed_alike_in_alertmanager_yml_and_the_alertmanagerconfig_is_one_change() -> None:
    base = _with_am_config(base_tree())
    head = _with_am_config(edit_yaml(base_tree(), AM, lambda d: d["receivers"][2]["slack_configs"][0].update(
        channel="#ml-oncall")), _channel("#ml-oncall"))
    assert _shape(base, head) == [("receivers", "changed", "data-science-team", ("alertmanager", "kubernetes"), [
        ("slack_configs[0].channel", "#data-science-alerts", "#ml-oncall")])]
    assert ("- ✏️ **data-science-team** changed (alertmanager, kubernetes): slack_configs[0].channel: "
            "`#data-science-alerts` → `#ml-oncall`") in _lines(base, head)


def test_a_receiver_changed_only_in_the_alertmanagerconfig() -> None:
    base = _with_am_config(base_tree())
    head = _with_am_config(base_tree(), _channel("#ml-oncall"))
    assert _shape(base, head) == [("receivers", "changed", "data-science-team", ("kubernetes",), [
        ("slack_configs[0].channel", "#data-science-alerts", "#ml-oncall")])]


def test_an_alertmanagerconfig_route_change_reads_as_who_is_reached() -> None:
    base = _with_am_config(base_tree())
    head = _with_am_config(base_tree(), lambda spec: spec["route"]["routes"][0].pop("continue"))
    assert _shape(base, head) == [("routes", "changed", "reachability", ("kubernetes",), [
        ("category=model, severity=critical", "data-science-team, pager", "pager")])]
    lines = _lines(base, head)
    assert lines[lines.index("- ✏️ **reachability** changed (kubernetes)") + 1] == (
        "  - category=model, severity=critical now reaches: **pager** (before: data-science-team, pager)"
        " — no current alert carries these labels")


def test_an_alertmanagerconfig_route_setting_is_a_route_change_by_path() -> None:
    base = _with_am_config(base_tree())
    head = _with_am_config(base_tree(), lambda spec: spec["route"]["routes"][1].update(groupWait="1m"))
    assert _shape(base, head) == [
        ("routes", "changed", 'route > {category="model"}', ("kubernetes",), [("group_wait", None, "1m")])]


def test_an_alertmanagerconfig_inhibit_rule_change() -> None:
    base = _with_am_config(base_tree())
    head = _with_am_config(base_tree(), lambda spec: spec["inhibitRules"][0]["equal"].append("model_id"))
    assert _shape(base, head) == [
        ("inhibit rules", "removed", '{severity="critical"} mutes {severity="warning"} when equal: alertname, service',
         ("kubernetes",), []),
        ("inhibit rules", "added",
         '{severity="critical"} mutes {severity="warning"} when equal: alertname, model_id, service',
         ("kubernetes",), [])]


def test_alertmanagerconfig_time_intervals_are_settings_of_that_object() -> None:
    base = _with_am_config(base_tree())
    head = _with_am_config(base_tree(), lambda spec: spec.update(muteTimeIntervals=[
        {"name": "weekends", "timeIntervals": [{"weekdays": ["saturday", "sunday"]}]}]))
    assert _shape(base, head) == [("alertmanager", "changed", "AlertmanagerConfig quantis", ("kubernetes",), [
        ("time_intervals.weekends.name", None, "weekends"),
        ("time_intervals.weekends.time_intervals[0].weekdays", None, "saturday, sunday")])]


def test_alertmanagerconfig_labels_are_fields_of_that_object() -> None:
    base = _with_am_config(base_tree())
    head = edit_yaml(base, AM_CONFIG, lambda d: d["metadata"]["labels"].update(alertmanagerConfig="other"))
    assert _shape(base, head) == [("kubernetes", "changed", "AlertmanagerConfig quantis", (), [
        ("metadata.labels.alertmanagerConfig", "quantis", "other")])]


# -- monitors -------------------------------------------------------------------------------

SERVICE_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": _meta("quantis-model-service", release="kps"),
    "spec": {"selector": {"matchLabels": {"app": "model-service"}},
             "endpoints": [{"port": "metrics", "interval": "10s", "path": "/metrics"}]},
}
SCRAPE_CONFIG = {
    "apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "ScrapeConfig", "metadata": _meta("quantis-api", release="kps"),
    "spec": {"jobName": "api", "scrapeInterval": "5s", "staticConfigs": [{"targets": ["api-1:8000", "api-2:8000"]}]},
}


def _monitors(service: Callable[[dict[str, Any]], None] | None = None,
              scrape: Callable[[dict[str, Any]], None] | None = None) -> Tree:
    monitor, job = copy.deepcopy(SERVICE_MONITOR), copy.deepcopy(SCRAPE_CONFIG)
    if service:
        service(monitor)
    if scrape:
        scrape(job)
    return _object(_object(base_tree(), monitor), job)


def test_a_servicemonitor_change_is_a_scrape_change_named_by_kind_and_name() -> None:
    head = _monitors(service=lambda m: m["spec"]["endpoints"][0].update(interval="30s"))
    assert _shape(_monitors(), head) == [
        ("scrape", "changed", "ServiceMonitor quantis-model-service", (), [("spec.endpoints[0].interval", "10s", "30s")])]
    assert "- ✏️ **ServiceMonitor quantis-model-service** changed: spec.endpoints[0].interval: `10s` → `30s`" \
        in _lines(_monitors(), head)


def test_scrapeconfig_targets_are_a_set() -> None:
    reordered = _monitors(scrape=lambda j: j["spec"]["staticConfigs"][0]["targets"].reverse())
    assert not diff_stack("quantis", _monitors(), reordered)
    added = _monitors(scrape=lambda j: j["spec"]["staticConfigs"][0]["targets"].append("api-3:8000"))
    assert _shape(_monitors(), added) == [("scrape", "changed", "ScrapeConfig quantis-api", (), [
        ("spec.staticConfigs[0].targets", "api-1:8000, api-2:8000", "api-1:8000, api-2:8000, api-3:8000")])]


def test_a_monitor_losing_the_label_prometheus_selects_on() -> None:
    head = _monitors(service=lambda m: m["metadata"]["labels"].pop("release"))
    assert _shape(_monitors(), head) == [
        ("scrape", "changed", "ServiceMonitor quantis-model-service", (), [("metadata.labels.release", "kps", None)])]


def test_a_podmonitor_added_lists_its_spec() -> None:
    pod_monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": _meta("quantis-workers"),
                   "spec": {"selector": {"matchLabels": {"app": "worker"}},
                            "podMetricsEndpoints": [{"port": "metrics"}]}}
    head = _object(_monitors(), pod_monitor)
    assert _shape(_monitors(), head) == [("scrape", "added", "PodMonitor quantis-workers", (), [
        ("spec.podMetricsEndpoints[0].port", None, "metrics"), ("spec.selector.matchLabels.app", None, "worker")])]
    assert "  - spec.podMetricsEndpoints[0].port: `metrics`" in _lines(_monitors(), head)


# -- dashboards -----------------------------------------------------------------------------

def _configmap(tree: Tree) -> Tree:
    """The dashboard as the sidecar ConfigMap carries it: the grafana file's text."""
    return _object(tree, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("quantis-model-overview", grafana_dashboard="1"),
                          "data": {"model-overview.json": tree[BOARD].decode()}})


def _grafana_dashboard(tree: Tree) -> Tree:
    """The dashboard as a GrafanaDashboard carries it gzipped (``spec.gzipJson``)."""
    return _object(tree, {
        "apiVersion": "grafana.integreatly.org/v1beta1", "kind": "GrafanaDashboard",
        "metadata": _meta("quantis-model-overview"),
        "spec": {"instanceSelector": {"matchLabels": {"dashboards": "grafana"}},
                 "gzipJson": base64.b64encode(gzip.compress(tree[BOARD], mtime=0)).decode()}})


def _moved(tree: Tree) -> Tree:
    return edit_json(tree, BOARD, lambda d: panel(d, "Drift score")["gridPos"].update(x=0, y=14))


def test_a_dashboard_changed_alike_in_grafana_and_its_configmap_is_one_change() -> None:
    base, head = _configmap(base_tree()), _configmap(_moved(base_tree()))
    assert _shape(base, head) == [("dashboards", "changed", "Model overview (model-overview)", ("grafana", "kubernetes"),
                                   [('panel "Drift score" moved', "x=12 y=0", "x=0 y=14")])]
    assert ('- ✏️ **Model overview (model-overview)** changed (grafana, kubernetes): panel "Drift score" moved: '
            "`x=12 y=0` → `x=0 y=14`") in _lines(base, head)


def test_a_dashboard_changed_only_in_a_gzipped_grafanadashboard() -> None:
    base = _grafana_dashboard(base_tree())
    head = {**_grafana_dashboard(_moved(base_tree())), BOARD: base_tree()[BOARD]}
    assert _shape(base, head) == [("dashboards", "changed", "Model overview (model-overview)", ("kubernetes",),
                                   [('panel "Drift score" moved', "x=12 y=0", "x=0 y=14")])]


def test_a_configmap_label_change_is_a_field_of_that_object_not_of_the_dashboard() -> None:
    base = _configmap(base_tree())
    path = paths.kubernetes_object("ConfigMap", "quantis-model-overview")
    head = edit_yaml(base, path, lambda d: d["metadata"]["labels"].update(grafana_dashboard="0"))
    assert _shape(base, head) == [("kubernetes", "changed", "ConfigMap quantis-model-overview", (), [
        ("metadata.labels.grafana_dashboard", "1", "0")])]


def test_an_object_added_lists_the_fields_no_other_section_shows() -> None:
    """Its dashboard shows as the dashboard, added in the kubernetes output as the grafana
    output has it; the ConfigMap itself as the labels and namespace it carries."""
    result = diff_stack("quantis", base_tree(), _configmap(base_tree()))
    assert [(c.section, c.action, c.name, c.outputs) for c in result.changes] == [
        ("dashboards", "added", "Model overview (model-overview)", ("kubernetes",)),
        ("kubernetes", "added", "ConfigMap quantis-model-overview", ())]
    assert [f.field for f in result.changes[0].fields] == ["as in grafana"]
    assert [(f.field, f.before, f.after) for f in result.changes[1].fields] == [
        ("metadata.labels.app.kubernetes.io/part-of", None, "quantis"),
        ("metadata.labels.grafana_dashboard", None, "1"), ("metadata.namespace", None, "monitoring")]


def test_secret_values_never_show() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta("quantis-alertmanager"),
              "stringData": {"slack": "https://hooks.slack.com/services/T000/B000/XXXX"}}
    base = {**base_tree(), paths.kubernetes_object("Secret", "quantis-alertmanager"): _dump(secret)}
    changed = copy.deepcopy(secret)
    changed["stringData"]["slack"] = "https://hooks.slack.com/services/T000/B000/YYYY"
    head = {**base_tree(), paths.kubernetes_object("Secret", "quantis-alertmanager"): _dump(changed)}
    assert _shape(base, head) == [("kubernetes", "changed", "Secret quantis-alertmanager", (), [
        ("stringData.slack", "(hidden)", "(hidden)")])]
    assert "hooks.slack.com" not in json.dumps(diff_stack("quantis", {}, head).as_dict())


def test_json_output_names_the_outputs_of_a_change() -> None:
    change = diff_stack("quantis", rule_forms(base_tree()), rule_forms(_threshold(base_tree()))).changes[0]
    assert isinstance(change, Change)
    assert change.as_dict()["outputs"] == list(ALL_RULE_FORMS)


@pytest.mark.parametrize("forms", [("kubernetes",), ("thanos",), ("mimir",), ("kubernetes", "thanos", "mimir")])
def test_identical_trees_in_any_form_have_no_changes(forms: tuple[str, ...]) -> None:
    tree = _with_am_config(_configmap(rule_forms(base_tree(), forms)))
    assert not diff_stack("quantis", tree, dict(tree))


# -- through the generator ------------------------------------------------------------------

def _generated(threshold: str = "15", channel: str = "#alerts", interval: str = "15s", title: str = "Errors",
               group_by: list[str] | None = None) -> Tree:
    """What ``obscode generate`` writes for a stack written in every output form."""
    from obscode import (
        AlertmanagerConfig, AlertRule, KubernetesSDConfig, KubernetesSettings, LabelSelector, Monitor, PagerdutyConfig,
        PrometheusConfig, Receiver, Route, RuleFile, RuleGroup, ScrapeConfig, SecretRef, SlackConfig, Stack, StaticConfig,
    )
    from obscode.emit import render

    rules = RuleFile(name="shop_alerts", groups=[RuleGroup(name="api", rules=[
        AlertRule(alert="ApiErrors", expr=f"sum(rate(http_errors_total[5m])) > {threshold}", for_="5m",
                  labels={"severity": "critical"})])])
    alertmanager = AlertmanagerConfig(
        route=Route(receiver="team", group_by=group_by, routes=[Route(receiver="pager", matchers=['severity="critical"'])]),
        receivers=[Receiver(name="team", slack_configs=[SlackConfig(api_url=SecretRef(file="/etc/alertmanager/secrets/slack"),
                                                                    channel=channel)]),
                   Receiver(name="pager", pagerduty_configs=[
                       PagerdutyConfig(routing_key=SecretRef(file="/etc/alertmanager/secrets/pagerduty"))])])
    prometheus = PrometheusConfig(scrape_configs=[
        ScrapeConfig(job_name="api", scrape_interval=interval, kubernetes_sd_configs=[KubernetesSDConfig(role="endpoints")]),
        ScrapeConfig(job_name="db", static_configs=[StaticConfig(targets=["db:9187"])])])
    board = {"uid": "api", "title": "API", "panels": [{
        "id": 1, "type": "timeseries", "title": title, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
        "targets": [{"refId": "A", "expr": "sum(rate(http_errors_total[5m]))"}]}]}
    stack = Stack(
        name="shop", outputs=["prometheus", "alertmanager", "grafana", "kubernetes", "thanos", "mimir"],
        rule_files=[rules], alertmanager=alertmanager, prometheus=prometheus, dashboards=[board],
        kubernetes=KubernetesSettings(namespace="shop", rule_labels={"release": "kps"}, monitors={
            "api": Monitor(selector=LabelSelector(match_labels={"app": "api"}), port="metrics")}))
    return render(stack)


def test_generated_outputs_diff_as_one_change_per_definition() -> None:
    base = _generated()
    head = _generated(threshold="20", channel="#oncall", interval="30s", title="Error rate", group_by=["alertname"])
    assert {p.split("/")[0] for p in base} == {"prometheus", "alertmanager", "grafana", "kubernetes", "thanos", "mimir"}
    shape = [(c.section, c.action, c.name, c.outputs, [(f.field, f.before, f.after) for f in c.fields])
             for c in diff_stack("shop", base, head).changes if c.section != "alert tests"]
    assert shape == [
        ("alerts", "changed", "ApiErrors", ALL_RULE_FORMS, [("threshold", "> 15", "> 20")]),
        # One job in its two forms, next to each other, each naming its form.
        ("scrape", "changed", "job api", ("prometheus",), [("scrape_interval", "15s", "30s")]),
        ("scrape", "changed", "ServiceMonitor shop-api", ("kubernetes",), [("spec.endpoints[0].interval", "15s", "30s")]),
        ("routes", "changed", "route", ("alertmanager", "kubernetes"), [("group_by", None, "alertname")]),
        ("receivers", "changed", "team", ("alertmanager", "kubernetes"), [("slack_configs[0].channel", "#alerts", "#oncall")]),
        ("dashboards", "changed", "API (api)", ("grafana", "kubernetes"), [('panel "Error rate" renamed', "Errors", "Error rate")]),
    ]
    assert "- ✏️ **ApiErrors** changed (prometheus, kubernetes, thanos, mimir): threshold on " \
           "`sum(rate(http_errors_total[5m]))`: `> 15` → `> 20`" in _lines(base, head)


def test_a_stack_starting_to_write_kubernetes_lists_its_definitions_as_in_the_base_forms() -> None:
    before = {path: content for path, content in _generated().items() if not path.startswith(paths.KUBERNETES_DIR)}
    result = diff_stack("shop", before, _generated())
    assert [(c.section, c.name, c.outputs, [f.field for f in c.fields]) for c in result.changes
            if c.section in ("alerts", "dashboards")] == [
        ("alerts", "ApiErrors", ("kubernetes",), ["as in prometheus"]),
        ("dashboards", "API (api)", ("kubernetes",), ["as in grafana"])]
    assert {c.name for c in result.section("kubernetes")} == {
        "AlertmanagerConfig shop", "ConfigMap shop-api", "PrometheusRule shop-shop-alerts"}


def test_generated_outputs_unchanged_have_no_changes() -> None:
    assert not diff_stack("shop", _generated(), _generated())


# -- a generated file that does not parse ---------------------------------------------------

def test_a_kubernetes_file_holding_two_objects_is_named_in_the_error() -> None:
    from obscode.errors import UsageError

    head = {**base_tree(), PROMETHEUS_RULE: b"kind: PrometheusRule\n---\nkind: ConfigMap\n"}
    with pytest.raises(UsageError) as caught:
        diff_stack("quantis", base_tree(), head)
    assert str(caught.value) == (
        f"stack 'quantis': {PROMETHEUS_RULE} in the working tree does not parse (line 2: expected a single document "
        "in the stream, but found another document); generated files are written by `obscode generate quantis`, "
        "not by hand")


def test_obscode_diff_reports_a_file_that_does_not_parse_with_exit_2(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from obscode.cli import main
    from tests.review.repo import commit_all, init_repo, write_tree

    repo = init_repo(tmp_path / "repo")
    write_tree(repo / "generated" / "quantis", {**base_tree(), THANOS_RULES: b"groups: [\n"})
    commit_all(repo, "base")
    write_tree(repo / "generated" / "quantis", base_tree())
    result = CliRunner().invoke(main, ["diff", "--generated", str(repo / "generated"), "--base", "HEAD"])
    assert result.exit_code == 2
    assert (f"error: stack 'quantis': {THANOS_RULES} at the base revision does not parse (line 2: while parsing a "
            "flow node, expected the node content, but found '<stream end>')") in result.output
