"""Infrastructure alerts, for real: a real prometheus-blackbox-exporter probing the live
service (ProbeFailed when it stops, SlowProbe when /health is slow), the services' process
metrics, and DiskSpaceLow on a filesystem of the test's own (an 8 MB ext4 image mounted in
the node exporter's private namespace, see SmallDisk) at warning and critical, the critical
one inhibiting the warning in Alertmanager. Each firing alert must reach exactly the receivers
the route tree predicts (``obscode.routing.receivers_for``, cross-checked with amtool).

One stack for the module (the machine is small); the tests leave it as they found it, and
the one that stops the service runs last.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.catalog import PROCESS_METRICS
from stacks.quantis.config import CONFIG
from stacks.quantis.service.live import LiveStack
from tests.conftest import require_tool
from tests.integration.conftest import (
    TOOLS,
    assert_routed_exactly,
    assert_warning_inhibited,
    burst,
    explain,
    matches,
    wait_delivered,
)

pytestmark = pytest.mark.integration

PHASE_TIMEOUT = 60.0
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="a filesystem of the test's own needs root (mount -o loop)")


@pytest.fixture(scope="module")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    for tool in (*TOOLS, "prometheus-blackbox-exporter"):
        require_tool(tool)
    stack = LiveStack.start(tmp_path_factory.mktemp("infra"), with_database=False,
                            small_disk=os.geteuid() == 0)
    try:
        yield stack
    finally:
        stack.stop()


def wait_firing_in_prometheus(live: LiveStack, alertname: str, where: dict[str, str]) -> None:
    def firing() -> bool:
        body = live.client.get(f"{live.prometheus_url}/api/v1/alerts").json()
        return any(a["labels"].get("alertname") == alertname and a["state"] == "firing" and matches(a["labels"], where)
                   for a in body["data"]["alerts"])

    if not live.sink.wait_for(firing, PHASE_TIMEOUT):
        pytest.fail(f"{alertname} {where} not firing in Prometheus; " + explain(live, alertname))


def assert_inhibited(live: LiveStack, alertname: str, where: dict[str, str]) -> None:
    """Alertmanager holds the warning as suppressed by its critical, and never delivered it."""
    assert_warning_inhibited(live, alertname, where, PHASE_TIMEOUT)
    warnings = [d for d in live.sink.deliveries(alertname) if d.labels.get("severity") == "warning"
                and matches(d.labels, where)]
    assert warnings == [], f"the inhibited warning was delivered: {[(d.receiver, d.status) for d in warnings]}"


# -- process metrics ---------------------------------------------------------------------------


def test_services_serve_their_process_metrics(infra: LiveStack) -> None:
    expected = {spec.prometheus_name for spec in PROCESS_METRICS}
    for url in (f"{infra.service_url}/metrics", f"http://127.0.0.1:{infra.ports.model_service}/metrics"):
        text = httpx.get(url, timeout=10).text
        names = {family.name for family in text_string_to_metric_families(text)}
        assert expected <= names, url
    burst(infra, 5)

    def scraped() -> bool:
        return {r["metric"]["job"] for r in infra.query("rate(process_cpu_seconds_total[10s]) > 0")} >= {
            CONFIG.api.name, CONFIG.model_service.name}

    assert infra.sink.wait_for(scraped, PHASE_TIMEOUT), infra.query("process_cpu_seconds_total")
    memory = {r["metric"]["job"]: float(r["value"][1]) for r in infra.query("process_resident_memory_bytes")}
    assert memory[CONFIG.api.name] > 10 * 1024 * 1024


def _reload_rule_file(live: LiveStack, name: str, config: Any = CONFIG) -> None:
    """Rewrite the live ``prometheus/rules/<name>.yml`` as the local profile writes it from
    ``config`` (the same rules at other thresholds), and reload Prometheus (``--web.enable-lifecycle``)."""
    from obscode import emit
    from obscode.loader import load
    from stacks.quantis.profiles import local
    from tests.conftest import ROOT

    stack = local(load(ROOT / "stacks" / "quantis").stack, ports=live.ports, config=config)
    relative = f"prometheus/rules/{name}.yml"
    (live.files["root"] / relative).write_bytes(emit.render(stack)[relative])
    live.client.post(f"{live.prometheus_url}/-/reload").raise_for_status()

    def notifying() -> bool:  # a reload restarts discovery: alerts sent before it ends are dropped
        body = live.client.get(f"{live.prometheus_url}/api/v1/alertmanagers").json()
        return bool(body["data"]["activeAlertmanagers"])

    assert live.sink.wait_for(notifying, PHASE_TIMEOUT), "Prometheus lost its Alertmanager after the reload"


def _reload_with_process_thresholds(live: LiveStack, **thresholds: float | str) -> None:
    """probe_alerts.yml at other ``Probes`` thresholds; no keyword restores the configured ones."""
    _reload_rule_file(live, "probe_alerts", dataclasses.replace(CONFIG, probes=dataclasses.replace(CONFIG.probes, **thresholds)))


@pytest.mark.parametrize(("alertname", "thresholds"), [
    # Below what any running service uses, so the real expressions fire on the real series; a
    # for: of 12 s locally (2h / 600) outlasts the restart of Alertmanager discovery the reload causes.
    ("HighProcessMemory", {"resident_bytes_warning": 1024 * 1024, "resident_bytes_critical": 2 * 1024 * 1024,
                           "for_memory": "2h"}),
    ("HighProcessCpu", {"cpu_cores_warning": 0.0, "cpu_cores_critical": 0.000001, "for_cpu": "2h"}),
])
def test_process_alerts_fire_per_service_and_the_critical_inhibits_the_warning(
        infra: LiveStack, alertname: str, thresholds: dict[str, float | str]) -> None:
    burst(infra, 5)
    _reload_with_process_thresholds(infra, **thresholds)
    try:
        for job in (CONFIG.api.name, CONFIG.model_service.name):
            where = {"service": job}
            wait_delivered(infra, alertname, "firing", where={**where, "severity": "critical"}, timeout=PHASE_TIMEOUT)
            wait_firing_in_prometheus(infra, alertname, {**where, "severity": "warning"})
            assert_inhibited(infra, alertname, where)
            assert_routed_exactly(infra, alertname, where=where)
    finally:
        _reload_with_process_thresholds(infra)
    # Not waited for: a resolution. Prometheus 2.42 drops the alerts of a reloaded rule without
    # sending them resolved (measured: none within 25 s); Alertmanager ends them at their endsAt.
    assert infra.sink.wait_for(lambda: not infra.alert_state(alertname), PHASE_TIMEOUT), explain(infra, alertname)


@pytest.mark.parametrize(("alertname", "thresholds", "critical"), [
    # Below what the machine uses (idle below 150 % of a core, any memory used), so the real
    # expressions fire on the real node exporter's series without burning a core or allocating
    # memory on the shared machine; for: of 12 s locally (2h / 600) outlasts the reload.
    ("HighCpuUsage", {"cpu_idle_ratio_below": 1.5}, False),
    ("HighMemoryUsage", {"memory_used_ratio_above": 0.0, "memory_used_ratio_critical": 0.000001}, True),
])
def test_node_alerts_fire_on_the_real_node_exporter(infra: LiveStack, alertname: str,
                                                     thresholds: dict[str, float], critical: bool) -> None:
    config = dataclasses.replace(CONFIG, thresholds=dataclasses.replace(CONFIG.thresholds, **thresholds),
                                 for_=dataclasses.replace(CONFIG.for_, high_cpu="2h", high_memory="2h"))
    where = {"service": CONFIG.node.name}
    _reload_rule_file(infra, "system_alerts", config)
    try:
        if critical:
            wait_delivered(infra, alertname, "firing", where={**where, "severity": "critical"}, timeout=PHASE_TIMEOUT)
            wait_firing_in_prometheus(infra, alertname, {**where, "severity": "warning"})
            assert_inhibited(infra, alertname, where)
        else:
            wait_delivered(infra, alertname, "firing", where={**where, "severity": "warning"}, timeout=PHASE_TIMEOUT)
        assert_routed_exactly(infra, alertname, where=where)
    finally:
        _reload_rule_file(infra, "system_alerts")
    if critical:  # HighCpuUsage may hold at its real threshold too while the machine is busy (its docs say so)
        assert infra.sink.wait_for(lambda: not infra.alert_state(alertname), PHASE_TIMEOUT), explain(infra, alertname)


# -- blackbox probes ------------------------------------------------------------------------------


def test_blackbox_probes_each_service_health_through_the_exporter(infra: LiveStack) -> None:
    def probed() -> dict[str, tuple[str, str]]:
        return {r["metric"]["service"]: (r["metric"]["instance"], r["value"][1]) for r in infra.query("probe_success")}

    assert infra.sink.wait_for(lambda: set(probed()) == set(CONFIG.probes.jobs), PHASE_TIMEOUT), probed()
    found = probed()
    ports = {CONFIG.api.name: infra.ports.api, CONFIG.model_service.name: infra.ports.model_service}
    for service, (instance, success) in found.items():
        assert instance == f"http://127.0.0.1:{ports[service]}{CONFIG.probes.path}"
        assert success == "1", found


def test_slow_health_fires_slow_probe_critical_and_inhibits_its_warning(infra: LiveStack) -> None:
    where = {"service": CONFIG.api.name}
    assert not infra.sink.deliveries("SlowProbe"), explain(infra, "SlowProbe")
    infra.set_fault("slow-health", True)
    try:
        wait_delivered(infra, "SlowProbe", "firing", where={**where, "severity": "critical"}, timeout=PHASE_TIMEOUT)
        wait_firing_in_prometheus(infra, "SlowProbe", {**where, "severity": "warning"})
        assert_inhibited(infra, "SlowProbe", where)
    finally:
        infra.set_fault("slow-health", False)
    wait_delivered(infra, "SlowProbe", "resolved", where={**where, "severity": "critical"}, timeout=PHASE_TIMEOUT)
    assert_routed_exactly(infra, "SlowProbe", where=where)
    assert not infra.sink.deliveries("ProbeFailed"), "a slow probe is not a failed one"


# -- disk filling up ---------------------------------------------------------------------------------


@ROOT_ONLY
def test_disk_fill_fires_disk_space_low_critical_and_inhibits_its_warning(infra: LiveStack) -> None:
    disk = infra.disk
    assert disk is not None
    where = {"mountpoint": str(disk.mountpoint)}
    assert disk.used_ratio() < CONFIG.thresholds.disk_used_ratio_warning
    assert not [d for d in infra.sink.deliveries("DiskSpaceLow") if matches(d.labels, where)]
    disk.fill_to((CONFIG.thresholds.disk_used_ratio_critical + 1) / 2)
    try:
        assert disk.used_ratio() > CONFIG.thresholds.disk_used_ratio_critical
        wait_delivered(infra, "DiskSpaceLow", "firing", where={**where, "severity": "critical"}, timeout=PHASE_TIMEOUT)
        wait_firing_in_prometheus(infra, "DiskSpaceLow", {**where, "severity": "warning"})
        assert_inhibited(infra, "DiskSpaceLow", where)
    finally:
        disk.empty()
    wait_delivered(infra, "DiskSpaceLow", "resolved", where={**where, "severity": "critical"}, timeout=PHASE_TIMEOUT)
    assert_routed_exactly(infra, "DiskSpaceLow", where=where)


@ROOT_ONLY
def test_the_small_disk_is_invisible_outside_its_node_exporter(infra: LiveStack) -> None:
    disk = infra.disk
    assert disk is not None
    assert str(disk.mountpoint) not in Path("/proc/self/mounts").read_text()
    # Seen through the exporter's root it is another filesystem; here, the empty directory under it.
    assert disk.path().stat().st_dev != disk.mountpoint.stat().st_dev
    assert "lost+found" in os.listdir(disk.path())
    assert os.listdir(disk.mountpoint) == []


# -- the service stops (last: it restarts the service) -----------------------------------------------


def test_probe_failed_fires_when_the_service_stops_and_resolves(infra: LiveStack) -> None:
    assert not infra.sink.deliveries("ProbeFailed"), explain(infra, "ProbeFailed")
    infra.stop_service()
    try:
        for job in CONFIG.probes.jobs:
            wait_delivered(infra, "ProbeFailed", "firing", where={"service": job}, timeout=PHASE_TIMEOUT)
    finally:
        infra.start_service()
    for job in CONFIG.probes.jobs:
        wait_delivered(infra, "ProbeFailed", "resolved", where={"service": job}, timeout=PHASE_TIMEOUT)
        assert_routed_exactly(infra, "ProbeFailed", where={"service": job})


# -- without a live stack ---------------------------------------------------------------------------


def test_local_blackbox_job_probes_local_services_through_the_local_exporter() -> None:
    from obscode.loader import load
    from obscode.model.duration import parse_duration
    from stacks.quantis.profiles import LocalPorts, local
    from tests.conftest import ROOT

    ports = LocalPorts(api=18000, model_service=18001, blackbox=18115)
    stack = local(load(ROOT / "stacks" / "quantis").stack, ports=ports)
    job = next(j for j in stack.prometheus.scrape_configs if j.job_name == CONFIG.blackbox.name)
    assert {c.labels["service"]: c.targets for c in job.static_configs} == {
        "api": ["127.0.0.1:18000"], "model_service": ["127.0.0.1:18001"]}
    assert job.relabel_configs[-1].replacement == "127.0.0.1:18115"
    # The exporter gives a probe the scrape timeout less its 0.5 s offset: more than SlowProbe's critical level.
    assert parse_duration(job.scrape_timeout) / 1000 - 0.5 > CONFIG.probes.duration_seconds_critical


def test_a_small_disk_without_root_says_what_it_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks.quantis.service import processes

    monkeypatch.setattr(processes.os, "geteuid", lambda: 1000)
    disk = processes.SmallDisk(tmp_path / "disk.img", tmp_path / "disk")
    with pytest.raises(processes.ToolMissing, match=r"needs root \(unshare --mount, mount -o loop\)"):
        processes.start_node_exporter_with_disk(1, disk, tmp_path)
    with pytest.raises(RuntimeError, match="mounted only while its node exporter runs"):
        disk.path()


def test_demo_scenarios_use_the_fault_and_alerts_proved_here() -> None:
    from stacks.quantis.demo import SCENARIOS
    from stacks.quantis.service.faults import FAULTS

    assert SCENARIOS["disk-fill"][1] == "DiskSpaceLow"
    fault, alert, _ = SCENARIOS["slow-probe"]
    assert (fault, alert) == ("slow-health", "SlowProbe") and fault in FAULTS
