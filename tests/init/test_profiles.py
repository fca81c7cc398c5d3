"""The generic ``local`` profile (obscode.profiles) applies to any stack; a stack's own profile
of the same name wins and can build on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode import (
    AlertmanagerConfig, AlertmanagerEndpoint, AlertmanagerGlobal, AlertRule, EmailConfig, KubernetesSDConfig, PrometheusConfig, Receiver,
    Route, RuleFile, RuleGroup, ScrapeConfig, Stack, StaticConfig,
)
from obscode.cli import main
from obscode.errors import UsageError
from obscode.loader import load
from obscode.profiles import local, port_variable, shorten
from tests.conftest import ROOT, require_tool


def _stack() -> Stack:
    return Stack(
        name="shop",
        prometheus=PrometheusConfig(
            alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["am.prod:9093"])])],
            scrape_configs=[
                ScrapeConfig(job_name="api", scrape_interval="30s",
                             static_configs=[StaticConfig(targets=["api-1.prod:8000", "api-2.prod:8000"])]),
                ScrapeConfig(job_name="cluster", kubernetes_sd_configs=[KubernetesSDConfig(role="node")]),
            ],
        ),
        rule_files=[RuleFile(name="alerts", groups=[RuleGroup(name="api", interval="1m", rules=[
            AlertRule(alert="ApiDown", expr='up{job="api"} == 0', for_="1h", labels={"severity": "critical"}),
            AlertRule(alert="ApiFlapping", expr='changes(up{job="api"}[1h]) > 3', labels={"severity": "warning"}),
        ])])],
        alertmanager=AlertmanagerConfig(
            global_=AlertmanagerGlobal(smtp_smarthost="smtp.example.com:587", smtp_from="am@example.com"),
            route=Route(receiver="team", group_wait="1m",
                        routes=[Route(matchers=['severity="critical"'], receiver="on call", group_interval="10m")]),
            receivers=[Receiver(name="team", email_configs=[EmailConfig(to="team@example.com")]),
                       Receiver(name="on call", email_configs=[EmailConfig(to="oncall@example.com")]),
                       Receiver(name="void")],
        ),
        job_catalogs={"api": ["instrumentation-http"], "cluster": ["node-exporter"]},
    )


def test_targets_move_to_localhost_keeping_their_ports() -> None:
    stack = local(_stack(), environ={})
    assert [(j.job_name, j.static_configs[0].targets, j.scrape_interval) for j in stack.prometheus.scrape_configs] == \
        [("api", ["127.0.0.1:8000"], "1s")]
    assert stack.prometheus.alertmanagers[0].static_configs[0].targets == ["127.0.0.1:9093"]
    assert (stack.prometheus.global_.scrape_interval, stack.prometheus.global_.evaluation_interval) == ("1s", "1s")


def test_ports_come_from_a_mapping_or_the_environment() -> None:
    stack = local(_stack(), job_ports={"api": 18000}, environ={"OBSCODE_LOCAL_ALERTMANAGER_PORT": "18093"})
    assert stack.prometheus.scrape_configs[0].static_configs[0].targets == ["127.0.0.1:18000"]
    assert stack.prometheus.alertmanagers[0].static_configs[0].targets == ["127.0.0.1:18093"]
    from_env = local(_stack(), environ={"OBSCODE_LOCAL_API_PORT": "18001"})
    assert from_env.prometheus.scrape_configs[0].static_configs[0].targets == ["127.0.0.1:18001"]


def test_port_variable_names_any_job() -> None:
    assert port_variable("model-service") == "OBSCODE_LOCAL_MODEL_SERVICE_PORT"


def test_a_bad_port_variable_is_named() -> None:
    with pytest.raises(UsageError, match=r"OBSCODE_LOCAL_WEBHOOK_PORT='x' is not a port number \(1-65535\)"):
        local(_stack(), environ={"OBSCODE_LOCAL_WEBHOOK_PORT": "x"})


def test_jobs_with_service_discovery_are_dropped_with_their_catalogs() -> None:
    stack = local(_stack(), environ={})
    assert [j.job_name for j in stack.prometheus.scrape_configs] == ["api"]
    assert list(stack.job_catalogs) == ["api"]


def test_for_is_shortened_and_groups_evaluate_every_second() -> None:
    stack = local(_stack(), environ={})
    assert [(r.alert, r.for_) for _, r in stack.alerts()] == [("ApiDown", "6s"), ("ApiFlapping", None)]
    assert stack.rule_files[0].groups[0].interval == "1s"
    assert [r.expr for _, r in stack.alerts()] == [r.expr for _, r in _stack().alerts()]


@pytest.mark.parametrize(("production", "short"), [("1h", "6s"), ("30m", "3s"), ("15m", "2s"), ("1m", "2s"), ("0s", "0s")])
def test_for_durations_shrink_by_600_with_a_2s_floor(production: str, short: str) -> None:
    assert shorten(production) == short


def test_receivers_become_webhooks_to_the_local_sink() -> None:
    stack = local(_stack(), environ={"OBSCODE_LOCAL_WEBHOOK_PORT": "18099"})
    hooks = {r.name: [w.url for w in r.webhook_configs] for r in stack.alertmanager.receivers}
    assert hooks == {"team": ["http://127.0.0.1:18099/team"], "on call": ["http://127.0.0.1:18099/on%20call"],
                     "void": []}
    assert all(not r.email_configs for r in stack.alertmanager.receivers)
    route = stack.alertmanager.route
    assert (route.group_wait, route.group_interval, route.repeat_interval) == ("1s", "2s", "1h")
    assert route.routes[0].group_interval == "2s" and route.routes[0].matchers == _stack().alertmanager.route.routes[0].matchers


def test_alert_tests_are_dropped() -> None:
    from obscode.model.alert_tests import AlertExpectation, AlertTest

    test = AlertTest(name="api-down", interval="1m",
                     alert_rule_test=[AlertExpectation(eval_time="1h", alertname="ApiDown")])
    production = _stack().model_copy(update={"alert_tests": [test]})
    assert local(production, environ={}).alert_tests == []


STACK_WITHOUT_PROFILES = '''
from obscode import PrometheusConfig, ScrapeConfig, Stack, StaticConfig

stack = Stack(name="{name}", prometheus=PrometheusConfig(scrape_configs=[
    ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api.prod:8000"])])]))
'''

OWN_PROFILE = '''
import obscode.profiles

def local(stack):
    return obscode.profiles.local(stack, job_ports={{"api": 12345}})

profiles = {{"local": local}}
'''


def _write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text(text)
    return folder


def test_a_stack_without_profiles_has_the_generic_local_one(tmp_path: Path) -> None:
    folder = _write(tmp_path, "plain", STACK_WITHOUT_PROFILES.format(name="plain"))
    stack = load(folder, profile="local").stack
    assert stack.prometheus.scrape_configs[0].static_configs[0].targets == ["127.0.0.1:8000"]


def test_a_stacks_own_profile_wins_and_builds_on_the_generic_one(tmp_path: Path) -> None:
    folder = _write(tmp_path, "own", STACK_WITHOUT_PROFILES.format(name="own") + OWN_PROFILE.format())
    stack = load(folder, profile="local").stack
    assert stack.prometheus.scrape_configs[0].static_configs[0].targets == ["127.0.0.1:12345"]
    assert stack.prometheus.global_.scrape_interval == "1s"


def test_an_unknown_profile_lists_the_known_ones(tmp_path: Path) -> None:
    folder = _write(tmp_path, "plain", STACK_WITHOUT_PROFILES.format(name="plain"))
    with pytest.raises(UsageError, match=r"stack plain has no profile 'staging' \(profiles: local\)"):
        load(folder, profile="staging")


def test_a_bad_port_variable_stops_generate_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _write(tmp_path, "plain", STACK_WITHOUT_PROFILES.format(name="plain"))
    monkeypatch.setenv("OBSCODE_LOCAL_API_PORT", "eighty")
    result = CliRunner().invoke(main, ["generate", "--no-tools", "--profile", "local", "--out", str(tmp_path / "out"),
                                       str(folder)])
    assert result.exit_code == 2
    assert "stack plain, profile local: OBSCODE_LOCAL_API_PORT='eighty' is not a port number (1-65535)" in result.output


def test_a_failing_stack_profile_names_the_stack_and_the_profile(tmp_path: Path) -> None:
    folder = _write(tmp_path, "broken", STACK_WITHOUT_PROFILES.format(name="broken")
                    + "\ndef local(stack):\n    raise ValueError('no ports here')\n\nprofiles = {'local': local}\n")
    with pytest.raises(UsageError, match=r"stack broken, profile local does not apply: ValueError: no ports here "
                                         r"\(.*broken/__init__.py:8\)"):
        load(folder, profile="local")


def test_an_imported_stack_generates_with_the_local_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("promtool")
    require_tool("amtool")
    monkeypatch.chdir(tmp_path)
    production = ROOT / "generated" / "quantis"
    for kind, path in (("prometheus", "prometheus/prometheus.yml"), ("alertmanager", "alertmanager/alertmanager.yml")):
        result = CliRunner().invoke(main, ["import", kind, str(production / path), "--stack", "imported"])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["generate", "--profile", "local", "imported"])
    assert result.exit_code == 0, result.output
    config = (tmp_path / "out" / "local" / "imported" / "prometheus" / "prometheus.yml").read_text()
    assert "kubernetes" not in config and "127.0.0.1:8000" in config and "api:8000" not in config
    routing = (tmp_path / "out" / "local" / "imported" / "alertmanager" / "alertmanager.yml").read_text()
    assert "http://127.0.0.1:9099/pager" in routing and "pagerduty" not in routing
