"""The local profile is the production stack with local addresses and short timings —
derived, not copied: same expressions, labels, routes and inhibit rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from obscode import emit, profiles as obscode_profiles
from obscode.emit.alertmanager import data as am_data
from obscode.loader import load
from stacks.quantis.config import CONFIG
from stacks.quantis.profiles import LocalPorts, local, local_blackbox, shorten
from stacks.quantis.service.faults import Faults, UnknownFault
from tests.conftest import ROOT, require_tool

PORTS = LocalPorts(api=18000, model_service=18001, database=18187, node=18100, alertmanager=18093, webhook=18099,
                   pushgateway=18091, blackbox=18115)


@pytest.fixture(scope="module")
def stacks() -> tuple:
    production = load(ROOT / "stacks" / "quantis").stack
    return production, local(production, ports=PORTS)


def test_targets_point_at_local_ports(stacks: tuple) -> None:
    _, stack = stacks
    # The blackbox job's targets are the probed services (tests/integration/test_infra_live.py).
    targets = {job.job_name: job.static_configs[0].targets for job in stack.prometheus.scrape_configs
               if job.job_name != "blackbox"}
    assert targets == {"api": ["127.0.0.1:18000"], "model_service": ["127.0.0.1:18001"],
                       "database": ["127.0.0.1:18187"], "node": ["127.0.0.1:18100"],
                       "pushgateway": ["127.0.0.1:18091"]}


def test_alerts_keep_expressions_and_labels_and_shorten_for(stacks: tuple) -> None:
    production, stack = stacks
    # SLO alerts are rebuilt on shorter windows (tests/slo/test_expand.py): the others are kept
    prod = [rule for file, rule in production.alerts() if not file.generated_by]
    local = [rule for file, rule in stack.alerts() if not file.generated_by]
    assert [rule.alert for rule in local] == [rule.alert for rule in prod]
    for rule, original in zip(local, prod):
        assert rule.expr == original.expr
        assert rule.labels == original.labels
        assert rule.for_ == shorten(original.for_)


def test_routes_and_inhibition_are_production_receivers_are_webhooks(stacks: tuple) -> None:
    production, stack = stacks
    strip = lambda route: {k: v for k, v in am_data(route).items() if not k.startswith("group_") and k != "repeat_interval"}  # noqa: E731
    assert [strip(r) for r in stack.alertmanager.route.routes] == [strip(r) for r in production.alertmanager.route.routes]
    assert ([am_data(r) for r in stack.alertmanager.inhibit_rules]
            == [am_data(r) for r in production.alertmanager.inhibit_rules])
    urls = {r.name: r.webhook_configs[0].url for r in stack.alertmanager.receivers}
    assert urls == {name: f"http://127.0.0.1:18099/{name}" for name in ("team-email", "pager", "data-science-team")}


def test_descriptions_quote_the_local_for(stacks: tuple) -> None:
    _, stack = stacks
    down = next(rule for _, rule in stack.alerts() if rule.alert == "ServiceDown")
    assert down.annotations["description"] == "Service has been down for more than 2 seconds"


def test_quantis_profile_is_the_generic_one_on_quantis_ports(stacks: tuple) -> None:
    production, stack = stacks
    generic = obscode_profiles.local(production, job_ports=PORTS.jobs(), alertmanager_port=PORTS.alertmanager,
                                     webhook_port=PORTS.webhook)
    generic = local_blackbox(generic, PORTS, CONFIG)  # probes the local services through the local exporter
    ours, theirs = emit.render(stack), emit.render(generic)
    for path in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml"):
        assert ours[path] == theirs[path], path
    assert [r.for_ for _, r in stack.alerts()] == [r.for_ for _, r in generic.alerts()]


@pytest.mark.parametrize(("production", "local_for"), [("1h", "6s"), ("30m", "3s"), ("15m", "2s"), ("1m", "2s")])
def test_for_durations_shrink_by_600_with_a_2s_floor(production: str, local_for: str) -> None:
    assert shorten(production) == local_for


def test_bad_port_variable_is_named() -> None:
    with pytest.raises(ValueError, match=r"QUANTIS_LOCAL_API_PORT='http' is not a port number \(1-65535\)"):
        LocalPorts.from_env({"QUANTIS_LOCAL_API_PORT": "http"})


def test_unknown_fault_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFault, match="unknown fault 'slow'; known faults: drift, errors, latency"):
        Faults(("slow",))


def test_cli_generates_the_profile_and_promtool_accepts_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    promtool = require_tool("promtool")
    obscode = Path(sys.executable).parent / "obscode"
    proc = subprocess.run([str(obscode), "generate", "--profile", "local", "--out", str(tmp_path), "stacks/quantis"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "QUANTIS_LOCAL_API_PORT": "18000"})
    assert proc.returncode == 0, proc.stderr
    config = tmp_path / "quantis" / "prometheus" / "prometheus.yml"
    assert "127.0.0.1:18000" in config.read_text()
    check = subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
