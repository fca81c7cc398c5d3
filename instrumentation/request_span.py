"""The lean recording span of one HTTP request.

An SDK ``Span`` builds, per request, a lock-guarded attribute map, two bounded lists, a
dozen fields and, when it ends, a ``ReadableSpan`` copy for the processors. A request
span needs little of that: :class:`RequestSpan` is an SDK ``Span`` (same class hierarchy,
same methods for user code: ``set_attribute``, ``add_event``, ``record_exception``,
``set_status``, ``update_name``...) that keeps the middleware's attributes in a plain
dict, creates the SDK's bounded containers only when user code adds attributes, events or
links, and at ``end()`` hands itself to the compact batch processors
(:mod:`instrumentation.export`), which pack it into a tuple. It becomes a
``ReadableSpan`` only in the export thread, and only when an exporter is configured.

The tracer-wide fields (resource, scope, limits, processors) are class attributes of a
subclass made once per tracer and processor set (:func:`request_span_type`), so a request
sets only what is its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from time import time_ns
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import ReadableSpan, Span, Tracer
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

_logger = logging.getLogger(__name__)
_UNSET = Status(StatusCode.UNSET)
_SAMPLED = int(TraceFlags.SAMPLED)
_NO_EVENTS: tuple[Any, ...] = ()


def _noop() -> None:
    """The end-of-span callback of a tracer without self-metrics (``NoOpTracerMetrics``)."""


class RequestSpan(Span):
    """A recording ``SERVER`` span for one request; see the module docstring.

    Thread safety is the SDK span's: every mutation takes the span's own lock. (One lock per
    span, not one shared by all: a warning logged under it may reach a handler that touches
    another span.)
    """

    # Defaults a request rarely changes; assigning one makes it the instance's own.
    _kind = SpanKind.SERVER
    _status = _UNSET
    _events: Any = _NO_EVENTS
    _links: Any = _NO_EVENTS
    _end_time: int | None = None
    _sampler = None
    _trace_config = None
    _record_exception = True
    _set_status_on_exception = True
    # Set per tracer by request_span_type().
    #: ``(sink, its queue's emit or None, the origin number of this type's spans)`` per sink.
    _emitters: tuple[tuple[Any, Any, Any], ...] = ()
    _pack: Any = None

    def __init__(  # pylint: disable=super-init-not-called - the point is to skip it
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        attributes: dict[str, Any],
        record_end_metrics: Any,
    ) -> None:
        self._name = name
        self._context = context
        self._parent = parent
        self._attributes = attributes
        self._record_end_metrics = record_end_metrics
        self._lock = threading.Lock()
        self._start_time = time_ns()

    def add_trusted_attributes(self, attributes: Mapping[str, str | int]) -> None:
        """Add string/int attributes under non-empty string keys without per-key validation.

        Validated like :meth:`set_attributes` once the span holds the SDK's bounded map
        (user code set an attribute) or the limit on the attribute count could be reached.
        """
        with self._lock:
            current = self._attributes
            limit = self._limits.max_span_attributes
            if (
                type(current) is dict
                and self._end_time is None
                and (limit is None or len(current) + len(attributes) <= limit)
            ):
                current.update(attributes)
                return
        self.set_attributes(attributes)

    def set_attribute(self, key: str, value: Any) -> None:
        self.set_attributes({key: value})

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Setting attribute on ended span.")
                return
            self._bounded_attributes()._set_items(attributes)  # noqa: SLF001 - the SDK's own call

    def _bounded_attributes(self) -> BoundedAttributes:
        current = self._attributes
        if type(current) is dict:
            limits = self._limits
            current = self._attributes = BoundedAttributes(
                limits.max_span_attributes, current, immutable=False,
                max_value_len=limits.max_span_attribute_length,
            )
        return current

    def _add_event(self, event: Any) -> None:
        self._append("_events", self._limits.max_events, event, "_add_event")

    def _add_link(self, link: Any) -> None:
        self._append("_links", self._limits.max_links, link, "_add_link")

    def _append(self, field: str, limit: int | None, item: Any, caller: str) -> None:
        """Append to the events or links, created as the SDK's bounded list on first use."""
        with self._lock:
            if self._end_time is None:
                items = getattr(self, field)
                if items is _NO_EVENTS:
                    items = BoundedList(limit)
                    setattr(self, field, items)
                items.append(item)
                return
        _logger.warning("Tried calling %s on an ended span.", caller)

    def end_request(self, name: str | None, attributes: dict[str, str | int]) -> None:
        """``update_name(name)`` (unless ``None``), ``add_trusted_attributes(attributes)`` and
        ``end()``, under one acquisition of the lock when nothing needs the SDK's checks."""
        with self._lock:
            current = self._attributes
            limit = self._limits.max_span_attributes
            fast = (
                self._end_time is None
                and type(current) is dict
                and (limit is None or len(current) + len(attributes) <= limit)
            )
            if fast:
                if name is not None:
                    self._name = name
                current.update(attributes)
                self._end_time = time_ns()
        if not fast:
            if name is not None:
                self.update_name(name)
            self.add_trusted_attributes(attributes)
            self.end()
            return
        self._ended()

    def end(self, end_time: int | None = None) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Calling end() on an ended span.")
                return
            self._end_time = end_time if end_time is not None else time_ns()
            if type(self._attributes) is not dict:
                self._attributes._immutable = True  # noqa: SLF001 - as Span.end does
        self._ended()

    def _ended(self) -> None:
        """Hand the just-ended span to the self-metrics and the processors."""
        if self._record_end_metrics is not _noop:
            self._record_end_metrics()
        if not self._context[3] & _SAMPLED:  # trace flags; unsampled spans are not exported
            return
        for sink, emit, origin in self._emitters:
            packed = self._pack(origin) if emit is not None else None
            if packed is None:
                sink.on_end(self)
            else:
                emit(packed)

    def _readable_span(self) -> ReadableSpan:
        return plain_readable_span(self)


