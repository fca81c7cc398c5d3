"""Target versions: a malformed version is refused, and a feature the target lacks is a
definition error naming the object, the field and the version it needs (one test per
family of gate: rules, scrape, routing, receiver secrets, integrations)."""

from __future__ import annotations

from typing import Any

import pytest

from obscode import (
    AlertmanagerConfig, AlertRule, PagerdutyConfig, PrometheusConfig, Receiver, Route, RuleFile, RuleGroup,
    SecretRef, Stack,
)
from obscode.emit.alertmanager import data as am_data
from obscode.errors import DefinitionError
from obscode.model.alertmanager import TimeInterval, TimeRange, WebhookConfig
from obscode.model.scrape import RelabelConfig, ScrapeConfig, StaticConfig
from obscode.versions import FEATURES, gate_message, grafana_schema_version, parse_version


def webhook_stack(**versions: str) -> Stack:
    hook = Receiver(name="hook", webhook_configs=[WebhookConfig(url_file=SecretRef(file="/etc/am/hook-url"))])
    return Stack(name="s", alertmanager=AlertmanagerConfig(route=Route(receiver="hook"), receivers=[hook]),
                 **versions)


def refused(build: Any) -> str:
    with pytest.raises(DefinitionError) as caught:
        build()
    return str(caught.value)


@pytest.mark.parametrize("field", ["prometheus_version", "alertmanager_version", "grafana_version"])
@pytest.mark.parametrize("value", ["2", "latest", "2.x", "2.42.0.1", ""])
def test_malformed_version_is_refused(field: str, value: str) -> None:
    message = refused(lambda: Stack(name="s", **{field: value}))
    assert message.startswith(f"stack s, field '{field}': {field} {value!r} is not a version; "
                              "write MAJOR.MINOR or MAJOR.MINOR.PATCH")


def test_versions_with_patch_or_v_prefix_are_accepted() -> None:
    stack = Stack(name="s", prometheus_version="v2.53.1", alertmanager_version="0.27.0", grafana_version="12.0")
    assert parse_version(stack.prometheus_version) == (2, 53, 1)


def test_version_older_than_obscode_writes_for_is_refused() -> None:
    message = refused(lambda: Stack(name="s", prometheus_version="1.8"))
    assert "prometheus_version '1.8' is older than obscode supports: it writes configuration for Prometheus >= 2.0" \
        in message


def test_webhook_url_file_needs_alertmanager_0_26() -> None:
    message = refused(lambda: webhook_stack())
    assert message.startswith(
        "webhook_config in receiver hook, field 'url_file': url_file (a secret webhook address read "
        "from a file) needs Alertmanager >= 0.26; the stack targets 0.25 (alertmanager_version)")
    assert "test_gates.py:" in message, "the message points at the line that built the webhook config"
    assert webhook_stack(alertmanager_version="0.26").alertmanager is not None


def test_rule_features_need_their_prometheus() -> None:
    def stack(version: str, **group: Any) -> Stack:
        rules = [AlertRule(alert="Down", expr="up == 0", keep_firing_for="5m")]
        return Stack(name="s", prometheus_version=version,
                     rule_files=[RuleFile(name="f", groups=[RuleGroup(name="g", rules=rules, **group)])])

    assert stack("2.42").rule_files  # the default target has keep_firing_for
    message = refused(lambda: stack("2.41"))
    assert "alert Down in rule group g in rule file f, field 'keep_firing_for': alert keep_firing_for " \
           "needs Prometheus >= 2.42; the stack targets 2.41 (prometheus_version)" in message
    assert "field 'query_offset': rule group query_offset needs Prometheus >= 2.53; the stack targets 2.42" \
        in refused(lambda: stack("2.42", query_offset="1m"))
    assert "field 'limit': rule group limit needs Prometheus >= 2.31" in refused(lambda: stack("2.30", limit=10))


def test_relabel_action_needs_its_prometheus() -> None:
    job = ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])], relabel_configs=[
        RelabelConfig(action="keepequal", source_labels=["a"], target_label="b")])
    message = refused(lambda: Stack(name="s", prometheus=PrometheusConfig(scrape_configs=[job]),
                                    prometheus_version="2.40"))
    assert "relabel_config in scrape job api, field 'action': relabel action 'keepequal' " \
           "(relabel_configs[0]) needs Prometheus >= 2.41; the stack targets 2.40" in message


