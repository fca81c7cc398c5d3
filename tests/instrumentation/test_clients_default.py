"""``instrument(app)`` traces the app's outgoing requests unless ``OBSCODE_TRACE_CLIENTS=false``."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from instrumentation.config import InstrumentationConfig
from tests.instrumentation.test_clients import backend, traceparent_of  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(
    "trace_clients" not in InstrumentationConfig.__dataclass_fields__,
    reason="instrument() does not turn client spans on yet (issue 19, item 3: docs/tracing-clients.md)",
)


def calling_app(downstream: str) -> FastAPI:
    app = FastAPI()

    @app.get("/call")
    def call() -> dict[str, int]:
        return {"status": httpx.get(downstream).status_code}

    return app


def test_instrument_traces_outgoing_requests_as_children_of_the_server_span(serve, backend):  # noqa: F811
    served = serve(calling_app(backend.url + "/ok"))
    assert served.client.get("/call").json() == {"status": 200}
    [server] = served.server_spans()
    [client] = [span for span in served.spans() if span.kind.name == "CLIENT"]
    assert client.parent is not None and client.parent.span_id == server.context.span_id
    assert backend.last()["traceparent"] == traceparent_of(client)
    assert "http_client_request_duration_seconds_count{" in served.metrics_text()


def test_trace_clients_false_leaves_outgoing_requests_alone(serve, backend):  # noqa: F811
    served = serve(calling_app(backend.url + "/ok"), trace_clients=False)
    assert served.client.get("/call").json() == {"status": 200}
    assert [span.kind.name for span in served.spans()] == ["SERVER"]
    assert "traceparent" not in backend.last()


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("true", True), ("", True)])
def test_obscode_trace_clients_is_read_from_the_environment(raw, expected):
    assert InstrumentationConfig.from_env({"OBSCODE_TRACE_CLIENTS": raw}).trace_clients is expected
