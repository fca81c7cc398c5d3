"""The AlertmanagerConfig of the kubernetes output: the route tree, every receiver type the
CRD has, inhibit rules and time intervals, valid against the upstream CRD (child routes too,
which the CRD stores unchecked); secrets as Secret key references, never values or paths; a
receiver type or field the CRD cannot express is a definition error naming it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from obscode import (
    AlertmanagerConfig, AlertmanagerGlobal, DiscordConfig, EmailConfig, IncidentioConfig, InhibitRule, JiraConfig,
    MSTeamsConfig, MSTeamsV2Config, OpsgenieConfig, OpsgenieResponder, PagerdutyConfig, PushoverConfig, Receiver,
    RocketchatConfig, Route, SecretRef, SigV4Config, SlackConfig, SNSConfig, Stack, TelegramConfig, TimeInterval,
    TimeRange, VictorOpsConfig, WebexConfig, WebhookConfig, WechatConfig,
)
from obscode import build as pipeline
from obscode.emit import render_stack
from obscode.errors import DefinitionError
from obscode.kubernetes import alertmanager_config
from obscode.kubernetes import am_models as crd_models
from obscode.kubernetes.am_receivers import RENAMED
from obscode.model.alertmanager import Receiver as ReceiverModel
from obscode.model.kubernetes import AlertmanagerTarget, KubernetesSettings
from tests.conftest import ROOT
from tests.kubernetes.crd import assert_valid, errors

SECRETS = "/etc/alertmanager/secrets"


def secret(name: str) -> SecretRef:
    return SecretRef(file=f"{SECRETS}/{name}")


def stack(receivers: list[Receiver], route: Route | None = None, *, global_: AlertmanagerGlobal | None = None,
          settings: KubernetesSettings | None = None, **config: Any) -> Stack:
    # The newest Alertmanager obscode knows: every integration and every *_file is available.
    return Stack(name="shop", outputs=["prometheus", "alertmanager", "grafana", "kubernetes"], alertmanager_version="0.31",
                 kubernetes=settings or KubernetesSettings(namespace="shop"),
                 alertmanager=AlertmanagerConfig(global_=global_ or AlertmanagerGlobal(),
                                                 route=route or Route(receiver=receivers[0].name),
                                                 receivers=receivers, **config))


def the_object(the_stack: Stack) -> dict[str, Any]:
    """The stack's one AlertmanagerConfig, checked against the upstream CRD."""
    (obj,) = alertmanager_config.objects(the_stack)
    assert_valid_tree(obj)
    return obj


def assert_valid_tree(obj: dict[str, Any]) -> None:
    """The object, and each child route as a top route: the CRD keeps ``routes`` unchecked
    (x-kubernetes-preserve-unknown-fields), while the operator reads each as a Route."""
    assert_valid(obj)
    pending = list(obj["spec"].get("route", {}).get("routes", []))
    while pending:
        child = pending.pop()
        assert_valid({**obj, "spec": {"route": child}})
        pending.extend(child.get("routes", []))