def test_negative_matcher_needs_alertmanager_0_22() -> None:
    route = Route(receiver="team", routes=[Route(matchers=['severity!="info"'], receiver="team")])
    message = refused(lambda: Stack(name="s", alertmanager_version="0.21", alertmanager=AlertmanagerConfig(
        route=route, receivers=[Receiver(name="team")])))
    assert "route.routes[0], field 'matchers': matcher severity!=\"info\" (a negative matcher; older " \
           "Alertmanagers have only match and match_re) needs Alertmanager >= 0.22; the stack targets 0.21" in message


def test_time_interval_location_needs_alertmanager_0_25() -> None:
    config = AlertmanagerConfig(
        route=Route(receiver="team", routes=[Route(receiver="team", matchers=['a="b"'], mute_time_intervals=["night"])]),
        receivers=[Receiver(name="team")],
        time_intervals=[TimeInterval(name="night", time_intervals=[TimeRange(location="Europe/Paris")])])
    message = refused(lambda: Stack(name="s", alertmanager_version="0.24", alertmanager=config))
    assert "time interval night, field 'location': time interval location needs Alertmanager >= 0.25" \
        in message


def test_secret_file_fields_need_the_alertmanager_that_reads_them() -> None:
    pager = Receiver(name="pager", pagerduty_configs=[PagerdutyConfig(routing_key=SecretRef(file="/etc/am/pd"))])
    message = refused(lambda: Stack(name="s", alertmanager_version="0.24", alertmanager=AlertmanagerConfig(
        route=Route(receiver="pager"), receivers=[pager])))
    assert "pagerduty_config in receiver pager, field 'routing_key': routing_key (written as " \
           "routing_key_file) needs Alertmanager >= 0.25; the stack targets 0.24" in message


def test_integrations_are_gated_by_the_release_that_added_them() -> None:
    assert gate_message("msteams_configs", "0.25") == (
        "msteams_configs needs Alertmanager >= 0.26; the stack targets 0.25 (alertmanager_version): raise "
        "alertmanager_version if your Alertmanager is newer, or do without it")
    since = {name: f.since for name, f in FEATURES.items() if name.endswith("_configs")}
    assert since == {"sns_configs": "0.23", "telegram_configs": "0.24", "discord_configs": "0.25",
                     "webex_configs": "0.25", "msteams_configs": "0.26", "msteamsv2_configs": "0.28",
                     "rocketchat_configs": "0.28", "jira_configs": "0.28", "incidentio_configs": "0.29"}


def test_every_gate_cites_its_changelog_entry() -> None:
    for name, feature in FEATURES.items():
        assert feature.source.startswith((feature.since + ".", f"{feature.until}.")), name
        assert "#" in feature.source, name


@pytest.mark.parametrize("grafana, schema", [("10.4", 39), ("11.0", 39), ("11.5", 40), ("11.6", 41),
                                             ("12.0", 41), ("13.2.1", 42)])
def test_newest_dashboard_schema_version_per_grafana(grafana: str, schema: int) -> None:
    assert grafana_schema_version(grafana) == schema


def test_utf8_label_name_in_a_matcher_needs_alertmanager_0_27() -> None:
    def stack(version: str) -> Stack:
        route = Route(receiver="team", routes=[Route(matchers=['"service.name"="api"'], receiver="team")])
        return Stack(name="s", alertmanager_version=version,
                     alertmanager=AlertmanagerConfig(route=route, receivers=[Receiver(name="team")]))

    message = refused(lambda: stack("0.26"))
    assert "route.routes[0], field 'matchers': matcher \"service.name\"=\"api\" (label name 'service.name' outside " \
           "[a-zA-Z_][a-zA-Z0-9_]*) needs Alertmanager >= 0.27; the stack targets 0.26" in message
    assert am_data(stack("0.27").alertmanager)["route"]["routes"][0]["matchers"] == ['"service.name"="api"']
