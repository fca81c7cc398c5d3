"""Compact batch export: exporters get the same spans, and waiting spans cost the GC nothing."""

from __future__ import annotations

import gc
import json

import pytest
from opentelemetry.propagate import get_global_textmap
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from instrumentation.fast import CompactBatchSpanProcessor, ServerSpans, add_attributes, compat
from instrumentation.fast.export import UnpackedSpans
from tests.instrumentation.conftest import fast_only

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
REQUESTS = [
    ({}, None),
    ({"traceparent": TRACEPARENT}, None),
    ({"traceparent": TRACEPARENT, "tracestate": "vendor=1"}, None),
    ({}, ValueError("bad")),
    ({}, "status-only"),
]


def serve_spans(processor_type: type, exporter: SpanExporter) -> list[ReadableSpan]:
    provider = TracerProvider()
    processor = processor_type(exporter)
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("obscode.instrumentation", "1.0"))
    for headers, failure in REQUESTS:
        context = get_global_textmap().extract(headers) if headers else None
        span = spans.start("GET", context, {"http.request.method": "GET", "url.path": "/x"})
        add_attributes(span, {"http.response.status_code": 500 if failure else 200})
        if isinstance(failure, Exception):
            span.record_exception(failure, timestamp=1)
            span.set_status(Status(StatusCode.ERROR, "ValueError: bad"))
        elif failure:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
    processor.force_flush()
    finished = list(exporter.get_finished_spans())
    provider.shutdown()
    return finished


def fields(span: ReadableSpan) -> dict:
    doc = json.loads(span.to_json())
    for key in ("context", "parent_id", "start_time", "end_time"):  # differ between two runs
        doc.pop(key)
    return {
        "type": type(span), "json": doc, "kind": span.kind,
        "status": (span.status.status_code, span.status.description),
        "attributes": list(span.attributes.items()), "resource": span.resource, "scope": span.instrumentation_scope,
        "events": [(e.name, dict(e.attributes)) for e in span.events], "links": span.links,
        "dropped": (span.dropped_attributes, span.dropped_events, span.dropped_links),
        "flags": span.context.trace_flags, "state": span.context.trace_state, "remote": span.context.is_remote,
        "parent": None if span.parent is None else (span.parent.trace_flags, span.parent.is_remote),
    }


def test_exporter_receives_the_spans_a_plain_batch_processor_would_give():
    plain = serve_spans(BatchSpanProcessor, InMemorySpanExporter())
    compact = serve_spans(CompactBatchSpanProcessor, InMemorySpanExporter())
    assert len(compact) == len(plain) == len(REQUESTS)
    for theirs, ours in zip(plain, compact, strict=True):
        assert fields(ours) == fields(theirs)


def test_packed_spans_keep_ids_times_and_parent():
    [root, continued, *_] = serve_spans(CompactBatchSpanProcessor, InMemorySpanExporter())
    assert root.parent is None and root.context.is_valid and not root.context.is_remote
    assert format(continued.context.trace_id, "032x") == TRACEPARENT.split("-")[1]
    assert continued.parent.is_remote and format(continued.parent.span_id, "016x") == TRACEPARENT.split("-")[2]
    assert 0 < root.start_time <= root.end_time


class Keep(SpanExporter):
    def __init__(self) -> None:
        self.batches: list = []

    def export(self, spans):  # type: ignore[no-untyped-def]
        self.batches.append(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def test_exporter_gets_a_sequence_that_reads_like_a_list():
    keep = Keep()
    provider = TracerProvider()
    processor = CompactBatchSpanProcessor(keep)
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("t"))
    for name in ("a", "b", "c"):
        spans.start(name, None, {"k": name}).end()
    processor.force_flush()
    [batch] = keep.batches
    assert isinstance(batch, UnpackedSpans)
    assert len(batch) == 3
    assert [span.name for span in batch] == ["a", "b", "c"]
    assert batch[1].attributes["k"] == "b" and [s.name for s in batch[1:]] == ["b", "c"]
    assert all(type(span) is ReadableSpan for span in batch)
    provider.shutdown()


@fast_only
@pytest.mark.parametrize("processor_type, compact", [(CompactBatchSpanProcessor, True), (BatchSpanProcessor, False)])
def test_waiting_spans_are_not_tracked_by_the_garbage_collector(processor_type, compact):
    provider = TracerProvider()
    processor = processor_type(Keep(), schedule_delay_millis=60_000, max_export_batch_size=512)
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("t"))
    spans.start("warm-up", None, {"a": "b"}).end()
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(400):
        spans.start("GET", None, {"http.request.method": "GET"}).end()
    gc.collect()  # the collection that untracks the queued tuples
    grown = len(gc.get_objects()) - before
    provider.shutdown()
    if compact:
        assert grown < 50
    else:  # the reference: the SDK's queue holds tracked objects
        assert grown >= 400


