"""Serves the same requests through the contrib FastAPIInstrumentor and through ours; prints JSON.

Run with ``OTEL_SEMCONV_STABILITY_OPT_IN=http`` so the contrib instrumentor uses the stable
HTTP semantic conventions (the ones ours emits). A subprocess, because the contrib reads
that variable once per process.
"""

from __future__ import annotations

import json
import sys

from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from instrumentation import instrument
from instrumentation.fast import CompactBatchSpanProcessor
from instrumentation.metrics import MetricsPipeline

REQUESTS = [("GET", "/items/1?x=2"), ("GET", "/items/2"), ("POST", "/items/3"), ("GET", "/boom"), ("GET", "/nowhere")]


def build() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.post("/items/{item_id}")
    def write(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    return app


def drive(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path in REQUESTS:
            client.request(method, path, headers={"user-agent": "parity", "host": "api.test:8080"})


def spans(exporter: InMemorySpanExporter) -> list[dict]:
    return [
        {"name": s.name, "kind": s.kind.name, "status": s.status.status_code.name, "attributes": dict(s.attributes)}
        for s in exporter.get_finished_spans() if s.kind.name == "SERVER"
    ]


def contrib() -> dict:
    app = build()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader]),
        exclude_spans=["receive", "send"],
    )
    drive(app)
    counts: dict[str, float] = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == "http.server.request.duration":
                    for point in metric.data.data_points:
                        a = point.attributes
                        key = f"{a['http.request.method']} {a.get('http.route', '')} {a['http.response.status_code']}"
                        counts[key] = counts.get(key, 0) + point.count
    return {"spans": spans(exporter), "counts": counts}


def ours() -> dict:
    app = build()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(CompactBatchSpanProcessor(exporter))  # what instrument() uses
    pipeline = MetricsPipeline()
    instrument(app, tracer_provider=provider, metrics=pipeline, log_format="off")
    drive(app)
    provider.force_flush()
    counts: dict[str, float] = {}
    families = []
    for family in text_string_to_metric_families(pipeline.exposition().decode()):
        families.append(family.name)
        for sample in family.samples:
            if sample.name == "http_requests_total":
                path = sample.labels["path"]
                key = f"{sample.labels['method']} {'' if path.startswith('<') else path} {sample.labels['status']}"
                counts[key] = sample.value
    return {"spans": spans(exporter), "counts": counts, "families": families}


if __name__ == "__main__":
    print(json.dumps({"contrib": contrib(), "ours": ours()}), file=sys.stdout)
