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

import random
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SynchronousMultiSpanProcessor, Tracer
from opentelemetry.sdk.trace._tracer_metrics import NoOpTracerMetrics
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, StaticSampler, TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation import _SPAN_KEY
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from instrumentation.context import current_context
from instrumentation.export import TRACE_FLAGS, CompactBatchSpanProcessor
from instrumentation.request_span import RequestSpan, _noop, plain_readable_span, request_span_type

#: Attribute values the SDK stores unchanged (no sequences: those it copies into tuples).
Trusted = Mapping[str, str | int]

_SAMPLED = TraceFlags.SAMPLED
_RANDOM = getattr(TraceFlags, "RANDOM_TRACE_ID", 0)
#: Sampling looks at the low 64 bits of the trace id (TraceIdRatioBased.TRACE_ID_LIMIT).
_ID_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT
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
        #: Sampling bounds when the whole decision can be made here (see sampling_bounds).
        self.bounds = (
            sampling_bounds(tracer.sampler)  # type: ignore[attr-defined]
            if self.lean
            and type(tracer.id_generator) is RandomIdGenerator  # type: ignore[attr-defined]
            and type(tracer._tracer_metrics) is NoOpTracerMetrics  # type: ignore[attr-defined]  # noqa: SLF001
            else None
        )

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

    def start(
        self, name: str, context: Context | None, attributes: Trusted, *, owned: bool = False
    ) -> trace_api.Span:
        """Start a span as ``tracer.start_span(name, context, SpanKind.SERVER, attributes)`` would.

        ``owned``: ``attributes`` is a fresh dict the span may keep as it is.
        """
        tracer: Any = self.tracer
        if not self.lean:
            return tracer.start_span(name, context=context, kind=SpanKind.SERVER, attributes=attributes)
        bounds = self.bounds
        if bounds is not None and tracer._is_enabled():  # noqa: SLF001
            return self._start_known(name, context, attributes, owned, bounds)
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
        trusted = result.attributes == attributes  # else the sampler added or changed some
        return self._recording(
            name, context, span_context, parent, attributes if trusted else result.attributes,
            trusted, owned, record_end_metrics,
        )

    def _recording(
        self,
        name: str,
        context: Context | None,
        span_context: SpanContext,
        parent: SpanContext | None,
        attributes: Trusted,
        trusted: bool,
        owned: bool,
        record_end_metrics: Any,
    ) -> trace_api.Span:
        """The recording span of a sampled request: a :class:`RequestSpan` when the tracer's
        processors allow one, else a started :class:`ServerSpan`. ``trusted`` attributes skip
        per-key validation (the middleware built them); ``owned`` ones are kept as they are."""
        request_type = self.request_type()
        if request_type is not None:
            limit = request_type._limits.max_span_attributes  # noqa: SLF001
            if trusted and (limit is None or len(attributes) <= limit):
                return request_type(
                    name, span_context, parent, attributes if owned else dict(attributes),  # type: ignore[arg-type]
                    record_end_metrics,
                )
            # Changed by the sampler, or too many: validate them all.
            request_span = request_type(name, span_context, parent, {}, record_end_metrics)
            request_span.set_attributes(attributes)
            return request_span
        span = _server_span(self.tracer, name, span_context, parent, record_end_metrics)
        if trusted:
            span.add_trusted_attributes(attributes)
        else:
            span.set_attributes(attributes)
        span.start(parent_context=context)
        return span

    def _start_known(
        self, name: str, context: Context | None, attributes: Trusted, owned: bool, bounds: tuple[int, ...]
    ) -> trace_api.Span:
        """:meth:`start` for an SDK sampler whose decision :func:`sampling_bounds` compiled.

        Same ids (the SDK's random source, trace id first), flags, trace state and decision
        as the SDK path; tests compare the two over random parents and ratios.
        """
        current = (context if context is not None else current_context()).get(_SPAN_KEY)
        parent = (
            current.get_span_context() if current is not None and isinstance(current, trace_api.Span) else None
        )
        if parent is not None and parent.is_valid:
            trace_id = parent.trace_id
            flags = parent.trace_flags
            bound = bounds[(1 if parent.is_remote else 3) + (0 if flags & _SAMPLED else 1)]
            random_bit = flags & _RANDOM
            state = parent.trace_state
        else:
            parent = None
            trace_id = random.getrandbits(128)
            while not trace_id:
                trace_id = random.getrandbits(128)
            bound = bounds[0]
            random_bit = _RANDOM
            state = DEFAULT_TRACE_STATE
        span_id = random.getrandbits(64)
        while not span_id:
            span_id = random.getrandbits(64)
        sampled = (trace_id & _ID_LIMIT) < bound
        # The fields SpanContext.__new__ would store, without re-validating ids made just above.
        span_context = tuple.__new__(
            SpanContext, (trace_id, span_id, False, TRACE_FLAGS[(_SAMPLED if sampled else 0) | random_bit], state, True)
        )
        if not sampled:
            return NonRecordingSpan(span_context)
        return self._recording(name, context, span_context, parent, attributes, True, owned, _noop)


def _server_span(tracer: Any, name: str, context: SpanContext, parent: SpanContext | None, record_end_metrics: Any) -> ServerSpan:
    """A ``SERVER`` :class:`ServerSpan` with ``tracer``'s fields, not started yet."""
    return ServerSpan(
        name=name,
        context=context,
        parent=parent,
        sampler=tracer.sampler,
        resource=tracer.resource,
        span_processor=tracer.span_processor,
        kind=SpanKind.SERVER,
        instrumentation_info=tracer.instrumentation_info,
        limits=tracer._span_limits,  # noqa: SLF001
        instrumentation_scope=tracer._instrumentation_scope,  # noqa: SLF001
        record_end_metrics=record_end_metrics,
    )


def sampling_bounds(sampler: Any) -> tuple[int, int, int, int, int] | None:
    """The SDK sampler's decisions as bounds on the trace id's low 64 bits, or ``None``.

    ``(root, remote parent sampled, remote parent not sampled, local parent sampled, local
    parent not sampled)``: a span is sampled when ``trace_id & TRACE_ID_LIMIT`` is below the
    bound of its case. ``ALWAYS_ON`` is 2**64, ``ALWAYS_OFF`` 0, ``TraceIdRatioBased`` its own
    bound, ``ParentBased`` one per delegate. Other samplers (user-written ones, which may
    look at attributes or change them) get ``None`` and are called as the SDK calls them.
    """
    if type(sampler) is ParentBased:
        parts = (
            sampler._root, sampler._remote_parent_sampled, sampler._remote_parent_not_sampled,  # noqa: SLF001
            sampler._local_parent_sampled, sampler._local_parent_not_sampled,  # noqa: SLF001
        )
        bounds = tuple(_bound(part) for part in parts)
        return None if None in bounds else bounds  # type: ignore[return-value]
    bound = _bound(sampler)
    return None if bound is None else (bound,) * 5


def _bound(sampler: Any) -> int | None:
    if type(sampler) is StaticSampler:
        decision = sampler._decision  # noqa: SLF001
        if decision is Decision.RECORD_AND_SAMPLE:
            return _ID_LIMIT + 1
        return 0 if decision is Decision.DROP else None
    if type(sampler) is TraceIdRatioBased:
        return sampler.bound
    return None


def add_attributes(span: trace_api.Span, attributes: Trusted) -> None:
    """Add ``attributes`` to any span, trusted when it is one :class:`ServerSpans` started."""
    if getattr(span, "add_trusted_attributes", None) is not None:
        span.add_trusted_attributes(attributes)  # type: ignore[attr-defined]
    else:
        span.set_attributes(attributes)
