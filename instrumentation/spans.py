"""Server spans for the middleware: OpenTelemetry SDK spans, started with less work.

``Tracer.start_span`` validates every attribute one by one (type checks, a lock per key),
about 0.4 µs each, for values the middleware built itself from the ASGI scope: strings and
integers under keys it chose. :class:`ServerSpans` starts the same span with the tracer's
own sampler, id generator, resource, limits and span processors, then adds those attributes
in one step, as one of two span types:

- :class:`~instrumentation.request_span.RequestSpan`, the lean one, when every processor of
  the tracer is a :class:`~instrumentation.export.CompactBatchSpanProcessor` (what
  ``instrument()`` sets up) or there is none (no exporter configured: nothing is queued);
- :class:`ServerSpan`, an SDK ``Span`` whose finished copy holds plain containers, when
  other processors must see the span start and end as the SDK hands it to them.

Exporters see no difference (tests compare both with ``Tracer.start_span`` field by field).
Anything unusual takes the SDK's own path: a tracer that is not the SDK's, span limits that
would truncate attribute values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SynchronousMultiSpanProcessor, Tracer
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from instrumentation.export import TRACE_FLAGS, CompactBatchSpanProcessor
from instrumentation.request_span import RequestSpan, plain_readable_span, request_span_type

#: Attribute values the SDK stores unchanged (no sequences: those it copies into tuples).
Trusted = Mapping[str, str | int]

_SAMPLED = TraceFlags.SAMPLED
_RANDOM = getattr(TraceFlags, "RANDOM_TRACE_ID", 0)
_TRACER_FIELDS = (
    "sampler", "resource", "span_processor", "id_generator", "instrumentation_info",
    "_span_limits", "_instrumentation_scope", "_tracer_metrics", "_is_enabled",
)


class ServerSpan(Span):
    """An SDK span that can take attributes its caller already knows to be valid.

    When it ends, processors get a :class:`ReadableSpan` with plain containers (a dict of
    attributes, tuples of events and links) instead of views of the live span's lock-guarded
    ones. A ``BatchSpanProcessor`` keeps that copy for up to a batch or five seconds, and a
    plain copy is one small object for the garbage collector to walk, not five.
    """

    def _readable_span(self) -> ReadableSpan:
        return plain_readable_span(self)

    def add_trusted_attributes(self, attributes: Trusted) -> None:
        """Add string/int attributes under non-empty string keys, skipping per-key validation.

        Falls back to :meth:`set_attributes` when the span limits could truncate values or
        drop attributes, so the result is always what ``set_attributes`` would give.
        """
        bounded: Any = self._attributes
        room = bounded.maxlen is None or len(bounded) + len(attributes) <= bounded.maxlen
        if bounded.max_value_len is not None or not room or self._end_time is not None:
            self.set_attributes(attributes)
            return
        with bounded._lock:  # noqa: SLF001 - the SDK's own container, same lock it takes
            bounded._dict.update(attributes)  # noqa: SLF001


class ServerSpans:
    """Starts ``SERVER`` spans on one tracer (the SDK's fast path when it is an SDK tracer)."""

    def __init__(self, tracer: trace_api.Tracer) -> None:
        self.tracer = tracer
        self.lean = type(tracer) is Tracer and all(hasattr(tracer, name) for name in _TRACER_FIELDS)
        self._processors: Any = None
        self._request_type: type[RequestSpan] | None = None

    def request_type(self) -> type[RequestSpan] | None:
        """The :class:`RequestSpan` type for the tracer's current processors, if they allow one.

        Processors can be added to the provider at any time; the type is rebuilt when its
        processor tuple changes (an identity check per request).
        """
        multi: Any = self.tracer.span_processor  # type: ignore[attr-defined]
        processors = getattr(multi, "_span_processors", None)
        if processors is not self._processors:
            self._processors = processors
            lean = (
                type(multi) is SynchronousMultiSpanProcessor
                and all(type(p) is CompactBatchSpanProcessor for p in processors)
                and self.tracer._span_limits.max_span_attribute_length is None  # type: ignore[attr-defined]  # noqa: SLF001
            )
            self._request_type = request_span_type(self.tracer, processors) if lean else None  # type: ignore[arg-type]
        return self._request_type

    def start(self, name: str, context: Context | None, attributes: Trusted) -> trace_api.Span:
        """Start a span as ``tracer.start_span(name, context, SpanKind.SERVER, attributes)`` would."""
        tracer: Any = self.tracer
        if not self.lean:
            return tracer.start_span(name, context=context, kind=SpanKind.SERVER, attributes=attributes)
        parent: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        if not tracer._is_enabled():  # noqa: SLF001 - the SDK's tracer configurator
            return NonRecordingSpan(parent)
        ids = tracer.id_generator
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = ids.generate_trace_id()
            random_id = ids.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_id = parent.trace_flags.random_trace_id
        sampler = tracer.sampler
        result = sampler.should_sample(context, trace_id, name, SpanKind.SERVER, attributes, ())
        decision = result.decision
        flags = (_SAMPLED if decision.is_sampled() else 0) | (_RANDOM if random_id else 0)
        span_context = SpanContext(
            trace_id, ids.generate_span_id(), is_remote=False,
            trace_flags=TRACE_FLAGS[flags], trace_state=result.trace_state,
        )
        record_end_metrics = tracer._tracer_metrics.start_span(parent, decision)  # noqa: SLF001
        if not decision.is_recording():
            return NonRecordingSpan(span_context)
        request_type = self.request_type()
        if request_type is not None:
            limit = request_type._limits.max_span_attributes  # noqa: SLF001
            if result.attributes == attributes and (limit is None or len(attributes) <= limit):
                return request_type(name, span_context, parent, dict(attributes), record_end_metrics)
            # The sampler changed the attributes, or there are too many: validate them all.
            request_span = request_type(name, span_context, parent, {}, record_end_metrics)
            request_span.set_attributes(result.attributes)
            return request_span
        span = ServerSpan(
            name=name,
            context=span_context,
            parent=parent,
            sampler=sampler,
            resource=tracer.resource,
            span_processor=tracer.span_processor,
            kind=SpanKind.SERVER,
            instrumentation_info=tracer.instrumentation_info,
            limits=tracer._span_limits,  # noqa: SLF001
            instrumentation_scope=tracer._instrumentation_scope,  # noqa: SLF001
            record_end_metrics=record_end_metrics,
        )
        if result.attributes == attributes:
            span.add_trusted_attributes(attributes)
        else:  # the sampler added or changed attributes: validate them all
            span.set_attributes(result.attributes)
        span.start(parent_context=context)
        return span


def add_attributes(span: trace_api.Span, attributes: Trusted) -> None:
    """Add ``attributes`` to any span, trusted when it is one :class:`ServerSpans` started."""
    if isinstance(span, (ServerSpan, RequestSpan)):
        span.add_trusted_attributes(attributes)
    else:
        span.set_attributes(attributes)
