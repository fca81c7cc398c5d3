"""Server spans: propagation, naming, attributes, errors, mounts, and a collector that is down."""

from __future__ import annotations

import logging
import socket
import time

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import StatusCode

from instrumentation.config import InstrumentationConfig
from instrumentation.tracing import build_tracer_provider

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
log = logging.getLogger("tests.app")


def items_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        log.info("item served", extra={"item_id": item_id})
        return {"item_id": item_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    @app.get("/missing")
    def missing() -> None:
        raise HTTPException(status_code=404, detail="no such thing")

    return app


def test_incoming_traceparent_continues_the_trace(serve):
    served = serve(items_app())
    response = served.client.get("/items/7", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    [span] = served.server_spans()
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote


def test_response_carries_the_trace_id(serve):
    served = serve(items_app())
    response = served.client.get("/items/7")
    [span] = served.server_spans()
    assert response.headers["x-trace-id"] == format(span.context.trace_id, "032x")


def test_span_is_named_after_the_route_template_with_semconv_attributes(serve):
    served = serve(items_app())
    served.client.get("/items/7?verbose=1", headers={"user-agent": "tests/1.0"})
    [span] = served.server_spans()
    assert span.name == "GET /items/{item_id}"
    attrs = dict(span.attributes)
    assert attrs["http.request.method"] == "GET"
    assert attrs["http.route"] == "/items/{item_id}"
    assert attrs["url.path"] == "/items/7"
    assert attrs["url.query"] == "verbose=1"
    assert attrs["url.scheme"] == "http"
    assert attrs["http.response.status_code"] == 200
    assert attrs["user_agent.original"] == "tests/1.0"
    assert attrs["server.address"] == "testserver"
    assert attrs["network.protocol.version"] == "1.1"


def test_resource_names_service_version_and_environment(serve):
    provider = build_tracer_provider(
        InstrumentationConfig(service="api", version="1.2.3", environment="prod")
    )
    served = serve(items_app(), tracer_provider=provider)
    served.client.get("/items/1")
    resource = served.server_spans()[0].resource.attributes
    assert resource["service.name"] == "api"
    assert resource["service.version"] == "1.2.3"
    assert resource["deployment.environment.name"] == "prod"


def test_trace_id_in_the_log_line_equals_the_span(serve):
    served = serve(items_app())
    served.client.get("/items/3")
    [span] = served.server_spans()
    [line] = [entry for entry in served.logs() if entry["message"] == "item served"]
    assert line["trace_id"] == format(span.context.trace_id, "032x")
    assert line["span_id"] == format(span.context.span_id, "016x")
    assert line["context"] == {"item_id": 3}


def test_unhandled_exception_gives_500_error_span_and_logged_exception(serve):
    served = serve(items_app())
    response = served.client.get("/boom")
    assert response.status_code == 500
    [span] = served.server_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "500"  # the status code, once a response was sent
    assert [event.name for event in span.events] == ["exception"]
    [access] = served.access_logs()
    assert access["level"] == "ERROR"
    assert access["exception"]["type"] == "RuntimeError"
    assert access["exception"]["message"] == "kaput"
    assert "raise RuntimeError" in access["exception"]["stacktrace"]
    assert access["trace_id"] == format(span.context.trace_id, "032x")


def test_exception_handlers_run_inside_the_span(serve):
    app = items_app()

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("handler saw %s", type(exc).__name__, exc_info=exc)
        return JSONResponse({"error": "internal"}, status_code=500)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        log.warning("http error %s", exc.status_code)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    served = serve(app)
    assert served.client.get("/boom").status_code == 500
    assert served.client.get("/missing").status_code == 404
    lines = {entry["message"]: entry for entry in served.logs()}
    spans = {span.name: span for span in served.server_spans()}
    for message, route in (("handler saw RuntimeError", "GET /boom"), ("http error 404", "GET /missing")):
        line = lines[message]
        assert line["trace_id"] == format(spans[route].context.trace_id, "032x")
        assert line["span_id"] == format(spans[route].context.span_id, "016x")
        assert int(line["span_id"], 16) != 0
    assert lines["handler saw RuntimeError"]["exception"]["type"] == "RuntimeError"


def test_mounted_sub_app_routes_get_their_full_template(serve):
    sub = FastAPI()

    @sub.get("/models/{model_id}/predict")
    def predict(model_id: str) -> dict[str, str]:
        return {"model": model_id}

    app = FastAPI()
    app.mount("/v1/{tenant}", sub)
    served = serve(app)
    assert served.client.get("/v1/acme/models/tft/predict").status_code == 200
    [span] = served.server_spans()
    assert span.name == "GET /v1/{tenant}/models/{model_id}/predict"
    assert 'path="/v1/{tenant}/models/{model_id}/predict"' in served.metrics_text()


def test_unmatched_path_span_has_no_route(serve):
    served = serve(items_app())
    assert served.client.get("/nowhere").status_code == 404
    [span] = served.server_spans()
    assert span.name == "GET"
    assert "http.route" not in span.attributes


def test_ratio_zero_samples_nothing_but_serves(serve):
    provider = TracerProvider(
        sampler=build_tracer_provider(InstrumentationConfig(sample_ratio=0.0)).sampler
    )
    served = serve(items_app(), tracer_provider=provider)
    assert served.client.get("/items/1").status_code == 200
    assert served.server_spans() == []


def test_sampled_parent_is_followed_at_ratio_zero(serve):
    provider = TracerProvider(
        sampler=build_tracer_provider(InstrumentationConfig(sample_ratio=0.0)).sampler
    )
    served = serve(items_app(), tracer_provider=provider)
    served.client.get("/items/1", headers={"traceparent": TRACEPARENT})
    [span] = served.server_spans()
    assert format(span.context.trace_id, "032x") == TRACE_ID


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_otlp_endpoint_down_leaves_requests_unaffected_and_is_counted(serve, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1")
    config = InstrumentationConfig(otlp_endpoint=f"http://127.0.0.1:{_closed_port()}/v1/traces")
    provider = build_tracer_provider(config)
    served = serve(items_app(), tracer_provider=provider)
    started = time.perf_counter()
    for item in range(20):
        assert served.client.get(f"/items/{item}").status_code == 200
    assert time.perf_counter() - started < 5, "requests waited for the exporter"
    provider.force_flush(timeout_millis=10_000)
    errors_line = [
        line for line in served.metrics_text().splitlines()
        if line.startswith('obscode_instrumentation_errors_total{component="span_exporter"}')
    ]
    assert errors_line and float(errors_line[0].split()[-1]) >= 1
