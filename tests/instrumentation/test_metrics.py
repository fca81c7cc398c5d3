"""/metrics: the catalog's families, label hygiene, series limit, and tool-clean exposition."""

from __future__ import annotations

import asyncio
import random
import shutil
import string
import subprocess

import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from instrumentation import instrument
from instrumentation.catalog import (
    HTTP_METRICS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    OVERFLOW_VALUE,
    SECONDS_BUCKETS,
    UNMATCHED_PATH,
)
from instrumentation.metrics import MetricsPipeline, SeriesLimiter


def hello_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "hello"}

    @app.post("/items/{item_id}")
    async def create(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def families(text: str) -> dict[str, object]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_metrics_endpoint_serves_exactly_the_catalog_families(serve):
    served = serve(hello_app())
    served.client.get("/hello")
    response = served.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert set(families(response.text)) == {spec.prometheus_name for spec in HTTP_METRICS}


def test_counter_labels_are_method_route_template_and_status(serve):
    served = serve(hello_app())
    for item in range(3):
        served.client.post(f"/items/{item}")
    counts = samples(served.metrics_text(), "http_requests_total")
    assert counts == {(("method", "POST"), ("path", "/items/{item_id}"), ("status", "200")): 3.0}


def test_metrics_requests_are_not_counted(serve):
    served = serve(hello_app())
    for _ in range(3):
        served.client.get("/metrics")
    text = served.client.get("/metrics").text
    assert samples(text, "http_requests_total") == {}
    assert not any(span.attributes.get("url.path") == "/metrics" for span in served.spans())


def test_duration_histogram_has_second_buckets_from_5ms_to_10s(serve):
    served = serve(hello_app())
    served.client.get("/hello")
    bounds = [
        dict(labels)["le"] for labels in samples(served.metrics_text(), "http_request_duration_seconds_bucket")
    ]
    assert [float(b) for b in bounds if b != "+Inf"] == list(SECONDS_BUCKETS)
    counts = samples(served.metrics_text(), "http_request_duration_seconds_count")
    assert counts == {(("method", "GET"), ("path", "/hello")): 1.0}


def test_in_progress_gauge_returns_to_zero(serve):
    served = serve(hello_app())
    served.client.get("/hello")
    assert samples(served.metrics_text(), "http_requests_in_progress") == {(("method", "GET"),): 0.0}


def test_nonstandard_methods_collapse_into_other(serve):
    served = serve(hello_app())
    served.client.request("FOO", "/hello")
    counts = samples(served.metrics_text(), "http_requests_total")
    assert [dict(labels)["method"] for labels in counts] == ["_OTHER"]


async def _drive(app: FastAPI, paths: list[str]) -> None:
    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        return None

    for path in paths:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        await app(scope, receive, send)


def test_ten_thousand_random_unknown_paths_add_no_series(serve):
    served = serve(hello_app(), access_log=False)
    served.client.get("/hello")
    served.client.get("/does-not-exist")
    before = samples(served.metrics_text(), "http_requests_total")
    rng = random.Random(3)
    paths = ["/" + "".join(rng.choices(string.ascii_lowercase + "/", k=12)) for _ in range(10_000)]
    asyncio.run(_drive(served.app, paths))
    after = samples(served.metrics_text(), "http_requests_total")
    assert after.keys() == before.keys()
    unmatched = (("method", "GET"), ("path", UNMATCHED_PATH), ("status", "404"))
    assert after[unmatched] == before[unmatched] + 10_000


def test_routes_past_the_series_limit_go_to_the_overflow_series():
    app = FastAPI()
    for index in range(5):
        app.add_api_route(f"/r{index}", lambda: {"ok": True}, methods=["GET"])
    pipeline = MetricsPipeline(series_limit=3)
    handle = instrument(app, metrics=pipeline, access_log=False, log_format="off")
    try:
        asyncio.run(_drive(app, [f"/r{index}" for index in range(5)]))
        counts = samples(pipeline.exposition().decode(), "http_requests_total")
    finally:
        handle.uninstrument()
    assert len(counts) == 4
    overflow = (("method", "GET"), ("path", OVERFLOW_VALUE), ("status", "200"))
    assert counts[overflow] == 2.0


def test_series_limiter_rejects_bad_settings_with_a_clear_message():
    try:
        SeriesLimiter(("a",), 0)
    except ValueError as error:
        assert str(error) == "series_limit must be at least 1, got 0"
    else:
        raise AssertionError("limit 0 accepted")
    try:
        SeriesLimiter(("a",), 5, collapse=("b",))
    except ValueError as error:
        assert "cannot collapse unknown label(s) ['b']" in str(error)
    else:
        raise AssertionError("unknown label accepted")


def test_exposition_passes_promtool_check_metrics(serve):
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run scripts/system-deps.sh (package prometheus)"
    served = serve(hello_app())
    served.client.get("/hello")
    served.client.post("/items/1")
    served.client.get("/nowhere")
    text = served.client.get("/metrics").text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


def test_instrumenting_twice_is_a_no_op(serve):
    served = serve(hello_app())
    again = instrument(served.app, metrics=MetricsPipeline())
    assert again is served.handle
    served.client.get("/hello")
    assert len(served.server_spans()) == 1
    assert sum(samples(served.metrics_text(), "http_requests_total").values()) == 1.0


def test_uninstrument_restores_the_plain_app(serve):
    served = serve(hello_app())
    served.handle.uninstrument()
    assert served.client.get("/metrics").status_code == 404
    served.client.get("/hello")
    assert served.server_spans() == []


def test_own_histogram_exposes_exactly_what_the_sdk_histogram_would():
    values = [0.0, 0.001, 0.005, 0.0051, 0.3, 1.0, 9.99, 10.0, 12.5]
    series = [{"method": "GET", "path": "/a"}, {"method": "POST", "path": "/b"}]
    sdk, ours = MetricsPipeline(), MetricsPipeline()
    try:
        instrument_ = sdk.instrument(HTTP_REQUEST_DURATION)
        histogram = ours.histogram(HTTP_REQUEST_DURATION)
        for index, value in enumerate(values):
            attributes = series[index % 2]
            instrument_.record(value, attributes)
            histogram.record(value, attributes)
        assert ours.exposition().decode() == sdk.exposition().decode()
    finally:
        sdk.shutdown()
        ours.shutdown()


def test_own_histogram_is_absent_until_recorded_and_refuses_non_histograms():
    pipeline = MetricsPipeline()
    try:
        pipeline.histogram(HTTP_REQUEST_DURATION)
        assert pipeline.exposition() == b""
        with pytest.raises(ValueError, match="metric http_requests is a counter without buckets, not a histogram"):
            pipeline.histogram(HTTP_REQUESTS)
    finally:
        pipeline.shutdown()


def test_pre_aggregated_values_of_one_pipeline_share_one_lock():
    """The middleware updates a request's count, duration and in-progress gauge under one
    acquisition of the pipeline's values lock; collection copies them under the same lock."""
    from instrumentation.catalog import HTTP_REQUESTS_IN_PROGRESS

    pipeline, other = MetricsPipeline(), MetricsPipeline()
    try:
        locks = {
            id(pipeline.observed(HTTP_REQUESTS).lock),
            id(pipeline.observed(HTTP_REQUESTS_IN_PROGRESS).lock),
            id(pipeline.histogram(HTTP_REQUEST_DURATION).lock),
        }
        assert locks == {id(pipeline.values_lock)}
        assert other.observed(HTTP_REQUESTS).lock is not pipeline.values_lock
    finally:
        pipeline.shutdown()
        other.shutdown()


@pytest.fixture
def fresh_default_pipeline():
    from instrumentation.metrics import reset_default_pipeline

    reset_default_pipeline()
    yield
    reset_default_pipeline()


def test_series_limit_given_to_instrument_reaches_the_process_wide_pipeline(fresh_default_pipeline):
    from opentelemetry.sdk.trace import TracerProvider

    app = FastAPI()
    for index in range(5):
        app.add_api_route(f"/r{index}", lambda: {"ok": True}, methods=["GET"])
    handle = instrument(app, series_limit=3, tracer_provider=TracerProvider(), access_log=False, log_format="off")
    try:
        assert handle.metrics.series_limit == 3
        asyncio.run(_drive(app, [f"/r{index}" for index in range(5)]))
        counts = samples(handle.metrics.exposition().decode(), "http_requests_total")
    finally:
        handle.uninstrument()
    assert counts[(("method", "GET"), ("path", OVERFLOW_VALUE), ("status", "200"))] == 2.0


def test_the_process_wide_pipeline_reads_the_series_limit_as_the_config_does(monkeypatch, fresh_default_pipeline):
    from instrumentation.config import ConfigError, InstrumentationConfig
    from instrumentation.metrics import default_pipeline

    monkeypatch.setenv("OBSCODE_SERIES_LIMIT", "7")
    assert default_pipeline().series_limit == 7 == InstrumentationConfig.from_env().series_limit
    monkeypatch.setenv("OBSCODE_SERIES_LIMIT", "0")
    from instrumentation.metrics import reset_default_pipeline

    reset_default_pipeline()
    for read in (default_pipeline, InstrumentationConfig.from_env):
        with pytest.raises(ConfigError) as error:
            read()
        assert str(error.value).startswith("OBSCODE_SERIES_LIMIT=0 must be a whole number of at least 1")


def test_a_second_series_limit_for_the_existing_process_wide_pipeline_is_refused(fresh_default_pipeline):
    from instrumentation.config import ConfigError
    from instrumentation.metrics import default_pipeline

    assert default_pipeline(50).series_limit == 50
    assert default_pipeline(50) is default_pipeline()
    with pytest.raises(ConfigError) as error:
        default_pipeline(3)
    assert str(error.value).startswith(
        "series_limit=3: the process-wide metrics pipeline already exists with series_limit=50;"
    )


def test_a_series_limit_that_differs_from_the_pipeline_passed_is_refused():
    from instrumentation.config import ConfigError

    with pytest.raises(ConfigError) as error:
        instrument(FastAPI(), metrics=MetricsPipeline(series_limit=10), series_limit=3, log_format="off")
    assert str(error.value) == (
        "series_limit=3 differs from the series_limit=10 of the metrics pipeline passed; "
        "give it to MetricsPipeline(series_limit=...) instead"
    )