def plain_readable_span(span: Span) -> ReadableSpan:
    """The ``ReadableSpan`` the SDK would give processors, with plain containers (a dict of
    attributes, tuples of events and links) wherever no dropped count needs the SDK's own."""
    attributes: Any = span._attributes  # noqa: SLF001
    events: Any = span._events  # noqa: SLF001
    links: Any = span._links  # noqa: SLF001
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=dict(attributes) if type(attributes) is dict or not attributes.dropped else attributes,
        events=tuple(events) if events is _NO_EVENTS or not events.dropped else events,
        links=tuple(links) if links is _NO_EVENTS or not links.dropped else links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_info=span._instrumentation_info,  # noqa: SLF001
        instrumentation_scope=span.instrumentation_scope,
    )


def request_span_type(tracer: Tracer, sinks: Sequence[Any]) -> type[RequestSpan]:
    """A :class:`RequestSpan` subclass carrying ``tracer``'s fields, ending into ``sinks``.

    ``sinks`` are processors whose ``on_end`` accepts the span itself
    (:class:`~instrumentation.export.CompactBatchSpanProcessor`); none means the spans go
    nowhere, as with an SDK tracer that has no processor.
    """
    from instrumentation.export import pack_request  # noqa: PLC0415 - export imports this module

    info = tracer.instrumentation_info
    scope = tracer._instrumentation_scope  # noqa: SLF001
    emitters = []
    for sink in sinks:
        emit = getattr(sink, "emit", None)
        origin = sink.origins.number_of(tracer.resource, scope, info) if emit is not None else None
        emitters.append((sink, emit if origin is not None else None, origin))
    fields = {
        "_resource": tracer.resource,
        "_instrumentation_info": info,
        "_instrumentation_scope": scope,
        "_limits": tracer._span_limits,  # noqa: SLF001
        "_span_processor": tracer.span_processor,
        "_emitters": tuple(emitters),
        "_pack": pack_request,
    }
    return type("RequestSpan", (RequestSpan,), fields)
