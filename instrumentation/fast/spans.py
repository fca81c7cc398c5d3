"""Server spans for the middleware: OpenTelemetry SDK spans, started with less work.

``Tracer.start_span`` validates every attribute one by one (type checks, a lock per key),
about 0.4 µs each, for values the middleware built itself from the ASGI scope: strings and
integers under keys it chose. :class:`ServerSpans` starts the same span with the tracer's
own sampler, id generator, resource, limits and span processors, then adds those attributes
in one step, as one of two span types (both in :mod:`instrumentation.fast.compat`):

- ``RequestSpan``, the lean one, when every processor of the tracer is a
  :class:`~instrumentation.fast.export.CompactBatchSpanProcessor` (what ``instrument()`` sets
  up) or there is none (no exporter configured: nothing is queued);
- ``ServerSpan``, an SDK ``Span`` whose finished copy holds plain containers, when other
  processors must see the span start and end as the SDK hands it to them.

Exporters see no difference (tests compare both with ``Tracer.start_span`` field by field).
Anything unusual takes the SDK's own path: a tracer that is not the SDK's, span limits that
would truncate attribute values, and every tracer when the compat probe chose the public path.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SynchronousMultiSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from instrumentation.fast import compat
from instrumentation.fast.export import CompactBatchSpanProcessor

#: Attribute values the SDK stores unchanged (no sequences: those it copies into tuples).
Trusted = Mapping[str, str | int]

_SAMPLED = TraceFlags.SAMPLED
_RANDOM = getattr(TraceFlags, "RANDOM_TRACE_ID", 0)
#: Sampling looks at the low 64 bits of the trace id (TraceIdRatioBased.TRACE_ID_LIMIT).
_ID_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT


class ServerSpans:
    """Starts ``SERVER`` spans on one tracer (the SDK's fast path when it is an SDK tracer)."""

    def __init__(self, tracer: trace_api.Tracer) -> None:
        self.tracer = tracer
        #: The tracer's private fields, when the fast path is on and it is an SDK tracer.
        self.internals = compat.tracer_internals(tracer)
        self.lean = self.internals is not None
        self._processors: Any = None
        self._request_type: type[compat.RequestSpan] | None = None
        # The current span is read from the context by its key (fast path only: bounds need internals).
        self._span_key = compat.SPAN_KEY
        self._current_context = compat.current_context
        #: Sampling bounds when the whole decision can be made here (see compat.sampling_bounds).
        self.bounds = (
            compat.sampling_bounds(tracer.sampler)  # type: ignore[attr-defined]
            if self.internals is not None
            and type(tracer.id_generator) is RandomIdGenerator  # type: ignore[attr-defined]
            and self.internals.metrics_off
            else None
        )

    def request_type(self) -> type[compat.RequestSpan] | None:
        """The ``RequestSpan`` type for the tracer's current processors, if they allow one.

        Processors can be added to the provider at any time; the type is rebuilt when its
        processor tuple changes (an identity check per request).
        """
        internals = self.internals
        if internals is None:
            return None
        multi: Any = self.tracer.span_processor  # type: ignore[attr-defined]
        processors = compat.span_processors(multi)
        if processors is not self._processors:
            self._processors = processors
            lean = (
                type(multi) is SynchronousMultiSpanProcessor
                and processors is not None
                and all(type(p) is CompactBatchSpanProcessor for p in processors)
                and internals.limits.max_span_attribute_length is None
            )
            self._request_type = (
                compat.request_span_type(self.tracer, internals, processors) if lean else None  # type: ignore[arg-type]
            )
        return self._request_type

    def start(
        self, name: str, context: Context | None, attributes: Trusted, *, owned: bool = False
    ) -> trace_api.Span:
        """Start a span as ``tracer.start_span(name, context, SpanKind.SERVER, attributes)`` would.

        ``owned``: ``attributes`` is a fresh dict the span may keep as it is.
        """
        tracer: Any = self.tracer
        internals = self.internals
        if internals is None:
            return tracer.start_span(name, context=context, kind=SpanKind.SERVER, attributes=attributes)
        bounds = self.bounds
        is_enabled = internals.is_enabled  # a local: calling the attribute takes the generic method lookup
        if bounds is not None and is_enabled():
            return self._start_known(name, context, attributes, owned, bounds)
        parent: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        if not is_enabled():  # the SDK's tracer configurator
            return NonRecordingSpan(parent)
        ids = tracer.id_generator
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = ids.generate_trace_id()
            random_id = ids.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_id = parent.trace_flags.random_trace_id
        result = tracer.sampler.should_sample(context, trace_id, name, SpanKind.SERVER, attributes, ())
        decision = result.decision
        flags = (_SAMPLED if decision.is_sampled() else 0) | (_RANDOM if random_id else 0)
        span_context = SpanContext(
            trace_id, ids.generate_span_id(), is_remote=False,
            trace_flags=compat.TRACE_FLAGS[flags], trace_state=result.trace_state,
        )
        record_end_metrics = internals.tracer_metrics.start_span(parent, decision)
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
        """The recording span of a sampled request: a ``RequestSpan`` when the tracer's
        processors allow one, else a started ``ServerSpan``. ``trusted`` attributes skip
        per-key validation (the middleware built them); ``owned`` ones are kept as they are."""
        request_type = self.request_type()
        if request_type is not None:
            limit = request_type.limits.max_span_attributes
            if trusted and (limit is None or len(attributes) <= limit):
                return request_type(
                    name, span_context, parent, attributes if owned else dict(attributes),  # type: ignore[arg-type]
                    record_end_metrics,
                )
            # Changed by the sampler, or too many: validate them all.
            request_span = request_type(name, span_context, parent, {}, record_end_metrics)
            request_span.set_attributes(attributes)
            return request_span
        span = compat.server_span(self.tracer, self.internals, name, span_context, parent, record_end_metrics)  # type: ignore[arg-type]
        if trusted:
            span.add_trusted_attributes(attributes)
        else:
            span.set_attributes(attributes)
        span.start(parent_context=context)
        return span

    def _start_known(
        self, name: str, context: Context | None, attributes: Trusted, owned: bool, bounds: tuple[int, ...]
    ) -> trace_api.Span:
        """:meth:`start` for an SDK sampler whose decision :func:`compat.sampling_bounds` compiled.

        Same ids (the SDK's random source, trace id first), flags, trace state and decision
        as the SDK path; tests compare the two over random parents and ratios.
        """
        if context is None:
            current_context = self._current_context  # a local: see start()
            current = current_context().get(self._span_key)
        else:
            current = context.get(self._span_key)
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
        span_context = compat.new_span_context(trace_id, span_id, (_SAMPLED if sampled else 0) | random_bit, state)
        if not sampled:
            return NonRecordingSpan(span_context)
        return self._recording(name, context, span_context, parent, attributes, True, owned, compat.noop)


def add_attributes(span: trace_api.Span, attributes: Trusted) -> None:
    """Add ``attributes`` to any span, trusted when it is one :class:`ServerSpans` started."""
    if getattr(span, "add_trusted_attributes", None) is not None:
        span.add_trusted_attributes(attributes)  # type: ignore[attr-defined]
    else:
        span.set_attributes(attributes)