def test_the_otlp_encoder_reads_an_unpacked_batch():
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    encoded = []

    class Encoding(SpanExporter):
        def export(self, spans):  # type: ignore[no-untyped-def]
            encoded.append(encode_spans(spans))
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

    provider = TracerProvider()
    processor = CompactBatchSpanProcessor(Encoding())
    provider.add_span_processor(processor)
    ServerSpans(provider.get_tracer("t")).start("GET /x", None, {"http.request.method": "GET", "server.port": 80}).end()
    processor.force_flush()
    provider.shutdown()
    [request] = encoded
    [span] = request.resource_spans[0].scope_spans[0].spans
    assert span.name == "GET /x"
    assert [(a.key, a.value.string_value or a.value.int_value) for a in span.attributes] == [
        ("http.request.method", "GET"), ("server.port", 80),
    ]


@pytest.mark.parametrize("env, sizes", [(None, [128, 128, 44]), ("200", [200, 100])])
def test_batches_are_128_spans_unless_the_standard_variable_says_otherwise(monkeypatch, env, sizes):
    if env is None:
        monkeypatch.delenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", raising=False)
    else:
        monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", env)
    keep = Keep()
    provider = TracerProvider()
    processor = CompactBatchSpanProcessor(keep, schedule_delay_millis=60_000)
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("t"))
    for number in range(300):
        spans.start(f"s{number}", None, {}).end()
    processor.force_flush()
    provider.shutdown()
    assert [len(batch) for batch in keep.batches] == sizes
    assert [span.name for batch in keep.batches for span in batch] == [f"s{n}" for n in range(300)]


@fast_only
def test_request_spans_pack_as_the_generic_packer_packs_them():
    from instrumentation.fast.export import pack

    pack_request, RequestSpan = compat.pack_request, compat.RequestSpan

    provider = TracerProvider()
    processor = CompactBatchSpanProcessor(InMemorySpanExporter())
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("obscode.instrumentation", "1.0"))
    packed = []
    for headers in ({}, {"traceparent": TRACEPARENT}):
        context = get_global_textmap().extract(headers) if headers else None
        span = spans.start("GET", context, {"http.request.method": "GET", "url.path": "/x", "server.port": 80})
        assert isinstance(span, RequestSpan)
        span.end_request("GET /x", {"http.response.status_code": 200, "http.route": "/x"})
        origin = processor.origins.number(span)
        assert pack_request(span, origin) == pack(span, processor.origins)
        packed.append(pack_request(span, origin))
    assert packed[0][4] is None and packed[1][4] == int(TRACEPARENT[3:35], 16)  # parent trace id
    provider.shutdown()


def test_a_full_queue_drops_through_the_sdk_which_logs_and_counts_it(caplog):
    import threading

    release = threading.Event()

    class Blocking(SpanExporter):
        def export(self, spans):
            release.wait(10)
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    processor = CompactBatchSpanProcessor(Blocking(), max_queue_size=4, max_export_batch_size=4)
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("t"))
    try:
        with caplog.at_level("WARNING"):
            for _ in range(40):
                spans.start("GET", None, {"url.path": "/x"}).end()
        queue = processor._batch_processor._queue
        assert len(queue) <= 4
        assert "Queue full, dropping" in caplog.text
    finally:
        release.set()
        provider.shutdown()
    assert processor._batch_processor._shutdown
    caplog.clear()
    with caplog.at_level("INFO"):
        spans.start("GET", None, {"url.path": "/x"}).end()  # after shutdown: the SDK refuses it
    assert len(processor._batch_processor._queue) == 0


@fast_only
def test_a_forked_child_exports_its_own_spans_through_the_fast_queue(tmp_path):
    """As under gunicorn --preload: the SDK resets the queue and starts a worker in the child
    (os.register_at_fork), which the fast emit relies on instead of a getpid per span."""
    import os

    class Counting(SpanExporter):
        def __init__(self) -> None:
            self.names: list[str] = []

        def export(self, spans):
            self.names.extend(span.name for span in spans)
            return SpanExportResult.SUCCESS

    exporter = Counting()
    provider = TracerProvider()
    processor = CompactBatchSpanProcessor(exporter)
    assert processor.emit is not None  # the fast path is in use here
    provider.add_span_processor(processor)
    spans = ServerSpans(provider.get_tracer("t"))
    spans.start("parent-before", None, {"url.path": "/"}).end()  # waits in the parent's queue
    result = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # the child: report what its own exporter received, then leave at once
        try:
            for _ in range(3):
                spans.start("child", None, {"url.path": "/"}).end()
            processor.force_flush()
            result.write_text(",".join(exporter.names))
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert result.read_text() == "child,child,child"  # nothing of the parent's queue came along
    processor.force_flush()
    assert exporter.names == ["parent-before"]
    provider.shutdown()
