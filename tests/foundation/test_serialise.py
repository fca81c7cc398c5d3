"""Serialisation lives in obscode.emit: the serialisers walk the models' fields
(obscode.emit.fields), so a field or a receiver integration added to a model is written
without an edit to any serialiser."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pydantic import Field

import obscode.model
from obscode import (
    AlertmanagerConfig, AlertRule, EmailConfig, JiraConfig, PagerdutyConfig, Receiver, RecordingRule, Route, RuleFile,
    RuleGroup, SecretRef, SlackConfig, WebhookConfig,
)
from obscode.emit import alertmanager, fields, grafana, prometheus
from obscode.model.base import Model
from obscode.model.dashboards import Datasource
from obscode.model.integrations import Integration
from tests.receivers.test_integrations import AMTOOL_CASES, NEWER_CASES


def secret(name: str) -> SecretRef:
    return SecretRef(file=f"/etc/alertmanager/secrets/{name}")


class PagerTreeConfig(Integration):
    """An integration obscode does not have: only this test declares it."""

    kind = "pagertree_config"
    secrets = {"token": None}

    #: The integration address.
    url: str
    #: A token, a SecretRef.
    token: SecretRef | None = None


class ReceiverWithPagerTree(Receiver):
    #: The new integration's configs.
    pagertree_configs: list[PagerTreeConfig] = Field(default_factory=list)


def _config(*receivers: Receiver) -> AlertmanagerConfig:
    return AlertmanagerConfig(route=Route(receiver=receivers[0].name), receivers=list(receivers))


def test_a_receiver_integration_added_to_the_model_is_written_without_a_serialiser_edit() -> None:
    receiver = ReceiverWithPagerTree(name="team", pagertree_configs=[
        PagerTreeConfig(url="https://pagertree.example.com/hook", token=secret("pagertree"))])
    written = alertmanager.render(_config(receiver), "0.34")
    assert written["receivers"] == [{"name": "team", "pagertree_configs": [
        {"url": "https://pagertree.example.com/hook", "token_file": "/etc/alertmanager/secrets/pagertree",
         "send_resolved": True}]}]


def test_every_integration_field_of_receiver_is_written() -> None:
    cases = {**AMTOOL_CASES, **{name: config for name, (_version, config) in NEWER_CASES.items()},
             "email_configs": EmailConfig(to="ops@example.com", smarthost="smtp:25", from_="am@example.com"),
             "pagerduty_configs": PagerdutyConfig(routing_key=secret("pd")),
             "slack_configs": SlackConfig(api_url=secret("slack")),
             "webhook_configs": WebhookConfig(url="http://127.0.0.1:9/hook")}
    integrations = [name for name in Receiver.model_fields if name.endswith("_configs")]
    assert sorted(cases) == sorted(integrations), "add a case for the new integration"
    receiver = Receiver(name="team", **{name: [cases[name]] for name in integrations})
    written = alertmanager.render(_config(receiver), "0.34")["receivers"][0]
    assert list(written) == ["name", *integrations]
    assert all(configs[0]["send_resolved"] in (True, False) and list(configs[0])[-1] == "send_resolved"
               for name, configs in written.items() if name != "name")


def test_a_field_added_to_a_model_is_written() -> None:
    class RouteWithOwner(Route):
        #: Who owns the route.
        owner: str | None = None

    assert alertmanager.data(RouteWithOwner(receiver="team", owner="sre")) == {"receiver": "team", "owner": "sre"}


def test_fields_left_out_none_empty_defaults_and_excluded() -> None:
    route = Route(receiver="team", ignore=["routing/tree"])
    assert alertmanager.data(route) == {"receiver": "team"}


def test_an_empty_list_is_written_where_the_default_is_none() -> None:
    # group_by: [] (group by nothing) differs from no group_by (inherit the parent's).
    assert alertmanager.data(Route(receiver="team", group_by=[])) == {"receiver": "team", "group_by": []}


def test_a_field_marked_always_is_written_at_its_default() -> None:
    assert alertmanager.data(SlackConfig(api_url=secret("slack"))) == {
        "api_url_file": "/etc/alertmanager/secrets/slack", "send_resolved": False}


def test_secrets_are_written_as_file_fields_and_a_file_field_keeps_its_name() -> None:
    assert alertmanager.data(WebhookConfig(url_file=secret("hook"))) == {
        "url_file": "/etc/alertmanager/secrets/hook", "send_resolved": True}


class _Box(Model):
    #: A secret.
    token: SecretRef | None = None


def test_an_env_secret_for_a_consumer_without_variables_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError) as error:
        fields.data(_Box(token=SecretRef(env="API_TOKEN")), "Alertmanager")
    assert str(error.value) == ("Alertmanager does not expand environment variables in its configuration; "
                                "use SecretRef(file=...) instead of SecretRef(env='API_TOKEN')")


def test_fields_with_a_path_share_the_mapping_it_names() -> None:
    jira = JiraConfig(project="OPS", issue_type="Bug", api_url="https://jira.example.com", username="bot",
                      api_token=secret("jira"))
    assert alertmanager.data(jira) == {
        "api_url": "https://jira.example.com", "project": "OPS", "issue_type": "Bug",
        "send_resolved": True,  # moved last by alertmanager.render, for every receiver config
        "http_config": {"basic_auth": {"username": "bot", "password_file": "/etc/alertmanager/secrets/jira"}}}
    assert JiraConfig.http_fields == ("username", "api_token", "bearer_token")


def test_the_prometheus_form_of_a_group_has_no_field_of_the_thanos_or_mimir_outputs() -> None:
    group = RuleGroup(name="api", interval="1m", partial_response_strategy="warn", source_tenants=["team-a"],
                      rules=[AlertRule(alert="ApiDown", expr="up == 0\n", for_="5m"),
                             RecordingRule(record="job:up:sum", expr="sum by (job) (up)")])
    assert prometheus.group_data(group) == {"name": "api", "interval": "1m", "rules": [
        {"alert": "ApiDown", "expr": "up == 0", "for": "5m"}, {"record": "job:up:sum", "expr": "sum by (job) (up)"}]}
    assert prometheus.rule_file_data(RuleFile(name="api", groups=[group])) == {"groups": [prometheus.group_data(group)]}


def test_datasources_are_written_with_grafanas_names() -> None:
    datasource = Datasource(name="Prometheus", type="prometheus", uid="prometheus", url="http://prometheus:9090")
    assert fields.data(datasource, "Grafana") == {
        "name": "Prometheus", "type": "prometheus", "uid": "prometheus", "access": "proxy",
        "url": "http://prometheus:9090", "isDefault": False, "editable": False}
    assert grafana.FORMAT == "grafana"


def test_no_model_renders_itself() -> None:
    rendering = []
    for info in pkgutil.iter_modules(obscode.model.__path__):
        module = importlib.import_module(f"obscode.model.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Model) and cls.__module__ == module.__name__ and "render" in vars(cls):
                rendering.append(f"{module.__name__}.{name}")
    assert rendering == []