#: One config of every integration the CRD has, with every secret it can take.
EVERY_INTEGRATION = {
    "email_configs": EmailConfig(to="team@shop.example.com", from_="am@shop.example.com",
                                 smarthost="smtp.shop.example.com:587", auth_username="am",
                                 auth_password=secret("smtp-password"), require_tls=True,
                                 headers={"Subject": "{{ .CommonLabels.alertname }}"}),
    "pagerduty_configs": PagerdutyConfig(routing_key=secret("pagerduty-routing-key"), severity="critical"),
    "slack_configs": SlackConfig(api_url=secret("slack-webhook-url"), channel="#alerts", title="t", text="x"),
    "webhook_configs": WebhookConfig(url_file=secret("webhook-url"), max_alerts=5),
    "opsgenie_configs": OpsgenieConfig(api_key=secret("opsgenie"), message="{{ .CommonLabels.alertname }}",
                                       source_="shop", responders=[OpsgenieResponder(name="sre", type="team")],
                                       priority="P2", tags="prod", details={"runbook": "https://runbooks.example.com"},
                                       update_alerts=True),
    "msteams_configs": MSTeamsConfig(webhook_url=secret("teams"), title="alerts", summary="s", text="x"),
    "msteamsv2_configs": MSTeamsV2Config(webhook_url=secret("teams-flow"), title="alerts"),
    "telegram_configs": TelegramConfig(bot_token=secret("telegram"), chat_id=-100123, parse_mode="HTML",
                                       message_thread_id=7),
    "discord_configs": DiscordConfig(webhook_url=secret("discord"), title="t", content="c", username="am",
                                     avatar_url="https://shop.example.com/am.png"),
    "webex_configs": WebexConfig(room_id="Y2lzY29zcGFyazovL3VzL1JPT00v", bot_token=secret("webex"), message="m"),
    "sns_configs": SNSConfig(topic_arn="arn:aws:sns:eu-west-1:123456789012:alerts",
                             sigv4=SigV4Config(region="eu-west-1", role_arn="arn:aws:iam::123456789012:role/am"),
                             subject="s", attributes={"team": "sre"}),
    "victorops_configs": VictorOpsConfig(api_key=secret("victorops"), routing_key="sre", custom_fields={"team": "sre"}),
    "pushover_configs": PushoverConfig(user_key=secret("po-user"), token=secret("po-token"), retry="1m",
                                       expire="1h", priority="2"),
    "wechat_configs": WechatConfig(api_secret=secret("wechat"), corp_id="corp", to_user="@all",
                                   message_type="markdown", agent_id="1"),
    "rocketchat_configs": RocketchatConfig(token_id=secret("rc-id"), token=secret("rc-token"), channel="#alerts",
                                           title_link="https://shop.example.com"),
}

#: obscode integration field -> the CRD's receiver key.
CRD_KEYS = {field: info.alias for field, info in crd_models.ReceiverSpec.model_fields.items() if info.alias}


