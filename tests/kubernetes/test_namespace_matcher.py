"""prometheus-operator's namespace matcher in the offline router: with the kubernetes output
and the default OnNamespace strategy, only alerts carrying
``namespace="<the AlertmanagerConfig's namespace>"`` reach the stack's routes. Alerts get the
label from a monitor (pinned when it scrapes one namespace), from enforcedNamespaceLabel, or
from their rule; ``obscode routes`` and routing/delivery say which alerts never get it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from obscode import (
    AlertmanagerConfig, AlertmanagerEndpoint, AlertRule, PrometheusConfig, Receiver, Route, RuleFile, RuleGroup, ScrapeConfig, Stack,
    StaticConfig, WebhookConfig,
)
from obscode.alert_labels import Truth, deliveries, shapes
from obscode.checks import CheckContext, run_checks
from obscode.cli import main
from obscode.emit import render
from obscode.kubernetes.am_namespace import namespace_matcher
from obscode.model.kubernetes import AlertmanagerTarget, KubernetesSettings, LabelSelector, Monitor, PrometheusTarget

ALERTS = {
    "ApiDown": ('up{job="api"} == 0', {}),  # a static job: no namespace
    "WebDown": ('up{job="web"} == 0', {}),  # a monitor in namespace shop: namespace="shop"
    "BatchDown": ('up{job="batch"} == 0', {}),  # a monitor of any namespace: known at run time
    "WebDownAnywhere": ('sum(up{job="web"}) == 0', {}),  # aggregated: the namespace is gone
    "ApiDownLabelled": ('up{job="api"} == 0', {"namespace": "shop"}),
    "ApiDownElsewhere": ('up{job="api"} == 0', {"namespace": "elsewhere"}),
}


def _monitor(**kwargs: object) -> Monitor:
    return Monitor(selector=LabelSelector(matchLabels={"app": "x"}), port="http", **kwargs)


def settings(**kwargs: object) -> KubernetesSettings:
    return KubernetesSettings(namespace="shop", monitors={"web": _monitor(namespaces=["shop"]),
                                                          "batch": _monitor(any_namespace=True)}, **kwargs)


def stack(outputs: tuple[str, ...] = ("prometheus", "alertmanager", "grafana", "kubernetes"),
          kubernetes: KubernetesSettings | None = None) -> Stack:
    rules = [AlertRule(alert=name, expr=expr, labels={"severity": "critical", **labels},
                       annotations={"summary": "s", "description": "d"}) for name, (expr, labels) in ALERTS.items()]
    return Stack(
        name="shop", outputs=list(outputs), kubernetes=kubernetes or settings(),
        prometheus=PrometheusConfig(scrape_configs=[
            ScrapeConfig(job_name=job, static_configs=[StaticConfig(targets=[f"{job}:8000"])])
            for job in ("api", "web", "batch")],
            alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["alertmanager:9093"])])]),
        rule_files=[RuleFile(name="shop", groups=[RuleGroup(name="shop", rules=rules)])],
        alertmanager=AlertmanagerConfig(
            route=Route(receiver="team", routes=[Route(matchers=['severity="critical"'], receiver="pager")]),
            receivers=[Receiver(name=n, webhook_configs=[WebhookConfig(url=f"http://hooks:8080/{n}")])
                       for n in ("team", "pager")]))


def reach(the_stack: Stack) -> dict[str, Truth]:
    return {alert.alert: alert.reaches_routes() for alert in shapes(the_stack)}


def test_on_namespace_adds_the_alertmanager_configs_namespace() -> None:
    gate = namespace_matcher(stack())
    assert gate is not None and str(gate.matcher) == 'namespace="shop"'
    assert gate.describe() == ('the operator adds namespace="shop" to the AlertmanagerConfig\'s routes and inhibit '
                               'rules (alertmanagerConfigMatcherStrategy OnNamespace): only alerts carrying it reach '
                               'them')


def test_alerts_reach_the_routes_only_with_the_namespace() -> None:
    assert reach(stack()) == {"ApiDown": Truth.NO, "WebDown": Truth.YES, "BatchDown": Truth.MAYBE,
                              "WebDownAnywhere": Truth.NO, "ApiDownLabelled": Truth.YES,
                              "ApiDownElsewhere": Truth.NO}


def test_a_monitor_pins_the_namespace_value() -> None:
    web = next(a for a in shapes(stack()) if a.alert == "WebDown")
    assert web.values["namespace"] == "shop"
    batch = next(a for a in shapes(stack()) if a.alert == "BatchDown")
    assert "namespace" in batch.unknown


def test_a_monitor_gives_the_operators_target_labels() -> None:
    pods = KubernetesSettings(namespace="shop", monitors={"web": _monitor(type="PodMonitor"), "batch": _monitor()})
    by_alert = {a.alert: a for a in shapes(stack(kubernetes=pods))}
    assert {"pod", "container", "endpoint"} <= by_alert["WebDown"].unknown
    assert "service" not in by_alert["WebDown"].names  # a PodMonitor's targets have no Service
    assert {"service", "pod"} <= by_alert["BatchDown"].unknown
    assert "pod" not in by_alert["ApiDown"].names
    assert "pod" not in by_alert["WebDownAnywhere"].names  # aggregated away


def test_an_alert_without_the_namespace_is_delivered_by_nobody() -> None:
    the_stack = stack()
    assert the_stack.alertmanager is not None
    found = {a.alert: deliveries(the_stack.alertmanager.route, a) for a in shapes(the_stack)}
    assert found["ApiDown"] == []
    assert [(d.receiver, d.certain) for d in found["WebDown"]] == [("pager", True)]
    assert [(d.receiver, d.certain) for d in found["BatchDown"]] == [("pager", False)]


def test_enforced_namespace_label_gives_every_alert_the_namespace() -> None:
    enforced = settings(prometheus=PrometheusTarget(enforced_namespace_label="namespace"))
    assert set(reach(stack(kubernetes=enforced)).values()) == {Truth.YES}


def test_the_enforced_label_overrides_the_rules_value() -> None:
    enforced = settings(prometheus=PrometheusTarget(enforced_namespace_label="namespace"))
    elsewhere = next(a for a in shapes(stack(kubernetes=enforced)) if a.alert == "ApiDownElsewhere")
    assert elsewhere.values["namespace"] == "shop"


def test_strategy_none_adds_no_matcher() -> None:
    none = settings(alertmanager=AlertmanagerTarget(matcher_strategy="None"))
    assert namespace_matcher(stack(kubernetes=none)) is None
    assert set(reach(stack(kubernetes=none)).values()) == {Truth.YES}


def test_except_for_alertmanager_namespace_adds_none_in_the_alertmanagers_namespace() -> None:
    same = settings(alertmanager=AlertmanagerTarget(namespace="shop",
                                                    matcher_strategy="OnNamespaceExceptForAlertmanagerNamespace"))
    other = settings(alertmanager=AlertmanagerTarget(namespace="monitoring",
                                                     matcher_strategy="OnNamespaceExceptForAlertmanagerNamespace"))
    assert namespace_matcher(stack(kubernetes=same)) is None
    assert str(namespace_matcher(stack(kubernetes=other)).matcher) == 'namespace="shop"'  # type: ignore[union-attr]


def test_without_the_kubernetes_output_nothing_changes() -> None:
    plain = stack(outputs=("prometheus", "alertmanager", "grafana"))
    assert namespace_matcher(plain) is None
    assert set(reach(plain).values()) == {Truth.YES}
    assert "namespace" not in next(a for a in shapes(plain) if a.alert == "WebDown").names


def test_routing_delivery_names_the_alerts_that_never_reach_the_routes() -> None:
    the_stack = stack()
    problems = [p for p in run_checks(CheckContext(the_stack, render(the_stack)), only=["routing/delivery"])]
    assert [(p.severity, p.file, p.obj, p.message) for p in problems] == [
        ("warning", "kubernetes/alertmanagerconfig-shop.yaml", "AlertmanagerConfig shop",
         '1 alert(s) reach the stack\'s routes only when their namespace label, known at run time, is shop (the '
         'operator adds namespace="shop" to its routes (alertmanagerConfigMatcherStrategy OnNamespace)): BatchDown'),
        ("error", "kubernetes/alertmanagerconfig-shop.yaml", "AlertmanagerConfig shop",
         '3 alert(s) never carry namespace="shop", and the operator adds namespace="shop" to its routes '
         "(alertmanagerConfigMatcherStrategy OnNamespace), so no receiver of the stack gets them: ApiDown, "
         "ApiDownElsewhere, WebDownAnywhere; give their rules labels={'namespace': 'shop'}, set "
         "PrometheusTarget(enforced_namespace_label='namespace'), or scrape their series through a monitor in "
         "namespace shop; or have the Alertmanager use the matcher strategy None "
         "(AlertmanagerTarget(matcher_strategy='None'))"),
    ]


def test_routing_delivery_is_quiet_when_every_alert_carries_the_namespace() -> None:
    the_stack = stack(kubernetes=settings(prometheus=PrometheusTarget(enforced_namespace_label="namespace")))
    assert not run_checks(CheckContext(the_stack, render(the_stack)), only=["routing/delivery"])


STACK = '''
from obscode import *
from obscode.model.kubernetes import KubernetesSettings, LabelSelector, Monitor

rules = [AlertRule(alert=name, expr=expr, labels={"severity": "critical"}, annotations={"summary": "s", "description": "d"})
         for name, expr in [("ApiDown", 'up{job="api"} == 0'), ("WebDown", 'up{job="web"} == 0')]]
stack = Stack(
    name="shop", outputs=["prometheus", "alertmanager", "grafana", "kubernetes"],
    kubernetes=KubernetesSettings(namespace="shop", monitors={
        "web": Monitor(selector=LabelSelector(matchLabels={"app": "web"}), port="http")}),
    prometheus=PrometheusConfig(scrape_configs=[
        ScrapeConfig(job_name=job, static_configs=[StaticConfig(targets=[job + ":8000"])]) for job in ("api", "web")]),
    rule_files=[RuleFile(name="shop", groups=[RuleGroup(name="shop", rules=rules)])],
    alertmanager=AlertmanagerConfig(route=Route(receiver="team"),
                                    receivers=[Receiver(name="team", webhook_configs=[WebhookConfig(url="http://hooks:8080/team")])]),
)
'''


def test_routes_prints_the_matcher_and_the_alerts_it_keeps_out(tmp_path: Path) -> None:
    path = tmp_path / "shop.py"
    path.write_text(textwrap.dedent(STACK))
    result = CliRunner().invoke(main, ["routes", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ('note: stack shop: the operator adds namespace="shop" to the AlertmanagerConfig\'s routes and '
                        'inhibit rules (alertmanagerConfigMatcherStrategy OnNamespace): only alerts carrying it reach '
                        'them')
    assert lines[1].split() == ["stack", "alert", "labels", "routes", "read", "receivers"]
    api = next(line for line in lines if " ApiDown " in line)
    assert api.rstrip().endswith('none: never carries namespace="shop"')
    web = next(line for line in lines if " WebDown " in line)
    assert "namespace=shop" in web and web.rstrip().endswith("team")


def test_routes_json_says_whether_each_alert_reaches_the_routes(tmp_path: Path) -> None:
    import json

    path = tmp_path / "shop.py"
    path.write_text(textwrap.dedent(STACK))
    result = CliRunner().invoke(main, ["routes", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    rows = {row["alert"]: row for row in json.loads(result.output)}
    assert rows["ApiDown"]["reaches_routes"] == "no" and rows["ApiDown"]["receivers"] == []
    assert rows["WebDown"]["reaches_routes"] == "yes"
    assert rows["WebDown"]["entry_matchers"] == ['namespace="shop"']
    assert rows["WebDown"]["labels"]["namespace"] == "shop"
