"""Fixtures for instrumentation tests: instrumented apps with in-memory spans and a log file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from instrumentation import instrument
from instrumentation.config import InstrumentationConfig
from instrumentation.fast import CompactBatchSpanProcessor, compat
from instrumentation.fastapi import Instrumentation
from instrumentation.metrics import MetricsPipeline

#: Tests of the fast path itself (its span types, packing, queue); skipped on the public path
#: (``OBSCODE_OTEL_FAST=0``, or an SDK whose internals moved), where the rest of the suite runs.
fast_only = pytest.mark.skipif(
    not compat.FAST, reason="tests the fast path; the public OpenTelemetry path is in use",
)


@dataclass
class Served:
    """An instrumented app with what it emitted."""

    app: FastAPI
    handle: Instrumentation
    client: TestClient
    exporter: InMemorySpanExporter
    log_path: Path

    def spans(self) -> list[ReadableSpan]:
        self.handle.tracer_provider.force_flush()
        return list(self.exporter.get_finished_spans())

    def server_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.kind.name == "SERVER"]

    def logs(self) -> list[dict[str, Any]]:
        self.handle.config  # noqa: B018 - keep the handle alive while reading
        text = self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def access_logs(self) -> list[dict[str, Any]]:
        return [
            line for line in self.logs()
            if line.get("logger", line.get("log.logger")) == "instrumentation.access"
        ]

    def metrics_text(self) -> str:
        return self.handle.exposition().decode("utf-8")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``serve(app, **options)`` instruments ``app`` in isolation and gives a client.

    Spans go through the batch processor ``instrument()`` uses (so requests get the lean
    request span) into an in-memory exporter; :meth:`Served.spans` flushes it first.
    """
    built: list[Served] = []

    def _serve(app: FastAPI, *, tracer_provider: TracerProvider | None = None, **options: Any) -> Served:
        exporter = InMemorySpanExporter()
        provider = tracer_provider or TracerProvider()
        provider.add_span_processor(CompactBatchSpanProcessor(exporter))
        log_path = tmp_path / f"app{len(built)}.log"
        options.setdefault("log_file", str(log_path))
        config = InstrumentationConfig(service="api", version="1.2.3", environment="test")
        handle = instrument(
            app, config=config, tracer_provider=provider, metrics=MetricsPipeline(), **options,
        )
        client = TestClient(app, raise_server_exceptions=False)
        served = Served(app, handle, client, exporter, Path(options["log_file"]))
        built.append(served)
        return served

    yield _serve
    for served in built:
        served.client.close()
        served.handle.uninstrument()
        served.handle.tracer_provider.shutdown()
