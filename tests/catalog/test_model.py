"""The catalog model: exposition names, series per type, YAML and text-format loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from obscode.errors import DefinitionError
from obscode.model.catalog import (
    Catalog, Metric, exposition_name, from_exposition, instrumentation_http, instrumentation_model, load_yaml,
    resolve, shipped, unit_suffix,
)


@pytest.mark.parametrize(("name", "type_", "unit", "expected"), [
    ("http_requests", "counter", "", "http_requests_total"),
    ("http_requests_total", "counter", "", "http_requests_total"),
    ("http_request_duration", "histogram", "s", "http_request_duration_seconds"),
    ("payload", "histogram", "By", "payload_bytes"),
    ("cache_hit_ratio", "gauge", "1", "cache_hit_ratio"),
    ("queue_wait_seconds", "histogram", "s", "queue_wait_seconds"),
    ("bytes_sent", "counter", "By", "bytes_sent_bytes_total"),
    ("throughput", "gauge", "By/s", "throughput_bytes_per_second"),
    ("jobs", "counter", "{job}", "jobs_total"),
    ("model.latency", "histogram", "ms", "model_latency_milliseconds"),
])
def test_exposition_name_follows_the_otel_prometheus_exporter(name: str, type_: str, unit: str, expected: str) -> None:
    assert exposition_name(name, type_, unit) == expected


def test_unit_one_adds_nothing() -> None:
    assert unit_suffix("1") == ""


def test_series_per_type() -> None:
    hist = Metric(name="lat_seconds", type="histogram", labels=["path"])
    summ = Metric(name="rpc_seconds", type="summary", labels=["m"])
    assert hist.series_names() == {"lat_seconds_bucket": ["le", "path"], "lat_seconds_sum": ["path"],
                                   "lat_seconds_count": ["path"]}
    assert summ.series_names() == {"rpc_seconds": ["m", "quantile"], "rpc_seconds_sum": ["m"],
                                   "rpc_seconds_count": ["m"]}
    assert Metric(name="x_total", type="counter").series_names() == {"x_total": []}


def test_instrumentation_catalogs_match_the_specs() -> None:
    from instrumentation.catalog import HTTP_METRICS, MODEL_METRICS

    http = instrumentation_http()
    assert len(http.metrics) == len(HTTP_METRICS)
    assert "http_requests_total" in http.series()
    assert "http_request_duration_seconds_bucket" in http.series()
    model = instrumentation_model()
    assert len(model.metrics) == len(MODEL_METRICS)
    assert model.series()["model_prediction_error"].label_values["metric_type"][:2] == ["mae", "mape"]


def test_yaml_round_trip(tmp_path: Path) -> None:
    original = instrumentation_model()
    path = tmp_path / "model.yml"
    path.write_text(original.as_yaml())
    loaded = load_yaml(path)
    assert loaded.name == original.name
    assert {m.name for m in loaded.metrics} == {m.name for m in original.metrics}


def test_shipped_catalogs_load() -> None:
    assert "node_cpu_seconds_total" in shipped("node-exporter").series()
    assert "pg_up" in shipped("postgres-exporter").series()
    assert {"up", "ALERTS", "ALERTS_FOR_STATE"} <= set(shipped("prometheus").series())


def test_unknown_catalog_name_lists_what_exists() -> None:
    with pytest.raises(DefinitionError) as info:
        resolve("node-exportr")
    assert "no such catalog; shipped: " in info.value.message
    for name in ("node-exporter", "postgres-exporter", "prometheus"):
        assert f" {name}," in info.value.message
    assert "instrumentation-http" in info.value.message


def test_bad_catalog_file_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("name: bad\nmetrics:\n- name: 1bad\n  type: counter\n")
    with pytest.raises(DefinitionError) as info:
        load_yaml(path)
    assert "not a valid Prometheus metric name" in info.value.message
    path.write_text("- just a list\n")
    with pytest.raises(DefinitionError) as info:
        load_yaml(path)
    assert "must be a mapping with name and metrics" in info.value.message


def test_duplicate_series_rejected() -> None:
    with pytest.raises(DefinitionError) as info:
        Catalog(name="c", metrics=[Metric(name="a", type="histogram"), Metric(name="a_count", type="gauge")])
    assert "series a_count is listed twice" in info.value.message


def test_label_values_must_name_labels() -> None:
    with pytest.raises(DefinitionError) as info:
        Metric(name="a", labels=["x"], label_values={"y": ["1"]})
    assert "label_values names label(s) y that are not in labels" in info.value.message


TEXT = """\
# HELP req_total Requests.
# TYPE req_total counter
req_total{method="GET",path="/a, b"} 1
req_total{code="500"} 1
# HELP lat Latency.
# TYPE lat histogram
lat_bucket{le="0.1",path="/"} 1
lat_bucket{le="+Inf",path="/"} 1
lat_sum{path="/"} 0.1
lat_count{path="/"} 1
# TYPE rpc summary
rpc{quantile="0.5"} 1
rpc_sum 1
rpc_count 1
# TYPE om counter
om_total 3
om_created 1.7e9
no_type_line{x="1"} 2
"""


def test_from_exposition_reads_families_types_and_labels() -> None:
    found = {m.name: m for m in from_exposition("t", TEXT).metrics}
    assert found["req_total"].type == "counter" and found["req_total"].labels == ["code", "method", "path"]
    assert found["req_total"].help == "Requests."
    assert found["lat"].type == "histogram" and found["lat"].labels == ["path"]
    assert found["rpc"].type == "summary" and found["rpc"].labels == []
    assert found["om_total"].type == "counter"  # OpenMetrics names the family without _total
    assert found["no_type_line"].type == "untyped" and found["no_type_line"].labels == ["x"]
    assert set(found) == {"req_total", "lat", "rpc", "om_total", "no_type_line"}
