"""A small node-exporter-like catalog with collectors, for the catalog/metric tests."""

from __future__ import annotations

from typing import Any

from obscode import PrometheusConfig, RuleFile, RuleGroup, ScrapeConfig, Stack, StaticConfig
from obscode.model.catalog import Catalog, Collector, Metric
from tests.catalog.helpers import alert

HWMON = "the host has hardware sensors (hwmon)"

NODE = Catalog(
    name="node-exporter",
    namespaces=["node_"],
    collectors={"cpu": Collector(), "systemd": Collector(default=False), "hwmon": Collector(condition=HWMON),
                "textfile": Collector()},
    metrics=[
        Metric(name="node_cpu_seconds_total", type="counter", labels=["cpu", "mode"], collector="cpu"),
        Metric(name="node_systemd_unit_state", type="gauge", labels=["name", "state"], collector="systemd"),
        Metric(name="node_hwmon_temp_celsius", type="gauge", labels=["chip", "sensor"], collector="hwmon"),
        Metric(name="node_textfile_scrape_error", type="gauge", collector="textfile"),
        Metric(name="node_exporter_build_info", type="gauge", labels=["version"]),
    ],
)

#: The same systemd metric from an exporter that always emits it.
SYSTEMD = Catalog(name="systemd-exporter", metrics=[Metric(name="node_systemd_unit_state", type="gauge",
                                                           labels=["name", "state"])])


def node_stack(*exprs: str, jobs: tuple[str, ...] = ("node", "edge"), **fields: Any) -> Stack:
    """A stack whose jobs (node and edge by default) all run ``NODE``, one alert per expression."""
    rules: list[Any] = [alert(e, name=f"A{i}") for i, e in enumerate(exprs)]
    values: dict[str, Any] = dict(
        name="t",
        prometheus=PrometheusConfig(scrape_configs=[
            ScrapeConfig(job_name=job, static_configs=[StaticConfig(targets=[f"{job}:9100"])]) for job in jobs]),
        rule_files=[RuleFile(name="rules", groups=[RuleGroup(name="g", rules=rules)])] if rules else [],
        job_catalogs={job: [NODE] for job in jobs},
    )
    values.update(fields)
    return Stack(**values)

#: A catalog whose metrics have version bounds.
VERSIONED = Catalog(
    name="node-exporter",
    namespaces=["node_"],
    metrics=[
        Metric(name="node_cpu_seconds_total", type="counter", labels=["cpu", "mode"]),
        Metric(name="node_pressure_irq_stalled_seconds_total", type="counter", since="v1.9.1"),
        Metric(name="node_cpu_package_throttles_total", type="counter", until="v1.7.0"),
    ],
)
