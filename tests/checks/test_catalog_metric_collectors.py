"""catalog/metric: a metric whose collector is off, or emits only where a condition holds,
is a warning that says what must hold; declaring the collector enabled silences it."""

from __future__ import annotations

from tests.catalog.helpers import messages, problems
from tests.checks._node_catalog import NODE, SYSTEMD, node_stack

CHECK = "catalog/metric"


def test_metric_of_a_default_collector_passes() -> None:
    assert messages(CHECK, node_stack('rate(node_cpu_seconds_total{mode="idle"}[5m])')) == []


def test_metric_of_no_collector_passes() -> None:
    assert messages(CHECK, node_stack("node_exporter_build_info")) == []


def test_metric_of_an_off_by_default_collector_is_a_warning_naming_the_flag() -> None:
    found = problems(CHECK, node_stack("node_systemd_unit_state == 1"))
    assert [(p.severity, p.file, p.obj, p.field, p.message) for p in found] == [(
        "warning", "prometheus/rules/rules.yml", "alert A0 (group g)", "expr",
        "metric node_systemd_unit_state is emitted only when collector systemd is enabled on job edge, node "
        "(node-exporter --collector.systemd); it is off by default: if the job runs it, say so with "
        "job_collectors={'edge': {'systemd': True}}")]


def test_collector_enabled_in_job_collectors_passes() -> None:
    enabled = {"node": {"systemd": True}, "edge": {"systemd": True}}
    assert messages(CHECK, node_stack("node_systemd_unit_state == 1", job_collectors=enabled)) == []


def test_one_job_running_the_collector_is_enough() -> None:
    assert messages(CHECK, node_stack("node_systemd_unit_state == 1", job_collectors={"edge": {"systemd": True}})) == []


def test_job_matcher_narrows_to_the_job_that_does_not_run_it() -> None:
    found = messages(CHECK, node_stack('node_systemd_unit_state{job="node"} == 1',
                                       job_collectors={"edge": {"systemd": True}}))
    assert len(found) == 1, found
    assert "collector systemd is enabled on job node (node-exporter --collector.systemd)" in found[0]
    assert "job_collectors={'node': {'systemd': True}}" in found[0]


def test_collector_disabled_in_job_collectors_is_a_warning() -> None:
    found = messages(CHECK, node_stack("node_textfile_scrape_error > 0", jobs=("node",),
                                       job_collectors={"node": {"textfile": False}}))
    assert len(found) == 1, found
    assert found[0].startswith("t: warning[catalog/metric] ")
    assert ("metric node_textfile_scrape_error is emitted only when collector textfile is enabled on job node "
            "(node-exporter --collector.textfile); the stack's job_collectors disables it") in found[0]


def test_metric_of_a_hardware_collector_is_a_warning_with_the_condition() -> None:
    found = messages(CHECK, node_stack("node_hwmon_temp_celsius > 80", jobs=("node",)))
    assert len(found) == 1, found
    assert found[0].startswith("t: warning[catalog/metric] ")
    assert ("metric node_hwmon_temp_celsius is emitted only when the host has hardware sensors (hwmon) "
            "(collector hwmon of node-exporter, job node); if every target qualifies, say so with "
            "job_collectors={'node': {'hwmon': True}}") in found[0]


def test_hardware_collector_declared_enabled_passes() -> None:
    stack = node_stack("node_hwmon_temp_celsius > 80", jobs=("node",), job_collectors={"node": {"hwmon": True}})
    assert messages(CHECK, stack) == []


def test_another_catalog_emitting_it_unconditionally_passes() -> None:
    stack = node_stack("node_systemd_unit_state == 1", jobs=("node", "systemd"),
                       job_catalogs={"node": [NODE], "systemd": [SYSTEMD]})
    assert messages(CHECK, stack) == []


def test_off_collector_of_an_exporter_whose_flag_is_unknown_names_no_flag() -> None:
    other = NODE.model_copy(update={"name": "my-exporter"})
    found = problems(CHECK, node_stack("node_systemd_unit_state == 1", jobs=("node",), job_catalogs={"node": [other]}))
    assert [p.message for p in found] == [
        "metric node_systemd_unit_state is emitted only when collector systemd is enabled on job node (a collector "
        "of my-exporter); it is off by default: if the job runs it, say so with job_collectors={'node': {'systemd': True}}"]
