"""Batched span export that gives the garbage collector nothing to walk while spans wait.

A ``BatchSpanProcessor`` holds each finished span for up to a batch (512) or five
seconds. Held as SDK objects (a ``ReadableSpan``, its ``SpanContext``, its ``TraceFlags``),
every waiting span is three objects the collector tracks; under load they outlive the
young collections, get promoted, and every few thousand requests trigger a full
collection of the whole process: a pause of tens of milliseconds, straight into the p99.

:class:`CompactBatchSpanProcessor` is the SDK's ``BatchSpanProcessor`` (same queue, thread,
batching, flush and shutdown) holding each plain span as one flat tuple of numbers and
strings (:func:`instrumentation.fast.compat.pack`), which the collector stops tracking at
its next young collection. The exporter gets a sequence that turns each tuple back into a
``ReadableSpan`` as it reads it, so those objects die young too. Spans with events, links,
dropped attributes or a trace state (what the tuple does not carry) are queued as they are.
On the public path (see :mod:`instrumentation.fast.compat`) it is a plain ``BatchSpanProcessor``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, overload

from opentelemetry.sdk.environment_variables import OTEL_BSP_MAX_EXPORT_BATCH_SIZE
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from instrumentation.fast import compat

#: ``(resource, instrumentation_scope, instrumentation_info)`` of the spans' tracers.
Origin = tuple[Any, Any, Any]

_MAX_ORIGINS = 256

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
            queue = options.get("max_queue_size") or compat.default_max_queue_size()
            options["max_export_batch_size"] = min(DEFAULT_BATCH_SIZE, queue)
        self.origins = Origins()
        super().__init__(_Unpacking(span_exporter, self.origins), **options)
        #: Queues one packed span on the SDK's own queue; ``None`` on the public path, where
        #: every span goes through ``BatchSpanProcessor.on_end``.
        self.emit = compat.batch_emit(self)

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
        found = self._index.get(compat.origin_key(span))
        if found is None:
            found = self.number_of(span.resource, span.instrumentation_scope, compat.instrumentation_info(span))
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
    """``span`` as one flat tuple of atomic values, or ``None`` when that would lose something
    (see :func:`instrumentation.fast.compat.pack_request`)."""
    if not compat.packable(span):
        return None
    origin = origins.number(span)
    if origin is None:
        return None
    return compat.pack(span, origin)


def unpack(packed: tuple[Any, ...], origins: Origins) -> ReadableSpan:
    """The ``ReadableSpan`` :func:`pack` was given (equal in every field an exporter reads)."""
    return compat.unpack(packed, origins.items)


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
        return compat.readable(item)


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