def test_every_integration_the_crd_has_is_covered() -> None:
    crd_receiver = __import__("tests.kubernetes.crd", fromlist=["crd"]).crd("AlertmanagerConfig")
    schema = crd_receiver["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    upstream = set(schema["properties"]["spec"]["properties"]["receivers"]["items"]["properties"]) - {"name"}
    assert set(CRD_KEYS.values()) == upstream
    assert set(EVERY_INTEGRATION) == set(CRD_KEYS)


@pytest.mark.parametrize("integration", sorted(EVERY_INTEGRATION))
def test_a_receiver_of_each_type_is_valid_against_the_crd(integration: str) -> None:
    obj = the_object(stack([Receiver(name="team", **{integration: [EVERY_INTEGRATION[integration]]})]))
    assert_valid(obj)
    (receiver,) = obj["spec"]["receivers"]
    assert list(receiver) == ["name", CRD_KEYS[integration]]
    (config,) = receiver[CRD_KEYS[integration]]
    assert "sendResolved" in config


def test_every_field_of_a_supported_integration_has_a_crd_field() -> None:
    """The conversion walks the fields by name: each obscode field lands in the spec field of the
    same name (or a renamed one), so none is dropped; webex' bot_token goes to httpConfig."""
    for field, info in crd_models.ReceiverSpec.model_fields.items():
        if field == "name":
            continue
        spec = info.annotation.__args__[0]  # type: ignore[union-attr]
        obscode_type = ReceiverModel.model_fields[field].annotation.__args__[0]  # type: ignore[union-attr]
        renamed = RENAMED.get(field, {})
        missing = [name for name, f in obscode_type.model_fields.items()
                   if not f.exclude and renamed.get(name, name) not in spec.model_fields
                   and (field, name) != ("webex_configs", "bot_token")]
        assert not missing, f"{field}: {missing}"


def _with_secrets_in(config: Any, folder: Any, values: dict[str, str]) -> Any:
    """``config`` with each SecretRef moved to a file of ``folder`` holding a secret value."""
    update = {}
    for field in type(config).model_fields:
        ref = getattr(config, field)
        if isinstance(ref, SecretRef):
            name = ref.file.rsplit("/", 1)[-1]
            values[name] = f"s3cr3t-{name}-4f9a8b7c6d5e"
            (folder / name).write_text(values[name])
            update[field] = SecretRef(file=str(folder / name))
    return config.model_copy(update=update)


def test_secrets_are_key_references_never_values_or_paths(tmp_path) -> None:
    values: dict[str, str] = {}
    receivers = [Receiver(name=integration.removesuffix("_configs"),
                          **{integration: [_with_secrets_in(config, tmp_path, values)]})
                 for integration, config in sorted(EVERY_INTEGRATION.items())]
    assert len(values) == 16  # every secret field of EVERY_INTEGRATION
    the_stack = stack(receivers, settings=KubernetesSettings(namespace="shop", secret_name="shop-alertmanager"))
    text = yaml.safe_dump(render_stack(the_stack).kubernetes_of_kind("AlertmanagerConfig"))
    assert str(tmp_path) not in text
    assert not [v for v in values.values() if v in text]
    receivers_out = {r["name"]: r for r in the_object(the_stack)["spec"]["receivers"]}
    assert receivers_out["slack"]["slackConfigs"][0]["apiURL"] == {"name": "shop-alertmanager",
                                                                   "key": "slack-webhook-url"}
    assert receivers_out["webex"]["webexConfigs"][0]["httpConfig"] == {
        "authorization": {"credentials": {"name": "shop-alertmanager", "key": "webex"}}}


def test_the_kubernetes_output_writes_the_object_to_its_file() -> None:
    rendered = render_stack(stack([Receiver(name="team")]))
    (path, obj), = rendered.kubernetes_of_kind("AlertmanagerConfig").items()
    assert path == "kubernetes/alertmanagerconfig-shop.yaml"
    assert_valid(obj)


def test_the_secret_defaults_to_the_stack_name() -> None:
    obj = the_object(stack([Receiver(name="pager", pagerduty_configs=[
        PagerdutyConfig(service_key=secret("pagerduty-service-key"))])]))
    assert obj["spec"]["receivers"][0]["pagerdutyConfigs"][0]["serviceKey"] == {
        "name": "shop-secrets", "key": "pagerduty-service-key"}


def test_two_secret_files_of_one_name_are_an_error() -> None:
    receivers = [Receiver(name="a", slack_configs=[SlackConfig(api_url=SecretRef(file="/run/a/webhook"))]),
                 Receiver(name="b", slack_configs=[SlackConfig(api_url=SecretRef(file="/run/b/webhook"))])]
    with pytest.raises(ValueError) as exc:
        alertmanager_config.objects(stack(receivers))
    assert str(exc.value) == (
        "AlertmanagerConfig shop: receiver 'b', slack_configs[0], field 'api_url': secrets /run/a/webhook and "
        "/run/b/webhook would both be key 'webhook' of Secret shop-secrets; give the files different names")


def test_the_route_tree_is_the_operators_camel_case() -> None:
    night = TimeInterval(name="night", time_intervals=[TimeRange(
        times=[{"start_time": "00:00", "end_time": "06:00"}], weekdays=["monday:friday"], days_of_month=["1:7", "-1"],
        months=["january"], years=["2030"])])
    route = Route(receiver="team", group_by=["alertname"], group_wait="30s", group_interval="5m",
                  repeat_interval="4h", routes=[
                      Route(matchers=['severity="critical"', 'service=~"api|db"'], receiver="pager", continue_=True,
                            routes=[Route(matchers=['team!="web"'], receiver="team", mute_time_intervals=["night"])]),
                      Route(matchers=['severity!~"info"'], receiver="team", active_time_intervals=["night"])])
    receivers = [Receiver(name="team", webhook_configs=[WebhookConfig(url="http://hooks:8080/team")]),
                 Receiver(name="pager", webhook_configs=[WebhookConfig(url="http://hooks:8080/pager")])]
    inhibit = InhibitRule(source_matchers=['severity="critical"'], target_matchers=['severity="warning"'],
                          equal=["alertname"])
    obj = the_object(stack(receivers, route, inhibit_rules=[inhibit], time_intervals=[night]))
    assert_valid_tree(obj)
    spec = obj["spec"]
    assert spec["route"] == {
        "receiver": "team", "groupBy": ["alertname"], "groupWait": "30s", "groupInterval": "5m", "repeatInterval": "4h",
        "routes": [
            {"receiver": "pager", "matchers": [{"name": "severity", "value": "critical", "matchType": "="},
                                               {"name": "service", "value": "api|db", "matchType": "=~"}],
             "continue": True,
             "routes": [{"receiver": "team", "matchers": [{"name": "team", "value": "web", "matchType": "!="}],
                         "muteTimeIntervals": ["night"]}]},
            {"receiver": "team", "matchers": [{"name": "severity", "value": "info", "matchType": "!~"}],
             "activeTimeIntervals": ["night"]}]}
    assert spec["inhibitRules"] == [{"sourceMatch": [{"name": "severity", "value": "critical", "matchType": "="}],
                                     "targetMatch": [{"name": "severity", "value": "warning", "matchType": "="}],
                                     "equal": ["alertname"]}]
    assert spec["muteTimeIntervals"] == [{"name": "night", "timeIntervals": [{
        "times": [{"startTime": "00:00", "endTime": "06:00"}], "weekdays": ["monday:friday"],
        "daysOfMonth": [{"start": 1, "end": 7}, {"start": -1, "end": -1}], "months": ["january"], "years": ["2030"]}]}]


def test_global_settings_stay_out_and_receivers_get_what_they_took_from_them() -> None:
    global_ = AlertmanagerGlobal(resolve_timeout="5m", smtp_from="am@shop.example.com",
                                 smtp_smarthost="smtp.shop.example.com:587", slack_api_url=secret("slack-webhook-url"))
    receivers = [Receiver(name="team", email_configs=[EmailConfig(to="team@shop.example.com")],
                          slack_configs=[SlackConfig(channel="#team")])]
    obj = the_object(stack(receivers, global_=global_, templates=["/etc/alertmanager/templates/*.tmpl"]))
    assert_valid(obj)
    assert set(obj["spec"]) == {"route", "receivers"}
    assert "resolve" not in yaml.safe_dump(obj) and "templates" not in yaml.safe_dump(obj)
    team = obj["spec"]["receivers"][0]
    assert team["emailConfigs"] == [{"sendResolved": False, "to": "team@shop.example.com",
                                     "from": "am@shop.example.com", "smarthost": "smtp.shop.example.com:587"}]
    assert team["slackConfigs"][0]["apiURL"] == {"name": "shop-secrets", "key": "slack-webhook-url"}


def test_metadata_carries_the_namespace_and_the_alertmanager_config_labels() -> None:
    settings = KubernetesSettings(namespace="shop", labels={"team": "web"},
                                  alertmanager_config_labels={"alertmanagerConfig": "shop"})
    obj = the_object(stack([Receiver(name="team")], settings=settings))
    assert obj["apiVersion"] == "monitoring.coreos.com/v1alpha1" and obj["kind"] == "AlertmanagerConfig"
    assert obj["metadata"] == {"name": "shop", "namespace": "shop", "labels": {
        "app.kubernetes.io/part-of": "shop", "team": "web", "alertmanagerConfig": "shop"}}
    assert obj["spec"] == {"route": {"receiver": "team"}, "receivers": [{"name": "team"}]}


def test_quantis_route_tree_is_valid_against_the_crd(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    quantis = pipeline.load("stacks/quantis").stack
    quantis = quantis.model_copy(update={
        "outputs": [*quantis.outputs, "kubernetes"] if "kubernetes" not in quantis.outputs else quantis.outputs,
        "kubernetes": KubernetesSettings(namespace="quantis", secret_name="quantis-alertmanager")})
    obj = the_object(quantis)
    assert_valid_tree(obj)
    assert quantis.alertmanager is not None
    assert [r["name"] for r in obj["spec"]["receivers"]] == [r.name for r in quantis.alertmanager.receivers]
    assert _tree(obj["spec"]["route"]) == [
        (path, node.receiver, [str(m) for m in node.matchers], node.continue_ and path != "route")
        for path, node in quantis.alertmanager.route.walk()]
    assert len(obj["spec"]["inhibitRules"]) == len(quantis.alertmanager.inhibit_rules)


def _tree(node: dict[str, Any], path: str = "route") -> list[tuple[str, Any, list[str], bool]]:
    """(path, receiver, matchers as Alertmanager writes them, continue) of each CRD route."""
    matchers = [f'{m["name"]}{m["matchType"]}"{m["value"]}"' for m in node.get("matchers", [])]
    out = [(path, node.get("receiver"), matchers, node.get("continue", False))]
    for index, child in enumerate(node.get("routes", [])):
        out.extend(_tree(child, f"{path}.routes[{index}]"))
    return out


@pytest.mark.parametrize("integration, config, message", [
    ("jira_configs", JiraConfig(api_url="https://shop.atlassian.net", project="OPS", issue_type="Bug",
                                username="bot@shop.example.com", api_token=secret("jira")),
     "receiver 'tickets', field 'jira_configs': the AlertmanagerConfig CRD (monitoring.coreos.com/v1alpha1) has no "
     "Jira integration; send these alerts to a receiver of another type, or leave 'kubernetes' out of the stack's "
     "outputs"),
    ("incidentio_configs", IncidentioConfig(url="https://api.incident.io/v2/alert_events/http/01ABC",
                                            alert_source_token=secret("incidentio")),
     "receiver 'tickets', field 'incidentio_configs': the AlertmanagerConfig CRD (monitoring.coreos.com/v1alpha1) "
     "has no incident.io integration; send these alerts to a receiver of another type, or leave 'kubernetes' out "
     "of the stack's outputs"),
])
def test_an_integration_the_crd_lacks_is_a_definition_error(integration: str, config: Any, message: str) -> None:
    the_stack = stack([Receiver(name="tickets", **{integration: [config]})])
    with pytest.raises(DefinitionError) as exc:
        render_stack(the_stack)
    assert exc.value.message == f"AlertmanagerConfig shop: {message}"


def test_a_field_the_crd_lacks_is_an_error_naming_receiver_and_field() -> None:
    tz = TimeInterval(name="office", time_intervals=[TimeRange(weekdays=["monday:friday"], location="Europe/Paris")])
    the_stack = stack([Receiver(name="team")], Route(receiver="team", routes=[
        Route(matchers=['severity="info"'], receiver="team", active_time_intervals=["office"])]), time_intervals=[tz])
    with pytest.raises(ValueError) as exc:
        alertmanager_config.objects(the_stack)
    assert str(exc.value) == (
        "AlertmanagerConfig shop: time interval 'office', time_intervals[0], field 'location': the AlertmanagerConfig "
        "CRD (monitoring.coreos.com/v1alpha1) has no location, its times are UTC: write the range in UTC instead "
        "of Europe/Paris")


def test_an_opsgenie_responder_type_template_is_refused_by_name() -> None:
    config = OpsgenieConfig(api_key=secret("opsgenie"), responders=[OpsgenieResponder(name="sre", type="{{ .T }}")])
    with pytest.raises(ValueError) as exc:
        alertmanager_config.objects(stack([Receiver(name="ops", opsgenie_configs=[config])]))
    assert str(exc.value).startswith("AlertmanagerConfig shop: receiver 'ops', opsgenie_configs[0], responders: "
                                     "the AlertmanagerConfig CRD refuses it:")
    assert "type" in str(exc.value)


def test_an_unknown_field_is_refused_by_the_model_and_by_the_crd() -> None:
    obj = the_object(stack([Receiver(name="team", webhook_configs=[WebhookConfig(url="http://hooks:8080/team")])]))
    obj["spec"]["receivers"][0]["webhookConfigs"][0]["urlFile"] = "/etc/alertmanager/secrets/x"
    assert any("urlFile" in e for e in errors(obj))
    with pytest.raises(ValueError, match="urlFile"):
        crd_models.AlertmanagerConfigObject.model_validate(obj)


def test_the_top_route_carries_no_continue_and_no_namespace_matcher() -> None:
    """The operator forces ``continue`` on the top route and adds the namespace matcher itself."""
    settings = KubernetesSettings(namespace="shop", alertmanager=AlertmanagerTarget(matcher_strategy="OnNamespace"))
    obj = the_object(stack([Receiver(name="team")], settings=settings))
    assert obj["spec"]["route"] == {"receiver": "team"}
