"""alertmanager.yml follows the target: ``matchers`` from Alertmanager 0.22 on, ``match`` and
``match_re`` maps before; ``time_intervals`` from 0.24, the top-level ``mute_time_intervals``
before. Both forms are checked with the real amtool 0.25, which reads both and routes alike."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from obscode import AlertmanagerConfig, InhibitRule, Receiver, Route, Stack
from obscode.emit.alertmanager import emit
from obscode.model.alertmanager import TimeInterval, TimeRange
from tests.conftest import require_tool


def stack(version: str) -> Stack:
    """Time intervals (Alertmanager >= 0.22) only for targets that have them."""
    intervals = ["night"] if version >= "0.22" else []
    route = Route(receiver="team", group_by=["alertname"], routes=[
        Route(matchers=['severity="critical"', 'service=~"api|web"'], receiver="pager", continue_=True,
              routes=[Route(matchers=['team="db"'], receiver="db", mute_time_intervals=intervals)]),
    ])
    inhibit = InhibitRule(source_matchers=['severity="critical"'], target_matchers=['severity=~"warning|info"'],
                          equal=["alertname"])
    night = TimeInterval(name="night", time_intervals=[TimeRange(times=[{"start_time": "00:00", "end_time": "06:00"}])])
    config = AlertmanagerConfig(route=route, receivers=[Receiver(name=n) for n in ("team", "pager", "db")],
                                inhibit_rules=[inhibit], time_intervals=[night] if intervals else [])
    return Stack(name="am", alertmanager=config, alertmanager_version=version)


def written(version: str, tmp_path: Path) -> tuple[Path, dict]:
    data = emit(stack(version))["alertmanager/alertmanager.yml"]
    path = tmp_path / f"alertmanager-{version}.yml"
    path.write_bytes(data)
    return path, yaml.safe_load(data)


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("amtool"), *args], capture_output=True, text=True, timeout=60)


def test_current_target_writes_matchers_and_time_intervals(tmp_path: Path) -> None:
    path, config = written("0.25", tmp_path)
    child = config["route"]["routes"][0]
    assert child["matchers"] == ['severity="critical"', 'service=~"api|web"'] and "match" not in child
    assert config["inhibit_rules"][0]["source_matchers"] == ['severity="critical"']
    assert [t["name"] for t in config["time_intervals"]] == ["night"]
    proc = amtool("check-config", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_alertmanager_0_21_gets_match_and_match_re_maps(tmp_path: Path) -> None:
    path, config = written("0.21", tmp_path)
    child = config["route"]["routes"][0]
    assert "matchers" not in child
    assert child["match"] == {"severity": "critical"} and child["match_re"] == {"service": "api|web"}
    assert child["routes"][0]["match"] == {"team": "db"}
    assert config["inhibit_rules"][0] == {"source_match": {"severity": "critical"},
                                          "target_match_re": {"severity": "warning|info"}, "equal": ["alertname"]}
    proc = amtool("check-config", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_alertmanager_0_23_gets_top_level_mute_time_intervals(tmp_path: Path) -> None:
    path, config = written("0.23", tmp_path)
    assert config["route"]["routes"][0]["matchers"] == ['severity="critical"', 'service=~"api|web"']
    assert "time_intervals" not in config and [t["name"] for t in config["mute_time_intervals"]] == ["night"]
    proc = amtool("check-config", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("labels, receivers", [
    (["severity=critical", "service=api"], "pager"),
    (["severity=critical", "service=web", "team=db"], "db"),
    (["severity=warning", "service=api"], "team"),
])
def test_both_syntaxes_route_alike(tmp_path: Path, labels: list[str], receivers: str) -> None:
    for version in ("0.21", "0.23", "0.25"):
        path, _ = written(version, tmp_path)
        proc = amtool("config", "routes", "test", "--config.file", str(path), *labels)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.strip() == receivers, version


def test_amtool_0_25_refuses_what_the_gates_refuse(tmp_path: Path) -> None:
    """Why the gates exist: the real amtool 0.25 fails on a quoted UTF-8 label name (0.27) and on
    webhook url_file (0.26), which obscode refuses at definition for the default target."""
    for receiver, says in (('{"name": "team", "webhook_configs": [{"url_file": "/etc/am/url"}]}',
                            "field url_file not found"),
                           ('{"name": "team"}', 'bad matcher format: "service.name"="api"')):
        route = '{"receiver": "team", "routes": [{"receiver": "team", "matchers": ["\\"service.name\\"=\\"api\\""]}]}'
        if "url_file" in receiver:
            route = '{"receiver": "team"}'
        path = tmp_path / "alertmanager.yml"
        path.write_text(f'{{"route": {route}, "receivers": [{receiver}]}}')
        proc = amtool("check-config", str(path))
        assert proc.returncode != 0 and says in proc.stdout + proc.stderr, proc.stdout + proc.stderr
