"""In-process cost of one outgoing request's client span (instrumentation.clients), beside a
bare SDK span with the same attributes, both exported through CompactBatchSpanProcessor to an
exporter that drops them. No network: the wrapper's own work (URL facts and redaction,
suppression check, span, context attach, propagation headers, duration metric) per request.

    .venv/bin/python -P benchmarks/clients_span_cost.py [--rounds 15] [--requests 5000]

(``-P``: benchmarks/http/ would shadow the standard library's ``http``.)

Prints the best round of each, minus the same loop building the request headers only.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence

import httpx
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from instrumentation.clients import instrument_http_clients
from instrumentation.clients.core import current
from instrumentation.export import CompactBatchSpanProcessor
from instrumentation.metrics import MetricsPipeline

URL = "http://127.0.0.1:8080/items/7?page=2"


class Dropping(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    provider = TracerProvider()
    provider.add_span_processor(CompactBatchSpanProcessor(Dropping()))
    tracer = provider.get_tracer("bare")
    handle = instrument_http_clients(provider, metrics=MetricsPipeline())
    n = args.requests

    def ours() -> None:
        for _ in range(n):
            headers = httpx.Headers({"host": "127.0.0.1:8080"})
            active = current()  # what each wrapper asks first
            assert active is not None
            call = active.start_or_none("GET", URL, headers, "127.0.0.1", 8080)
            assert call is not None
            call.respond(200, "HTTP/1.1")

    def bare() -> None:
        for _ in range(n):
            httpx.Headers({"host": "127.0.0.1:8080"})
            span = tracer.start_span("GET", kind=SpanKind.CLIENT, attributes={
                "http.request.method": "GET", "server.address": "127.0.0.1", "server.port": 8080, "url.full": URL})
            span.set_attributes({"http.response.status_code": 200, "network.protocol.version": "1.1"})
            span.end()

    def headers_only() -> None:
        for _ in range(n):
            httpx.Headers({"host": "127.0.0.1:8080"})

    runs: dict[str, Callable[[], None]] = {"ours": ours, "bare": bare, "headers": headers_only}
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], (time.perf_counter() - started) / n * 1e6)
    handle.uninstrument()
    provider.shutdown()
    load = os.getloadavg()[0]
    print(f"client span (instrumentation.clients): {best['ours'] - best['headers']:.1f} µs per request")
    print(f"bare SDK span, same attributes:        {best['bare'] - best['headers']:.1f} µs per request")
    print(f"best of {args.rounds} rounds of {n}; load average {load:.1f}")


if __name__ == "__main__":
    main()
