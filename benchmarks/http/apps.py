"""The three benchmarked variants of one FastAPI hello endpoint.

``create_app()`` reads ``BENCH_MODE`` (bare | stock | ours | ours_public | ours_default) and
``BENCH_LOG_FILE``, so uvicorn can load it with ``--factory``. Spans of the stock and ours
modes go through a ``BatchSpanProcessor`` into an exporter that reads and drops them, so
neither pays for a network. ``ours_default`` is ours as configured by default: no OTLP
endpoint, so spans are recorded (their ids reach logs and the response header) but none is
exported. ``ours_public`` is ours on the public OpenTelemetry SDK path (``OBSCODE_OTEL_FAST=0``:
what a service gets when the installed SDK's internals moved), which :data:`MODE_ENV` sets for it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

MODES = ("bare", "stock", "ours", "ours_public", "ours_default")
#: Environment a mode's process needs before it imports the instrumentation.
MODE_ENV: dict[str, dict[str, str]] = {"ours_public": {"OBSCODE_OTEL_FAST": "0"}}


class DroppingExporter(SpanExporter):
    """Reads every span of every batch, as an encoder would, and keeps nothing."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            if span.context.is_valid and span.name:
                self.spans += 1
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def hello_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "hello"}

    return app


def create_app(mode: str | None = None, log_file: str | None = None) -> Any:
    mode = mode or os.environ.get("BENCH_MODE", "bare")
    log_file = log_file or os.environ.get("BENCH_LOG_FILE") or os.devnull
    app = hello_app()
    if mode == "bare":
        return app
    if mode == "stock":
        return _stock(app)
    if mode in ("ours", "ours_public"):
        os.environ.update(MODE_ENV.get(mode, {}))  # read when the instrumentation is imported
        return _ours(app, log_file, DroppingExporter())
    if mode == "ours_default":
        return _ours(app, log_file, None)
    raise SystemExit(f"BENCH_MODE must be one of {', '.join(MODES)}, got {mode!r}")


def _stock(app: FastAPI) -> FastAPI:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from prometheus_client import CollectorRegistry

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DroppingExporter()))
    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=CollectorRegistry())])
    FastAPIInstrumentor.instrument_app(app, tracer_provider=tracer_provider, meter_provider=meter_provider)
    return app


def _ours(app: FastAPI, log_file: str, exporter: SpanExporter | None) -> FastAPI:
    from instrumentation import instrument
    from instrumentation.config import InstrumentationConfig
    from instrumentation.metrics import MetricsPipeline

    instrument(
        app,
        config=InstrumentationConfig(service="bench", sampler="always_on", log_file=log_file),
        span_exporter=exporter,
        metrics=MetricsPipeline(),
    )
    return app
