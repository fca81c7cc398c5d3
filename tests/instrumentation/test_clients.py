"""Outgoing HTTP requests (httpx sync and async, requests): client spans by the HTTP client
semantic conventions, W3C trace context in the request, and never a span for an exporter."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from instrumentation.clients import instrument_http_clients, suppressed
from instrumentation.clients.core import HttpClientInstrumentation
from instrumentation.export import CompactBatchSpanProcessor
from instrumentation.metrics import MetricsPipeline
from tests.conftest import ROOT, free_port
from tests.instrumentation.otlp_receiver import OtlpReceiver


@dataclass
class Backend:
    """An HTTP/1.1 server on 127.0.0.1 that records the headers of every request it gets."""

    url: str
    received: list[dict[str, str]] = field(default_factory=list)

    def last(self) -> dict[str, str]:
        return self.received[-1]


@pytest.fixture
def backend() -> Iterator[Backend]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            path = self.path.split("?")[0]
            status = {"/fail": 500, "/missing": 404}.get(path, 200)
            if path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/ok")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PURGE = _answer  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Backend(f"http://127.0.0.1:{server.server_address[1]}", seen)
    server.shutdown()
    server.server_close()
    thread.join(10)


@dataclass
class Traced:
    handle: HttpClientInstrumentation
    provider: TracerProvider
    exporter: InMemorySpanExporter
    metrics: MetricsPipeline

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def client_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.CLIENT]

    def only_client_span(self) -> ReadableSpan:
        spans = self.client_spans()
        assert len(spans) == 1, [span.name for span in spans]
        return spans[0]


@pytest.fixture
def traced() -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    metrics = MetricsPipeline()
    handle = instrument_http_clients(provider, metrics=metrics)
    yield Traced(handle, provider, exporter, metrics)
    handle.uninstrument()
    provider.shutdown()
    metrics.shutdown()


def traceparent_of(span: ReadableSpan) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def expected_attributes(backend: Backend, path: str, status: int, method: str = "GET") -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "server.address": "127.0.0.1",
        "server.port": port_of(backend.url),
        "url.full": backend.url + path,
        "http.response.status_code": status,
        "network.protocol.version": "1.1",
    }
    if status >= 400:
        attributes["error.type"] = str(status)
    return attributes


def test_httpx_client_request_is_a_client_span_whose_context_the_server_receives(traced, backend):
    with httpx.Client() as client:
        assert client.get(backend.url + "/ok").status_code == 200
    span = traced.only_client_span()
    assert span.name == "GET"
    assert dict(span.attributes) == expected_attributes(backend, "/ok", 200)
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None
    assert backend.last()["traceparent"] == traceparent_of(span)
    assert span.instrumentation_scope.name == "obscode.instrumentation.http_client"


def test_httpx_async_client_request_is_a_client_span_whose_context_the_server_receives(traced, backend):
    async def call() -> int:
        async with httpx.AsyncClient() as client:
            response = await client.post(backend.url + "/ok", json={"x": 1})
            return response.status_code

    assert asyncio.run(call()) == 200
    span = traced.only_client_span()
    assert span.name == "POST"
    assert dict(span.attributes) == expected_attributes(backend, "/ok", 200, method="POST")
    assert backend.last()["traceparent"] == traceparent_of(span)


def test_requests_request_is_a_client_span_whose_context_the_server_receives(traced, backend):
    assert requests.get(backend.url + "/ok", timeout=10).status_code == 200
    span = traced.only_client_span()
    assert span.name == "GET"
    assert dict(span.attributes) == expected_attributes(backend, "/ok", 200)
    assert backend.last()["traceparent"] == traceparent_of(span)


@pytest.mark.parametrize("library", ["httpx", "httpx-async", "requests"])
def test_a_request_inside_a_span_continues_its_trace(traced, backend, library):
    tracer = traced.provider.get_tracer("test")
    with tracer.start_as_current_span("handler") as parent:
        if library == "httpx":
            httpx.get(backend.url + "/ok")
        elif library == "httpx-async":
            async def call() -> None:
                async with httpx.AsyncClient() as client:
                    await client.get(backend.url + "/ok")
            asyncio.run(call())
        else:
            requests.get(backend.url + "/ok", timeout=10)
    span = traced.only_client_span()
    assert span.context.trace_id == parent.get_span_context().trace_id
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    # The server gets the client span as its parent, not the handler span.
    assert backend.last()["traceparent"] == traceparent_of(span)


def test_a_tracestate_of_the_parent_travels_with_the_request(traced, backend):
    from opentelemetry import context, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

    remote = SpanContext(trace_id=0x1234, span_id=0x99, is_remote=True, trace_flags=TraceFlags(1),
                         trace_state=TraceState([("vendor", "value")]))
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(remote)))
    try:
        httpx.get(backend.url + "/ok")
    finally:
        context.detach(token)
    span = traced.only_client_span()
    assert span.context.trace_id == 0x1234
    assert backend.last()["tracestate"] == "vendor=value"


@pytest.mark.parametrize(("path", "status"), [("/fail", 500), ("/missing", 404)])
@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_an_error_status_sets_error_type_to_the_status_code_and_status_error(traced, backend, path, status, library):
    if library == "httpx":
        assert httpx.get(backend.url + path).status_code == status
    else:
        assert requests.get(backend.url + path, timeout=10).status_code == status
    span = traced.only_client_span()
    assert span.attributes["error.type"] == str(status)
    assert span.attributes["http.response.status_code"] == status
    assert span.status.status_code is StatusCode.ERROR
    # The status code says it all: the conventions ask for no description.
    assert span.status.description is None


@pytest.mark.parametrize(
    ("library", "error_type"),
    [("httpx", "httpx.ConnectError"), ("httpx-async", "httpx.ConnectError"),
     ("requests", "requests.exceptions.ConnectionError")],
)
def test_a_refused_connection_is_an_error_span_typed_by_the_exception(traced, library, error_type):
    url = f"http://127.0.0.1:{free_port()}/ok"
    with pytest.raises(Exception) as raised:
        if library == "httpx":
            httpx.get(url)
        elif library == "httpx-async":
            async def call() -> None:
                async with httpx.AsyncClient() as client:
                    await client.get(url)
            asyncio.run(call())
        else:
            requests.get(url, timeout=10)
    assert f"{type(raised.value).__module__}.{type(raised.value).__qualname__}" == error_type
    span = traced.only_client_span()
    assert span.attributes["error.type"] == error_type
    assert "http.response.status_code" not in span.attributes
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description.startswith(error_type + ": ")
    assert [event.name for event in span.events] == ["exception"]
    assert span.events[0].attributes["exception.type"] == error_type


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_url_full_has_credentials_and_secret_query_values_redacted(traced, backend, library):
    url = backend.url.replace("http://", "http://alice:hunter22@") + "/ok?access_token=s3cr3t&page=2&sig=abc123"
    if library == "httpx":
        httpx.get(url)
    else:
        requests.get(url, timeout=10)
    span = traced.only_client_span()
    assert span.attributes["url.full"] == (
        backend.url.replace("http://", "http://REDACTED:REDACTED@") + "/ok?access_token=REDACTED&page=2&sig=REDACTED"
    )


def test_secret_query_values_do_not_reach_the_error_message_of_a_failed_request(traced):
    url = f"http://127.0.0.1:{free_port()}/ok?token=s3cr3tvalue"
    with pytest.raises(requests.ConnectionError) as raised:
        requests.get(url, timeout=10)
    assert "s3cr3tvalue" in str(raised.value)  # requests puts the URL in its message
    span = traced.only_client_span()
    assert "s3cr3tvalue" not in span.status.description
    assert "s3cr3tvalue" not in span.events[0].attributes["exception.message"]
    assert "token=REDACTED" in span.attributes["url.full"]


def test_a_method_outside_the_conventions_is_other_with_the_original_kept(traced, backend):
    httpx.request("PURGE", backend.url + "/ok")
    span = traced.only_client_span()
    assert span.name == "HTTP"
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "PURGE"


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_every_redirect_hop_is_its_own_client_span(traced, backend, library):
    if library == "httpx":
        assert httpx.get(backend.url + "/redirect", follow_redirects=True).status_code == 200
    else:
        assert requests.get(backend.url + "/redirect", timeout=10).status_code == 200
    spans = traced.client_spans()
    assert [span.attributes["http.response.status_code"] for span in spans] == [302, 200]
    assert [r["traceparent"] for r in backend.received] == [traceparent_of(s) for s in spans]


def test_instrumenting_twice_traces_each_request_once(traced, backend):
    second = instrument_http_clients(traced.provider)
    try:
        httpx.get(backend.url + "/ok")
        requests.get(backend.url + "/ok", timeout=10)
        assert len(traced.client_spans()) == 2
    finally:
        second.uninstrument()
    # The first handle still traces once the second is gone.
    httpx.get(backend.url + "/ok")
    assert len(traced.client_spans()) == 3


def test_after_uninstrument_requests_get_no_span_and_no_traceparent(traced, backend):
    traced.handle.uninstrument()
    traced.handle.uninstrument()  # idempotent
    httpx.get(backend.url + "/ok")
    requests.get(backend.url + "/ok", timeout=10)
    assert traced.client_spans() == []
    assert all("traceparent" not in headers for headers in backend.received)


def test_requests_inside_suppressed_get_no_span_and_no_traceparent(traced, backend):
    with suppressed():
        httpx.get(backend.url + "/ok")
        requests.get(backend.url + "/ok", timeout=10)
    assert traced.client_spans() == []
    assert all("traceparent" not in headers for headers in backend.received)
    httpx.get(backend.url + "/ok")
    assert len(traced.client_spans()) == 1


def test_requests_inside_an_export_the_sdk_marked_get_no_span(traced, backend):
    from opentelemetry import context

    # What the SDK's span processors attach around every export.
    token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))  # noqa: SLF001
    try:
        httpx.get(backend.url + "/ok")
        requests.get(backend.url + "/ok", timeout=10)
    finally:
        context.detach(token)
    assert traced.client_spans() == []
    assert all("traceparent" not in headers for headers in backend.received)


def test_requests_an_otlp_exporter_sends_get_no_span_even_outside_an_export(traced, backend):
    agent = {"User-Agent": "OTel-OTLP-Exporter-Python/1.45.2"}
    requests.post(backend.url + "/ok", data=b"", headers=agent, timeout=10)
    httpx.post(backend.url + "/ok", content=b"", headers=agent)
    assert traced.client_spans() == []
    assert all("traceparent" not in headers for headers in backend.received)


def test_an_sdk_without_its_suppression_key_gets_a_warning_not_an_import_error():
    script = (
        "import warnings; warnings.simplefilter('always')\n"
        "import opentelemetry.context as c; del c._SUPPRESS_INSTRUMENTATION_KEY\n"
        "from instrumentation.clients import instrument_http_clients\n"
        "instrument_http_clients().uninstrument()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (
        "RuntimeWarning: opentelemetry.context has no _SUPPRESS_INSTRUMENTATION_KEY: requests sent during a span "
        "export are traced unless they come from an OTLP exporter; wrap other exporters' requests in "
        "instrumentation.clients.suppressed()"
    ) in result.stderr


@pytest.mark.parametrize("processor", [BatchSpanProcessor, CompactBatchSpanProcessor])
def test_the_otlp_exporters_own_requests_are_not_traced(processor):
    """The OTLP exporter sends with requests: tracing those would export a span per export, forever."""
    with OtlpReceiver() as receiver:
        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        provider.add_span_processor(processor(OTLPSpanExporter(endpoint=receiver.endpoint)))
        handle = instrument_http_clients(provider)
        try:
            for round_ in range(3):
                with provider.get_tracer("test").start_as_current_span(f"work-{round_}"):
                    pass
                flush = threading.Thread(target=provider.force_flush, daemon=True)
                flush.start()
                flush.join(20)
                # With the export traced, each export queues a new span: the flush never ends.
                assert not flush.is_alive(), "force_flush did not return: the exporter's requests are traced"
                assert [span.kind for span in memory.get_finished_spans()] == [SpanKind.INTERNAL] * (round_ + 1)
        finally:
            handle.uninstrument()  # ends a feedback loop, if any, before the provider's last flush
            provider.shutdown()
        assert receiver.requests == 3
        assert sorted(span.name for span in receiver.spans()) == ["work-0", "work-1", "work-2"]


def test_client_request_duration_is_recorded_by_method_server_and_status(traced, backend):
    httpx.get(backend.url + "/ok")
    httpx.get(backend.url + "/ok")
    requests.get(backend.url + "/fail", timeout=10)
    text = traced.metrics.exposition().decode()
    port = port_of(backend.url)
    ok = (f'http_client_request_duration_seconds_count{{error_type="",http_request_method="GET",'
          f'http_response_status_code="200",server_address="127.0.0.1",server_port="{port}"}} 2.0')
    failed = (f'http_client_request_duration_seconds_count{{error_type="500",http_request_method="GET",'
              f'http_response_status_code="500",server_address="127.0.0.1",server_port="{port}"}} 1.0')
    assert ok in text
    assert failed in text
    assert 'le="0.005"' in text  # the catalog's seconds buckets, not the SDK's milliseconds


def test_a_library_that_is_not_installed_is_skipped():
    script = (
        "import sys; sys.modules['requests'] = None\n"  # import requests now raises ImportError
        "from instrumentation.clients import instrument_http_clients\n"
        "handle = instrument_http_clients()\n"
        "print(','.join(handle.libraries))\n"
        "handle.uninstrument()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "httpx"


@pytest.mark.parametrize(("url", "address", "port", "full"), [
    ("https://api.example.com/v1", "api.example.com", 443, "https://api.example.com/v1"),
    ("http://api.example.com/v1?page=2", "api.example.com", 80, "http://api.example.com/v1?page=2"),
    ("http://[::1]:8080/x", "::1", 8080, "http://[::1]:8080/x"),
    ("https://bob@h.example/x", "h.example", 443, "https://REDACTED@h.example/x"),
    ("https://h.example/x?X-Goog-Signature=abc&api_key=k&q=1", "h.example", 443,
     "https://h.example/x?X-Goog-Signature=REDACTED&api_key=REDACTED&q=1"),
    ("https://h.example/x?design=1&password=", "h.example", 443, "https://h.example/x?design=1&password="),
])
def test_request_facts_by_the_conventions(url, address, port, full):
    from instrumentation.clients.semconv import UrlRedactor
    from instrumentation.config import DEFAULT_REDACT

    facts = UrlRedactor(DEFAULT_REDACT).facts("GET", url)
    assert (facts.address, facts.port, facts.url_full) == (address, port, full)


@pytest.mark.parametrize(("version", "expected"), [
    ("HTTP/1.1", "1.1"), ("HTTP/1.0", "1.0"), ("HTTP/2", "2"), (11, "1.1"), (10, "1.0"), (20, "2"), (None, None),
])
def test_network_protocol_version_from_httpx_and_urllib3_spellings(version, expected):
    from instrumentation.clients.semconv import protocol_version

    assert protocol_version(version) == expected


#: Run in a fresh interpreter: instrumentation first, a library imported only afterwards.
_LATE_IMPORT = """
import json, socket, sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from instrumentation.clients import instrument_http_clients

spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
handle = instrument_http_clients(provider)
report = {"libraries": list(handle.libraries), "loaded": [m for m in ("httpx", "requests") if m in sys.modules]}
if UNINSTRUMENT_FIRST:
    handle.uninstrument()
with socket.socket() as s:  # a port nothing listens on: every request fails to connect
    s.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d/late" % s.getsockname()[1]
import httpx
import requests
for call in (lambda: httpx.get(url, timeout=2), lambda: requests.get(url, timeout=2)):
    try:
        call()
    except Exception:
        pass
report["spans"] = sorted((s.name, s.attributes.get("error.type"), s.instrumentation_scope.name) for s in spans.get_finished_spans())
report["loaders"] = [type(sys.modules[m].__loader__).__name__ for m in ("httpx", "requests")]
report["hooks_left"] = [type(f).__name__ for f in sys.meta_path if type(f).__module__ == "instrumentation.clients.on_import"]
print(json.dumps(report))
"""


def _late_import(uninstrument_first: bool) -> dict[str, Any]:
    import json

    script = f"UNINSTRUMENT_FIRST = {uninstrument_first}\n" + _LATE_IMPORT
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_libraries_are_not_imported_by_instrumenting_and_are_patched_when_the_service_imports_them():
    report = _late_import(uninstrument_first=False)
    assert report["libraries"] == ["httpx", "requests"]
    assert report["loaded"] == []  # instrumenting loaded neither
    assert report["spans"] == [["GET", "httpx.ConnectError", "obscode.instrumentation.http_client"],
                               ["GET", "requests.exceptions.ConnectionError", "obscode.instrumentation.http_client"]]
    assert report["loaders"] == ["SourceFileLoader", "SourceFileLoader"]  # the import hook left nothing behind
    assert report["hooks_left"] == []


def test_uninstrumenting_before_the_import_leaves_the_library_unpatched():
    report = _late_import(uninstrument_first=True)
    assert report["loaded"] == []
    assert report["spans"] == []
    assert report["hooks_left"] == []
