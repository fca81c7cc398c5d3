"""catalog/metric: a metric its catalog records as newer or older than the exporter version a
job runs (Stack.job_versions) is a warning; without a declared version any version goes."""

from __future__ import annotations

import pytest

from obscode import Stack
from obscode.catalog_index import version_key
from obscode.errors import DefinitionError
from tests.catalog.helpers import problems
from tests.checks._node_catalog import NODE, VERSIONED, node_stack

CHECK = "catalog/metric"


def _found(expr: str, **versions: str) -> list[tuple[str, str]]:
    stack = node_stack(expr, jobs=("node",), job_catalogs={"node": [VERSIONED]}, job_versions=versions)
    return [(p.severity, p.message) for p in problems(CHECK, stack)]


def test_metric_newer_than_the_job_runs_is_a_warning() -> None:
    assert _found("rate(node_pressure_irq_stalled_seconds_total[5m]) > 0", node="1.5.0") == [(
        "warning", "metric node_pressure_irq_stalled_seconds_total first appears in node-exporter v1.9.1 (as its "
        "catalog records it); job node runs 1.5.0 (Stack.job_versions): upgrade it, or query what 1.5.0 emits")]


def test_metric_removed_before_the_version_the_job_runs_is_a_warning() -> None:
    assert _found("rate(node_cpu_package_throttles_total[5m]) > 0", node="v1.9.0") == [(
        "warning", "metric node_cpu_package_throttles_total is gone after node-exporter v1.7.0 (the last version "
        "its catalog records it in); job node runs v1.9.0 (Stack.job_versions): query the name that replaced it")]


@pytest.mark.parametrize(("expr", "version"), [
    ("node_pressure_irq_stalled_seconds_total", "1.9.1"), ("node_pressure_irq_stalled_seconds_total", "v1.12.0"),
    ("node_cpu_package_throttles_total", "1.7.0"), ("node_cpu_package_throttles_total", "1.3"),
    ("node_cpu_seconds_total", "0.18.1"),
])
def test_metric_within_its_bounds_passes(expr: str, version: str) -> None:
    assert _found(f"rate({expr}[5m]) > 0", node=version) == []


def test_without_a_declared_version_bounds_are_not_checked() -> None:
    assert _found("rate(node_pressure_irq_stalled_seconds_total[5m]) > 0") == []


def test_versions_compare_as_numbers() -> None:
    assert version_key("v1.10.2") > version_key("1.9.1")  # type: ignore[operator]
    assert version_key("1.5.0-rc.1") == (1, 5, 0)
    assert version_key("latest") is None


def test_job_versions_of_a_job_without_catalog() -> None:
    with pytest.raises(DefinitionError) as caught:
        Stack(name="t", job_catalogs={"node": [NODE]}, job_versions={"kube": "2.10"})
    assert str(caught.value) == ("stack t, field 'job_versions': job_versions names job 'kube', which has no catalog "
                                 "in job_catalogs; jobs with catalogs: node")


def test_job_version_that_is_not_a_version() -> None:
    with pytest.raises(DefinitionError) as caught:
        Stack(name="t", job_catalogs={"node": [NODE]}, job_versions={"node": "latest"})
    assert str(caught.value) == ("stack t, field 'job_versions': job_versions gives job 'node' version 'latest'; "
                                 "write dotted numbers, e.g. '1.5.0' or 'v1.5.0'")
