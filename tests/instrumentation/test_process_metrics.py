"""Process metrics: an instrumented service's /metrics carries its own CPU time, memory and
file descriptors, as the catalog declares them, read from this very process."""

from __future__ import annotations

import os
import resource
import sys

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.catalog import HTTP_METRICS, PROCESS_METRICS
from instrumentation.metrics import MetricsPipeline
from obscode.model.catalog import instrumentation_http

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process metrics read /proc")


def values(text: str) -> dict[str, float]:
    return {sample.name: sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name.startswith("process_")}


def app() -> FastAPI:
    application = FastAPI()

    @application.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "hello"}

    return application


def test_the_catalog_declares_process_metrics_as_part_of_what_a_service_emits() -> None:
    assert all(spec in HTTP_METRICS for spec in PROCESS_METRICS)
    names = {metric.name for metric in instrumentation_http().metrics}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
            "process_open_fds", "process_max_fds"} <= names


@linux_only
def test_an_instrumented_app_serves_its_process_metrics(serve) -> None:
    served = serve(app())
    served.client.get("/hello")
    found = values(served.metrics_text())
    assert set(found) == {"process_cpu_seconds_total", "process_resident_memory_bytes",
                          "process_virtual_memory_bytes", "process_open_fds", "process_max_fds"}


@linux_only
def test_values_are_those_of_this_process(serve) -> None:
    served = serve(app())
    found = values(served.metrics_text())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time read after the scrape is at least the scrape's value.
    assert 0 < found["process_cpu_seconds_total"] <= usage.ru_utime + usage.ru_stime + 0.05
    # ru_maxrss is the peak resident set in KiB: the current one is at most that.
    assert 0 < found["process_resident_memory_bytes"] <= usage.ru_maxrss * 1024
    assert found["process_virtual_memory_bytes"] >= found["process_resident_memory_bytes"]
    assert found["process_max_fds"] == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert 3 <= found["process_open_fds"] <= len(os.listdir("/proc/self/fd"))


@linux_only
def test_cpu_time_grows_with_work() -> None:
    pipeline = MetricsPipeline(process_metrics=True)
    before = values(pipeline.exposition().decode())["process_cpu_seconds_total"]
    work = sum(i * i for i in range(3_000_000))  # about 0.2 s of one core
    assert work > 0
    after = values(pipeline.exposition().decode())["process_cpu_seconds_total"]
    assert after > before


@linux_only
def test_memory_grows_with_allocations() -> None:
    pipeline = MetricsPipeline(process_metrics=True)
    before = values(pipeline.exposition().decode())["process_resident_memory_bytes"]
    block = bytearray(64 * 1024 * 1024)  # touched by the zero fill
    after = values(pipeline.exposition().decode())["process_resident_memory_bytes"]
    assert after - before >= 32 * 1024 * 1024
    del block


def test_start_time_is_left_out_because_workers_are_summed() -> None:
    text = MetricsPipeline(process_metrics=True).exposition().decode()
    assert "process_start_time_seconds" not in text


def test_a_bare_pipeline_has_none_until_asked() -> None:
    pipeline = MetricsPipeline()
    assert values(pipeline.exposition().decode()) == {}
    pipeline.include_process_metrics()
    pipeline.include_process_metrics()  # a second call adds nothing
    text = pipeline.exposition().decode()
    if sys.platform.startswith("linux"):
        assert text.count("# TYPE process_cpu_seconds_total counter") == 1


@linux_only
def test_a_second_process_collector_on_the_same_registry_is_refused() -> None:
    registry = CollectorRegistry(auto_describe=True)
    MetricsPipeline(registry=registry, process_metrics=True)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        ProcessCollector(registry=registry)
