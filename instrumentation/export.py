"""Batched span export that gives the garbage collector nothing to walk while spans wait.

A ``BatchSpanProcessor`` holds each finished span for up to a batch (512) or five
seconds. Held as SDK objects (a ``ReadableSpan``, its ``SpanContext``, its ``TraceFlags``),
every waiting span is three objects the collector tracks; under load they outlive the
young collections, get promoted, and every few thousand requests trigger a full
collection of the whole process: a pause of tens of milliseconds, straight into the p99.

:class:`CompactBatchSpanProcessor` is the SDK's ``BatchSpanProcessor`` (same queue, thread,
batching, flush and shutdown) holding each plain span as one flat tuple of numbers and
strings, which the collector stops tracking at its next young collection. The exporter
gets a sequence that turns each tuple back into a ``ReadableSpan`` as it reads it, so
those objects die young too. Spans with events, links, dropped attributes or a trace
state (what the tuple does not carry) are queued as they are.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, overload

from opentelemetry.sdk.environment_variables import OTEL_BSP_MAX_EXPORT_BATCH_SIZE
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from instrumentation.request_span import _NO_EVENTS, _UNSET, RequestSpan

#: ``(resource, instrumentation_scope, instrumentation_info)`` of the spans' tracers.
Origin = tuple[Any, Any, Any]

# Enum members are packed as their position here (tuple.index is identity-fast in C).
_KINDS = tuple(SpanKind)
_CODES = tuple(StatusCode)
#: One TraceFlags per value, shared: a new one per span is one more object for the GC
#: (a ``TraceFlags`` has a ``__dict__``, so the collector tracks it, and any tuple holding it).
TRACE_FLAGS = tuple(TraceFlags(value) for value in range(256))
_MAX_ORIGINS = 256
#: Fields before the attributes (all keys, then all values) in a packed span.
_HEADER = 14
_SERVER = _KINDS.index(SpanKind.SERVER)
_new_tuple = tuple.__new__


#: Spans per export call unless ``max_export_batch_size`` or ``OTEL_BSP_MAX_EXPORT_BATCH_SIZE``
#: says otherwise (the SDK's default is 512). The export thread shares the event loop's
#: core and GIL: each batch it hands the exporter is a pause for the requests in flight,
#: and under load a 512-span batch showed in the p99 (about +1 ms under ``wrk``, see
#: docs/instrumentation.md). The queue keeps the SDK's size (2,048).
DEFAULT_BATCH_SIZE = 128


class CompactBatchSpanProcessor(BatchSpanProcessor):
    """``BatchSpanProcessor(exporter)`` whose queue holds plain spans as untracked tuples.

    Exports batches of :data:`DEFAULT_BATCH_SIZE` spans unless told otherwise.
    """

    def __init__(self, span_exporter: SpanExporter, **options: Any) -> None:
        if options.get("max_export_batch_size") is None and OTEL_BSP_MAX_EXPORT_BATCH_SIZE not in os.environ:
            queue = options.get("max_queue_size") or BatchSpanProcessor._default_max_queue_size()  # noqa: SLF001
            options["max_export_batch_size"] = min(DEFAULT_BATCH_SIZE, queue)
        self.origins = Origins()
        super().__init__(_Unpacking(span_exporter, self.origins), **options)
        batch: Any = getattr(self, "_batch_processor", None)
        #: Queues one packed span; ``None`` (plain BatchSpanProcessor behaviour) if the SDK's
        #: queue moved. The SDK's own ``emit`` when its fields are not where this expects them.
        self.emit = getattr(batch, "emit", None)
        if self.emit is not None and all(
            hasattr(batch, name)
            for name in ("_queue", "_shutdown", "_max_queue_size", "_max_export_batch_size", "_worker_awaken")
        ) and hasattr(os, "register_at_fork"):
            self.emit = self._emit

    def _emit(self, item: Any) -> None:
        """The SDK queue's ``emit`` for the common case (running, room in the queue).

        Skips the SDK's per-item fork check (``os.getpid()``, a system call): the SDK resets its
        queue and worker thread in the child through ``os.register_at_fork`` already. Anything
        else (shut down, queue full: dropped, counted and logged) goes to the SDK's ``emit``.
        """
        batch: Any = self._batch_processor
        queue = batch._queue  # noqa: SLF001
        if batch._shutdown or len(queue) >= batch._max_queue_size:  # noqa: SLF001
            batch.emit(item)
            return
        queue.appendleft(item)
        if len(queue) >= batch._max_export_batch_size:  # noqa: SLF001
            awaken = batch._worker_awaken  # noqa: SLF001 - replaced after a fork, so read each time
            if not awaken.is_set():
                awaken.set()

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        packed = pack(span, self.origins) if self.emit is not None else None
        if packed is None:
            super().on_end(span)
        else:
            self.emit(packed)  # type: ignore[misc]


class Origins:
    """Numbers for the few (resource, scope) pairs spans come from, so tuples hold ints."""

    def __init__(self) -> None:
        self._index: dict[tuple[int, int], int] = {}
        self.items: list[Origin] = []
        self._lock = threading.Lock()

    def number(self, span: ReadableSpan) -> int | None:
        key = (id(span._resource), id(span._instrumentation_scope))  # noqa: SLF001 - see pack()
        found = self._index.get(key)
        if found is None:
            # The property warns; the field is what the SDK hands on.
            info = getattr(span, "_instrumentation_info", None)
            found = self.number_of(span.resource, span.instrumentation_scope, info)
        return found

    def number_of(self, resource: Any, scope: Any, info: Any) -> int | None:
        """The number of spans from ``resource`` and ``scope``; ``None`` once there are too many."""
        key = (id(resource), id(scope))
        with self._lock:
            found = self._index.get(key)
            if found is None:
                if len(self.items) >= _MAX_ORIGINS:
                    return None
                # The list keeps each pair alive, so their ids stay theirs.
                self.items.append((resource, scope, info))
                found = self._index[key] = len(self.items) - 1
        return found


def pack(span: ReadableSpan, origins: Origins) -> tuple[Any, ...] | None:
    """``span`` as one flat tuple of atomic values, or ``None`` when that would lose something.

    Runs once per request, so it reads the span's fields directly: a ``ReadableSpan`` (exact
    type) or a :class:`~instrumentation.request_span.RequestSpan`, which has the same fields.
    Flat, because the collector never untracks a tuple holding a dict and untracks nested
    tuples only one level per collection.
    """
    if type(span) is not ReadableSpan and not isinstance(span, RequestSpan):
        return None
    origin = origins.number(span)
    if origin is None:
        return None
    return pack_request(span, origin, _KINDS.index(span._kind))  # noqa: SLF001


def pack_request(span: Any, origin: int, kind: int = _SERVER) -> tuple[Any, ...] | None:
    """The packed tuple of a finished span (by default a ``SERVER`` span, as a
    :class:`~instrumentation.request_span.RequestSpan` is) whose origin number is known.

    ``None`` when the tuple would lose something: a bounded attribute map or event/link list
    (they may carry a dropped count, even empty), events or links (rare: such spans are kept
    as they are), or a trace state on the span or its parent.
    """
    attributes = span._attributes  # noqa: SLF001
    if type(attributes) is not dict or span._events is not _NO_EVENTS or span._links is not _NO_EVENTS:  # noqa: SLF001
        return None
    context = span._context  # noqa: SLF001
    parent = span._parent  # noqa: SLF001
    # SpanContext is a tuple: (trace_id, span_id, is_remote, trace_flags, trace_state, is_valid).
    state = context[4]
    if state is not DEFAULT_TRACE_STATE and len(state):
        return None
    if parent is None:
        parent_trace = parent_span = parent_flags = parent_remote = None
    else:
        state = parent[4]
        if state is not DEFAULT_TRACE_STATE and len(state):
            return None
        parent_trace, parent_span, parent_flags, parent_remote = parent[0], parent[1], int(parent[3]), parent[2]
    status = span._status  # noqa: SLF001
    # Code 0 is UNSET, unpacked as the shared _UNSET (the status of every span that set none).
    code, description = (0, None) if status is _UNSET else (_CODES.index(status.status_code), status.description)
    return (
        span._name, context[0], context[1], int(context[3]),  # noqa: SLF001
        parent_trace, parent_span, parent_flags, parent_remote,
        kind, code, description, span._start_time, span._end_time, origin,  # noqa: SLF001
    ) + tuple(attributes) + tuple(attributes.values())  # fewer steps than a tuple display with *


def unpack(packed: tuple[Any, ...], origins: Origins) -> ReadableSpan:
    """The ``ReadableSpan`` :func:`pack` was given (equal in every field an exporter reads)."""
    (name, trace_id, span_id, flags, parent_trace_id, parent_span_id, parent_flags, parent_remote,
     kind, code, description, start, end, origin) = packed[:_HEADER]
    resource, scope, info = origins.items[origin]
    # The fields SpanContext.__new__ would store (ids packed from a SpanContext need no new
    # range check; the trace state is the default one, as pack() requires).
    return ReadableSpan(
        name,
        _new_tuple(
            SpanContext,
            (trace_id, span_id, False, TRACE_FLAGS[flags], DEFAULT_TRACE_STATE, bool(trace_id and span_id)),
        ),
        None if parent_trace_id is None else _new_tuple(
            SpanContext,
            (parent_trace_id, parent_span_id, parent_remote, TRACE_FLAGS[parent_flags], DEFAULT_TRACE_STATE,
             bool(parent_trace_id and parent_span_id)),
        ),
        resource,
        _attributes(packed),
        (),
        (),
        _KINDS[kind],
        info,
        _UNSET if code == 0 else Status(_CODES[code], description),
        start,
        end,
        scope,
    )


def _attributes(packed: tuple[Any, ...]) -> dict[str, Any]:
    """The attributes of a packed span: its keys, then their values, after the header."""
    middle = _HEADER + (len(packed) - _HEADER) // 2
    return dict(zip(packed[_HEADER:middle], packed[middle:]))


class UnpackedSpans(Sequence[ReadableSpan]):
    """A batch as the exporter reads it: each packed span becomes a ``ReadableSpan`` on access."""

    def __init__(self, batch: Sequence[Any], origins: Origins) -> None:
        self._batch = batch
        self._origins = origins

    def __len__(self) -> int:
        return len(self._batch)

    @overload
    def __getitem__(self, index: int) -> ReadableSpan: ...

    @overload
    def __getitem__(self, index: slice) -> list[ReadableSpan]: ...

    def __getitem__(self, index: int | slice) -> ReadableSpan | list[ReadableSpan]:
        if isinstance(index, slice):
            return [self._one(item) for item in self._batch[index]]
        return self._one(self._batch[index])

    def __iter__(self) -> Iterator[ReadableSpan]:
        return map(self._one, self._batch)

    def _one(self, item: Any) -> ReadableSpan:
        if type(item) is tuple:
            return unpack(item, self._origins)
        # A request span that could not be packed (events, links, a trace state) waited as is.
        return item._readable_span() if isinstance(item, RequestSpan) else item


class _Unpacking(SpanExporter):
    """Hands the wrapped exporter the batch as :class:`UnpackedSpans`."""

    def __init__(self, inner: SpanExporter, origins: Origins) -> None:
        self.inner = inner
        self.origins = origins

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return self.inner.export(UnpackedSpans(spans, self.origins))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
