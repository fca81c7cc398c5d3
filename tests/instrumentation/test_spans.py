"""The middleware's span fast paths give exactly the span ``Tracer.start_span`` gives.

Two fast paths: an SDK ``ServerSpan`` when the tracer has processors of its own, and the
lean ``RequestSpan`` when its only processors are compact batch processors (what
``instrument()`` sets up). Both are compared with the SDK path as the exporter receives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import json

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import get_global_textmap
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from instrumentation.fast import CompactBatchSpanProcessor, ServerSpans, add_attributes, compat
from tests.instrumentation.conftest import fast_only

RequestSpan = compat.RequestSpan
ServerSpan = compat.ServerSpan
# These tests compare the fast path itself with the SDK; on the public path there is none.
pytestmark = fast_only

ATTRIBUTES = {
    "http.request.method": "GET", "url.scheme": "http", "url.path": "/items/7",
    "server.address": "api.test", "server.port": 8080, "user_agent.original": "a" * 40,
}
END = {"http.response.status_code": 200, "http.route": "/items/{item_id}"}
TRACEPARENT = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
TRACEPARENT_WITH_STATE = {**TRACEPARENT, "tracestate": "vendor=1"}


class FixedIds(RandomIdGenerator):
    """The same span id every time, so two runs give spans with equal ids."""

    def generate_span_id(self) -> int:
        return 0x00F067AA0BA902B7


class TaggingSampler(Sampler):
    """Samples everything and adds an attribute, as some user samplers do."""

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Any = None,
                      links: Sequence[Link] | None = None, trace_state: Any = None) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE, {**(attributes or {}), "sampled.by": "tagger"})

    def get_description(self) -> str:
        return "TaggingSampler"


def finished(provider: TracerProvider, path: str, context: Context | None) -> ReadableSpan:
    """The exported span of one request served through ``path`` (sdk, server-span, request-span)."""
    exporter = InMemorySpanExporter()
    processor = CompactBatchSpanProcessor(exporter) if path == "request-span" else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("obscode.instrumentation", "1.0")
    if path == "sdk":
        span = tracer.start_span("GET", context=context, kind=SpanKind.SERVER, attributes=ATTRIBUTES)
    else:
        spans = ServerSpans(tracer)
        assert spans.lean, "the fast path is not taken with this SDK version"
        span = spans.start("GET", context, ATTRIBUTES)
        # Value-length limits need the SDK's validation of every attribute: no lean span then.
        lean = path == "request-span" and tracer._span_limits.max_span_attribute_length is None
        assert isinstance(span, RequestSpan if lean else ServerSpan)
    span.update_name("GET /items/{item_id}")
    add_attributes(span, END)
    span.record_exception(ValueError("bad"), timestamp=1)
    span.set_status(Status(StatusCode.ERROR, "ValueError: bad"))
    span.end()
    processor.force_flush()
    [done] = exporter.get_finished_spans()
    provider.shutdown()
    return done


def comparable(span: ReadableSpan) -> dict[str, Any]:
    return {
        "name": span.name, "kind": span.kind, "attributes": list(span.attributes.items()),
        "dropped": span.dropped_attributes, "parent": span.parent, "resource": span.resource.attributes,
        "scope": span.instrumentation_scope, "flags": span.context.trace_flags,
        "state": span.context.trace_state, "remote": span.context.is_remote,
        "status": (span.status.status_code, span.status.description),
        "trace_id_from_parent": span.parent is not None and span.context.trace_id == span.parent.trace_id,
        "ended_after_start": span.end_time >= span.start_time,
        "events": [(event.name, dict(event.attributes), event.timestamp) for event in span.events],
        "links": span.links, "dropped_events": span.dropped_events, "dropped_links": span.dropped_links,
    }


@pytest.mark.parametrize("path", ["server-span", "request-span"])
@pytest.mark.parametrize("incoming", [None, TRACEPARENT, TRACEPARENT_WITH_STATE], ids=["root", "continued", "state"])
@pytest.mark.parametrize("make", [
    lambda: TracerProvider(),
    lambda: TracerProvider(sampler=TaggingSampler()),
    lambda: TracerProvider(span_limits=SpanLimits(max_span_attribute_length=10)),
    lambda: TracerProvider(span_limits=SpanLimits(max_span_attributes=4)),
    lambda: TracerProvider(span_limits=SpanLimits(max_span_attributes=7)),
    lambda: TracerProvider(span_limits=SpanLimits(max_events=0, max_event_attributes=2)),
], ids=["default", "sampler-adds-attributes", "value-length-limit", "attribute-count-limit",
        "end-attributes-over-limit", "event-limits"])
def test_fast_path_span_equals_the_sdk_span(make, incoming, path):
    context = get_global_textmap().extract(incoming) if incoming else None
    assert comparable(finished(make(), path, context)) == comparable(finished(make(), "sdk", context))


def test_exported_request_span_equals_the_sdk_span_in_every_field():
    """Ids, parent, times and the JSON form too: one span served both ways with the same ids."""
    context = get_global_textmap().extract(TRACEPARENT)
    exported = []
    for path in ("request-span", "sdk"):
        provider = TracerProvider(id_generator=FixedIds(), resource=Resource.create({"service.name": "api"}))
        exported.append(finished(provider, path, context))
    lean, sdk = exported
    assert type(lean) is ReadableSpan
    assert (lean.context, lean.parent) == (sdk.context, sdk.parent)
    assert lean.start_time <= lean.end_time and sdk.start_time <= sdk.end_time
    assert lean.resource == sdk.resource and lean.instrumentation_scope == sdk.instrumentation_scope
    lean_json, sdk_json = json.loads(lean.to_json()), json.loads(sdk.to_json())
    for doc in (lean_json, sdk_json):
        doc.pop("start_time"), doc.pop("end_time")
    assert lean_json == sdk_json


def test_user_code_on_the_current_request_span_lands_in_the_export():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(CompactBatchSpanProcessor(exporter))
    span = ServerSpans(provider.get_tracer("t")).start("GET", None, ATTRIBUTES)
    assert isinstance(span, RequestSpan) and span.is_recording()
    with trace.use_span(span, end_on_exit=False):
        current = trace.get_current_span()
        assert current.get_span_context() == span.get_span_context() and current.get_span_context().is_valid
        current.set_attribute("user.id", 42)
        current.set_attribute("", "invalid key: dropped, as the SDK does")
        current.set_attributes({"tags": ["a", "b"]})
        current.add_event("cache.miss", {"key": "k"})
        current.add_link(trace.SpanContext(1, 2, is_remote=True))
    span.end()
    span.set_attribute("late", 1)  # ignored after end, as the SDK does
    provider.force_flush()
    [done] = exporter.get_finished_spans()
    assert done.attributes["user.id"] == 42 and done.attributes["tags"] == ("a", "b")
    assert "" not in done.attributes and "late" not in done.attributes
    assert [(e.name, dict(e.attributes)) for e in done.events] == [("cache.miss", {"key": "k"})]
    assert [link.context.span_id for link in done.links] == [2]
    provider.shutdown()


def test_request_span_without_an_exporter_queues_nothing():
    provider = TracerProvider()
    spans = ServerSpans(provider.get_tracer("t"))
    span = spans.start("GET", None, ATTRIBUTES)
    assert isinstance(span, RequestSpan) and span._emitters == ()
    span.end()
    assert not span.is_recording()


def test_a_warning_logged_under_a_span_lock_can_reach_code_that_touches_another_span():
    """The SDK logs "Setting attribute on ended span." holding the span's lock; a log filter
    that adds an event to the current span (another request's) must not wait on that lock."""
    import logging
    import threading

    provider = TracerProvider()
    spans = ServerSpans(provider.get_tracer("t"))
    ended, current = spans.start("GET", None, ATTRIBUTES), spans.start("GET", None, ATTRIBUTES)
    assert isinstance(ended, RequestSpan) and isinstance(current, RequestSpan)
    ended.end()

    class EventOnCurrentSpan(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            current.add_event(record.getMessage())
            return True

    logger = logging.getLogger("instrumentation.fast.spans")
    event_filter = EventOnCurrentSpan()
    logger.addFilter(event_filter)
    worker = threading.Thread(target=ended.set_attribute, args=("late", 1), daemon=True)
    try:
        worker.start()
        worker.join(timeout=10)
        assert not worker.is_alive(), "set_attribute on an ended span deadlocked"
        assert [event.name for event in current.events] == ["Setting attribute on ended span."]
    finally:
        logger.removeFilter(event_filter)


def test_request_span_type_follows_processors_added_later():
    provider = TracerProvider()
    spans = ServerSpans(provider.get_tracer("t"))
    assert isinstance(spans.start("GET", None, ATTRIBUTES), RequestSpan)
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    assert isinstance(spans.start("GET", None, ATTRIBUTES), ServerSpan)


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


# --- compiled sampler decisions (ServerSpans._start_known) against the SDK's Tracer.start_span ---

from hypothesis import given, settings, strategies as st  # noqa: E402
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, StaticSampler  # noqa: E402
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState  # noqa: E402

sampling_bounds = compat.sampling_bounds

_RATIOS = st.sampled_from([0.0, 1e-9, 0.25, 0.5, 0.999, 1.0])
_LEAF = st.one_of(st.just(ALWAYS_ON), st.just(ALWAYS_OFF), _RATIOS.map(TraceIdRatioBased))
_SAMPLERS = st.one_of(
    _LEAF,
    st.builds(ParentBased, _LEAF, _LEAF, _LEAF, _LEAF, _LEAF),
)
_PARENTS = st.one_of(
    st.none(),
    st.builds(
        SpanContext,
        trace_id=st.integers(1, 2**128 - 1), span_id=st.integers(1, 2**64 - 1), is_remote=st.booleans(),
        trace_flags=st.sampled_from([TraceFlags(0), TraceFlags(1), TraceFlags(2), TraceFlags(3)]),
        trace_state=st.sampled_from([None, TraceState([("vendor", "1")])]),
    ),
)


class SeededIds(RandomIdGenerator):
    """Ids from the module's random source, as RandomIdGenerator; a subclass takes the SDK's own path."""


@settings(max_examples=300, deadline=None)
@given(sampler=_SAMPLERS, parent=_PARENTS, seed=st.integers(0, 2**32))
def test_compiled_sampling_decides_as_the_sdk_sampler(sampler, parent, seed):
    import random

    context = trace.set_span_in_context(NonRecordingSpan(parent)) if parent is not None else None
    results = []
    for compiled in (True, False):
        provider = TracerProvider(sampler=sampler, id_generator=RandomIdGenerator() if compiled else SeededIds())
        spans = ServerSpans(provider.get_tracer("t"))
        assert (spans.bounds is not None) == compiled
        random.seed(seed)  # both paths draw the trace id, then the span id, from the same source
        span = spans.start("GET", context, ATTRIBUTES)
        ctx = span.get_span_context()
        results.append((
            span.is_recording(), ctx.trace_id, ctx.span_id, int(ctx.trace_flags), ctx.trace_state,
            ctx.is_remote, ctx.is_valid, getattr(span, "parent", None),
            dict(span.attributes) if span.is_recording() else None,
        ))
    assert results[0] == results[1]


def test_samplers_that_are_not_the_sdk_ones_are_not_compiled():
    class Subclassed(StaticSampler):
        pass

    assert sampling_bounds(TaggingSampler()) is None
    assert sampling_bounds(Subclassed(Decision.RECORD_AND_SAMPLE)) is None
    assert sampling_bounds(ParentBased(TaggingSampler())) is None
    assert sampling_bounds(ParentBased(ALWAYS_ON, remote_parent_sampled=TaggingSampler())) is None
    assert sampling_bounds(StaticSampler(Decision.RECORD_ONLY)) is None
    assert sampling_bounds(ALWAYS_ON) == (2**64,) * 5
    assert sampling_bounds(ParentBased(TraceIdRatioBased(0.5))) == (2**63, 2**64, 0, 2**64, 0)


def test_recorded_but_unsampled_request_spans_are_not_exported():
    class RecordOnly(Sampler):
        def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                          trace_state=None):
            return SamplingResult(Decision.RECORD_ONLY, attributes)

        def get_description(self) -> str:
            return "RecordOnly"

    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=RecordOnly())
    processor = CompactBatchSpanProcessor(exporter)
    provider.add_span_processor(processor)
    span = ServerSpans(provider.get_tracer("t")).start("GET", None, ATTRIBUTES)
    assert isinstance(span, RequestSpan) and span.is_recording()
    assert not span.get_span_context().trace_flags.sampled
    span.end_request("GET /items/{item_id}", END)
    processor.force_flush()
    assert exporter.get_finished_spans() == ()
    assert span.name == "GET /items/{item_id}" and span.attributes["http.route"] == "/items/{item_id}"
