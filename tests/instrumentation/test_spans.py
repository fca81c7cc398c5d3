"""The middleware's span fast path gives exactly the span ``Tracer.start_span`` gives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import get_global_textmap
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.trace import Link, SpanKind

from instrumentation.spans import ServerSpan, ServerSpans, add_attributes

ATTRIBUTES = {
    "http.request.method": "GET", "url.scheme": "http", "url.path": "/items/7",
    "server.address": "api.test", "server.port": 8080, "user_agent.original": "a" * 40,
}
END = {"http.response.status_code": 200, "http.route": "/items/{item_id}"}
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class TaggingSampler(Sampler):
    """Samples everything and adds an attribute, as some user samplers do."""

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Any = None,
                      links: Sequence[Link] | None = None, trace_state: Any = None) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE, {**(attributes or {}), "sampled.by": "tagger"})

    def get_description(self) -> str:
        return "TaggingSampler"


def finished(provider: TracerProvider, lean: bool, context: Context | None) -> ReadableSpan:
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("obscode.instrumentation")
    if lean:
        spans = ServerSpans(tracer)
        assert spans.lean, "the fast path is not taken with this SDK version"
        span = spans.start("GET", context, ATTRIBUTES)
        assert isinstance(span, ServerSpan)
    else:
        span = tracer.start_span("GET", context=context, kind=SpanKind.SERVER, attributes=ATTRIBUTES)
    span.update_name("GET /items/{item_id}")
    add_attributes(span, END)
    span.record_exception(ValueError("bad"), timestamp=1)
    span.end()
    [done] = exporter.get_finished_spans()
    return done


def comparable(span: ReadableSpan) -> dict[str, Any]:
    return {
        "name": span.name, "kind": span.kind, "attributes": list(span.attributes.items()),
        "dropped": span.dropped_attributes, "parent": span.parent, "resource": span.resource.attributes,
        "scope": span.instrumentation_scope, "flags": span.context.trace_flags,
        "state": span.context.trace_state, "remote": span.context.is_remote, "status": span.status.status_code,
        "trace_id_from_parent": span.parent is not None and span.context.trace_id == span.parent.trace_id,
        "ended_after_start": span.end_time >= span.start_time,
        "events": [(event.name, dict(event.attributes), event.timestamp) for event in span.events],
        "links": span.links, "dropped_events": span.dropped_events, "dropped_links": span.dropped_links,
    }


@pytest.mark.parametrize("incoming", [None, TRACEPARENT], ids=["root", "continued"])
@pytest.mark.parametrize("make", [
    lambda: TracerProvider(),
    lambda: TracerProvider(sampler=TaggingSampler()),
    lambda: TracerProvider(span_limits=SpanLimits(max_span_attribute_length=10)),
    lambda: TracerProvider(span_limits=SpanLimits(max_span_attributes=4)),
], ids=["default", "sampler-adds-attributes", "value-length-limit", "attribute-count-limit"])
def test_fast_path_span_equals_the_sdk_span(make, incoming):
    context = get_global_textmap().extract({"traceparent": incoming}) if incoming else None
    assert comparable(finished(make(), True, context)) == comparable(finished(make(), False, context))


def test_unsampled_request_gives_a_non_recording_span_with_valid_ids():
    provider = TracerProvider(sampler=TraceIdRatioBased(0.0))
    span = ServerSpans(provider.get_tracer("t")).start("GET", None, ATTRIBUTES)
    assert not span.is_recording()
    assert span.get_span_context().is_valid and not span.get_span_context().trace_flags.sampled


def test_other_tracers_take_their_own_path():
    spans = ServerSpans(trace.NoOpTracer())
    assert not spans.lean
    span = spans.start("GET", None, ATTRIBUTES)
    add_attributes(span, END)
    assert not span.is_recording()


def test_sdk_sampler_sees_the_request_attributes():
    seen: list[dict[str, Any]] = []

    class Recording(Sampler):
        def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                          trace_state=None):
            seen.append(dict(attributes or {}))
            return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links)

        def get_description(self) -> str:
            return "Recording"

    ServerSpans(TracerProvider(sampler=Recording()).get_tracer("t")).start("GET", None, ATTRIBUTES).end()
    assert seen == [ATTRIBUTES]


def test_finished_fast_path_spans_hold_plain_containers():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    ServerSpans(provider.get_tracer("t")).start("GET", None, ATTRIBUTES).end()
    [span] = exporter.get_finished_spans()
    assert type(span._attributes) is dict and span._events == () and span._links == ()
