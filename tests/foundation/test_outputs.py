"""Stack.outputs: which formats are written, what checks still see, and the messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode import (
    AlertRule, AlertmanagerConfig, AlertmanagerEndpoint, GlobalConfig, PrometheusConfig, Receiver, Route, RuleFile, RuleGroup,
    ScrapeConfig, Stack, StaticConfig, WebhookConfig,
)
from obscode.cli import main
from obscode.emit import BASE_FORMATS, FORMATS, render, render_stack
from obscode.errors import DefinitionError
from obscode.output import read_tree


def _stack(**extra: object) -> Stack:
    return Stack(
        name="shop",
        prometheus=PrometheusConfig(global_=GlobalConfig(scrape_interval="15s"),
                                    alertmanagers=[AlertmanagerEndpoint(
                                        static_configs=[StaticConfig(targets=["127.0.0.1:9093"])])],
                                    scrape_configs=[ScrapeConfig(job_name="api",
                                                                 static_configs=[StaticConfig(targets=["api:8000"])])]),
        rule_files=[RuleFile(name="api", groups=[RuleGroup(name="api", rules=[
            AlertRule(alert="ApiDown", expr='up{job="api"} == 0', for_="1m", labels={"severity": "critical"},
                      annotations={"summary": "api is down",
                                                                "description": "{{ $labels.instance }} is down"})])])],
        alertmanager=AlertmanagerConfig(route=Route(receiver="ops"),
                                        receivers=[Receiver(name="ops", webhook_configs=[
                                            WebhookConfig(url="http://127.0.0.1:9/hook")])]),
        **extra,
    )


def test_formats_are_discovered_with_the_base_formats_first() -> None:
    assert tuple(FORMATS)[:3] == BASE_FORMATS
    assert {"elk", "kubernetes"} <= set(FORMATS)
    for name, module in FORMATS.items():
        assert module.FORMAT == name and callable(module.emit)


def test_default_outputs_write_todays_files() -> None:
    files = render(_stack())
    assert {"prometheus/prometheus.yml", "prometheus/rules/api.yml", "alertmanager/alertmanager.yml",
            "grafana/provisioning/datasources/datasources.yml"} <= set(files)


def test_an_output_left_out_is_not_written_but_still_checked() -> None:
    stack = _stack(outputs=["prometheus"])
    rendered = render_stack(stack)
    assert not any(path.startswith(("alertmanager/", "grafana/")) for path in rendered.written)
    # the checks and tools still judge the Alertmanager and Grafana forms
    assert "alertmanager/alertmanager.yml" in rendered.files
    assert rendered.alertmanager_config()["route"]["receiver"] == "ops"
    assert rendered.rule_files()["prometheus/rules/api.yml"]["groups"][0]["name"] == "api"


def test_unknown_output_suggests_the_closest() -> None:
    with pytest.raises(DefinitionError) as caught:
        _stack(outputs=["prometheus", "kubernets"])
    message = str(caught.value)
    assert "field 'outputs'" in message and "unknown output 'kubernets'; did you mean kubernetes?" in message
    assert "outputs: prometheus, alertmanager, grafana" in message


def test_an_output_named_twice_is_an_error() -> None:
    with pytest.raises(DefinitionError, match="an output is named twice"):
        _stack(outputs=["prometheus", "prometheus"])


def test_kubernetes_output_needs_settings() -> None:
    with pytest.raises(DefinitionError) as caught:
        _stack(outputs=["prometheus", "kubernetes"])
    assert "outputs name 'kubernetes' but the stack has no kubernetes settings" in str(caught.value)


def test_generate_writes_only_the_chosen_outputs(tmp_path: Path) -> None:
    source = tmp_path / "shop.py"
    source.write_text(
        "from tests.foundation.test_outputs import _stack\n"
        "stack = _stack(outputs=['alertmanager'])\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(source), "--out", str(tmp_path / "out"), "--no-tools"])
    assert result.exit_code == 0, result.output
    assert sorted(read_tree(tmp_path / "out" / "shop")) == ["alertmanager/alertmanager.yml"]
