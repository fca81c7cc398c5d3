"""Every use of OpenTelemetry's private internals, in one module, with the public path beside it.

The fast path (:mod:`instrumentation.fast`) builds and reads SDK objects below their public API:
the current context's ``ContextVar``, a tracer's limits and scope, a sampler's delegates, a
span's fields (a lean span skips ``Span.__init__``), the batch processor's queue. Nothing
outside this module touches a private OpenTelemetry name.

When imported, this module probes the installed SDK for every private name it uses
(:data:`PRIVATE_NAMES`). If one is missing or changed, :data:`FAST` is ``False``: every part
of the instrumentation built from then on takes the public SDK path (``Tracer.start_span``,
the ``BatchSpanProcessor``'s own ``on_end``, ``opentelemetry.context``), slower and correct,
and one warning per process (logger ``instrumentation.compat``) names what was missing. An
import never fails and a request never fails because an internal moved.
``OBSCODE_OTEL_FAST=0`` chooses the public path on purpose (no warning).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import operator
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import time_ns
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.sdk.trace import ReadableSpan, Span, SynchronousMultiSpanProcessor, Tracer, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased, StaticSampler, TraceIdRatioBased
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

#: ``0`` forces the public SDK path; anything else (or unset) lets the probe decide.
ENV_VAR = "OBSCODE_OTEL_FAST"

_logger = logging.getLogger("instrumentation.compat")


@dataclass(frozen=True)
class PrivateName:
    """One private OpenTelemetry name the fast path uses, and where the probe looks for it."""

    #: What holds it: a module (``opentelemetry.context``) or a class (``module:Class``).
    owner: str
    name: str
    #: ``module``, ``class`` (an attribute of the class) or ``instance`` (set by ``__init__``).
    kind: str


def _names(owner: str, kind: str, *names: str) -> tuple[PrivateName, ...]:
    return tuple(PrivateName(owner, name, kind) for name in names)


_SDK_TRACE = "opentelemetry.sdk.trace"
#: Every private name this module reads, sets or overrides; the probe checks each of them.
PRIVATE_NAMES: tuple[PrivateName, ...] = (
    *_names("opentelemetry.context", "module", "_RUNTIME_CONTEXT"),
    *_names("opentelemetry.context.contextvars_context:ContextVarsRuntimeContext", "instance", "_current_context"),
    *_names("opentelemetry.trace.propagation", "module", "_SPAN_KEY"),
    *_names(f"{_SDK_TRACE}", "module", "_tracer_metrics"),
    *_names(f"{_SDK_TRACE}:Tracer", "instance", "_span_limits", "_instrumentation_scope", "_tracer_metrics"),
    *_names(f"{_SDK_TRACE}:Tracer", "class", "_is_enabled"),
    *_names(f"{_SDK_TRACE}:SynchronousMultiSpanProcessor", "instance", "_span_processors"),
    *_names(
        f"{_SDK_TRACE}.sampling:ParentBased", "instance", "_root", "_remote_parent_sampled",
        "_remote_parent_not_sampled", "_local_parent_sampled", "_local_parent_not_sampled",
    ),
    *_names(f"{_SDK_TRACE}.sampling:StaticSampler", "instance", "_decision"),
    *_names("opentelemetry.attributes:BoundedAttributes", "instance", "_lock", "_dict", "_immutable"),
    *_names("opentelemetry.attributes:BoundedAttributes", "class", "_set_items"),
    *_names(
        f"{_SDK_TRACE}:Span", "instance", "_name", "_context", "_parent", "_attributes", "_record_end_metrics",
        "_lock", "_start_time", "_kind", "_status", "_events", "_links", "_end_time", "_sampler",
        "_trace_config", "_record_exception", "_set_status_on_exception", "_resource",
        "_instrumentation_info", "_instrumentation_scope", "_limits", "_span_processor",
    ),
    *_names(f"{_SDK_TRACE}:Span", "class", "_add_event", "_add_link", "_readable_span"),
    *_names(f"{_SDK_TRACE}.export:BatchSpanProcessor", "class", "_default_max_queue_size"),
    *_names(f"{_SDK_TRACE}.export:BatchSpanProcessor", "instance", "_batch_processor"),
    *_names(
        "opentelemetry.sdk._shared_internal:BatchProcessor", "instance",
        "_queue", "_shutdown", "_max_queue_size", "_max_export_batch_size", "_worker_awaken",
    ),
    *_names("opentelemetry.sdk.metrics", "module", "_Gauge"),
)

#: The fields of a ``SpanContext``, in the order of the tuple it is.
_SPAN_CONTEXT_FIELDS = ("trace_id", "span_id", "is_remote", "trace_flags", "trace_state", "is_valid")
#: ``ReadableSpan.__init__``'s parameters, in the order :func:`unpack` passes them.
_READABLE_SPAN_PARAMETERS = (
    "name", "context", "parent", "resource", "attributes", "events", "links", "kind",
    "instrumentation_info", "status", "start_time", "end_time", "instrumentation_scope",
)


# --- the probe -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe` found: ``fast`` when every private name is where the fast path expects it."""

    fast: bool
    forced_public: bool
    #: ``owner.name`` of each private name that is missing, or a changed layout.
    missing: tuple[str, ...]


def _owner(spec: PrivateName, samples: Mapping[str, Any]) -> Any:
    module_name, _, class_name = spec.owner.partition(":")
    if spec.kind == "instance":
        return samples[spec.owner]
    module = importlib.import_module(module_name)
    return getattr(module, class_name) if class_name else module


def _samples() -> dict[str, Any]:
    """One object of each class whose instance fields the fast path uses. A batch processor
    starts a thread when built, so its fields are checked on each one built (:func:`batch_emit`)."""
    provider = TracerProvider(shutdown_on_exit=False)
    tracer = provider.get_tracer("obscode.compat-probe")
    span = tracer.start_span("probe")
    return {
        "opentelemetry.context.contextvars_context:ContextVarsRuntimeContext": ContextVarsRuntimeContext(),
        f"{_SDK_TRACE}:Tracer": tracer,
        f"{_SDK_TRACE}:SynchronousMultiSpanProcessor": SynchronousMultiSpanProcessor(),
        f"{_SDK_TRACE}.sampling:ParentBased": ParentBased(ALWAYS_ON),
        f"{_SDK_TRACE}.sampling:StaticSampler": ALWAYS_ON,
        "opentelemetry.attributes:BoundedAttributes": BoundedAttributes(),
        f"{_SDK_TRACE}:Span": span,
    }


def _layout_problems() -> list[str]:
    """Layouts the fast path relies on beyond names: tuple order and constructor parameters."""
    problems = []
    context = SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(1), trace_state=DEFAULT_TRACE_STATE)
    if not isinstance(context, tuple) or tuple(context) != tuple(getattr(context, f) for f in _SPAN_CONTEXT_FIELDS):
        problems.append("opentelemetry.trace.SpanContext (tuple layout)")
    parameters = tuple(inspect.signature(ReadableSpan.__init__).parameters)[1:]
    if parameters[: len(_READABLE_SPAN_PARAMETERS)] != _READABLE_SPAN_PARAMETERS:
        problems.append("opentelemetry.sdk.trace.ReadableSpan.__init__ (parameter order)")
    if "record_end_metrics" not in inspect.signature(Span.__init__).parameters:
        problems.append("opentelemetry.sdk.trace.Span.__init__ (record_end_metrics)")
    return problems


def _find_missing() -> tuple[str, ...]:
    try:
        samples = _samples()
    except Exception as error:  # noqa: BLE001 - any change upstream means: public path
        return (f"probe objects ({type(error).__name__}: {error})",)
    missing = []
    for spec in PRIVATE_NAMES:
        if spec.kind == "instance" and spec.owner not in samples:
            continue  # checked when built (batch processors)
        try:
            owner = _owner(spec, samples)
            if spec.kind == "module" and spec.name == "_tracer_metrics":
                importlib.import_module(f"{spec.owner}.{spec.name}").NoOpTracerMetrics  # noqa: B018
            else:
                getattr(owner, spec.name)
        except Exception:  # noqa: BLE001 - ImportError, AttributeError, KeyError alike
            missing.append(f"{spec.owner}.{spec.name}")
    try:
        missing.extend(_layout_problems())
    except Exception as error:  # noqa: BLE001
        missing.append(f"layout check ({type(error).__name__}: {error})")
    return tuple(missing)


_warned = False
_state_lock = threading.Lock()


def probe(*, warn: bool = True) -> ProbeResult:
    """Check the installed SDK and choose the path for everything built from now on.

    Sets :data:`FAST` and the context functions of this module. Logs one warning per process
    (the first time a probe finds something missing) unless ``warn`` is false.
    """
    global FAST, RESULT, _warned
    forced = os.environ.get(ENV_VAR, "").strip() == "0"
    missing = _find_missing()
    result = ProbeResult(fast=not forced and not missing, forced_public=forced, missing=missing)
    with _state_lock:
        RESULT = result
        FAST = result.fast
        _bind_context(result.fast)
        if missing and not forced and warn and not _warned:
            _warned = True
            _logger.warning(
                "instrumentation: the installed OpenTelemetry SDK (%s) changed internals the fast path "
                "uses (%s); using the public SDK path instead (correct, slower per request). "
                "Install a supported release (see pyproject.toml) to get the fast path back.",
                _sdk_version(), ", ".join(missing),
            )
    return result


def reset_warning() -> None:
    """Let the next :func:`probe` warn again (tests)."""
    global _warned
    _warned = False


def _sdk_version() -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415

        return f"opentelemetry-sdk {version('opentelemetry-sdk')}"
    except Exception:  # noqa: BLE001
        return "opentelemetry-sdk of unknown version"


# --- context ---------------------------------------------------------------------------------

current_context: Callable[[], Context]
attach_context: Callable[[Context], Any]
detach_context: Callable[[Any], None]
#: The context key of the current span (``None`` on the public path).
SPAN_KEY: Any = None
#: ``span_context_ids(span_context)``: its ``(trace_id, span_id, is_valid)``.
span_context_ids: Callable[[SpanContext], tuple[int, int, bool]]
_context_logger = logging.getLogger("opentelemetry.context")


def _bind_context(fast: bool) -> None:
    """The current context as the API's own ``ContextVar`` (default runtime context) or the API."""
    global current_context, attach_context, detach_context, SPAN_KEY
    runtime = getattr(context_api, "_RUNTIME_CONTEXT", None) if fast else None
    if fast and type(runtime) is ContextVarsRuntimeContext:
        variable = runtime._current_context  # noqa: SLF001
        reset = variable.reset

        def detach(token: Any) -> None:
            """Restore the context ``token`` replaced; logs, never raises (as the API)."""
            try:
                reset(token)
            except Exception:  # noqa: BLE001
                _context_logger.exception("Failed to detach context")

        current_context, attach_context, detach_context = variable.get, variable.set, detach
    else:
        current_context, attach_context, detach_context = (
            context_api.get_current, context_api.attach, context_api.detach,
        )
    if fast:
        from opentelemetry.trace.propagation import _SPAN_KEY  # noqa: PLC0415

        SPAN_KEY = _SPAN_KEY
    else:
        SPAN_KEY = None
    global span_context_ids
    # By position where the probe checked SpanContext's tuple layout: one C call, not three properties.
    span_context_ids = operator.itemgetter(0, 1, 5) if fast else operator.attrgetter("trace_id", "span_id", "is_valid")


def context_with_span(base: Context, span: trace_api.Span) -> Context:
    """``trace.set_span_in_context(span, base)``."""
    if SPAN_KEY is not None:
        return Context({**base, SPAN_KEY: span})
    return trace_api.set_span_in_context(span, base)


# --- tracers, processors, samplers -----------------------------------------------------------


class TracerInternals:
    """The fields of an SDK ``Tracer`` the fast path needs, read once."""

    __slots__ = ("limits", "scope", "tracer_metrics", "is_enabled", "metrics_off")

    def __init__(self, tracer: Any) -> None:
        from opentelemetry.sdk.trace._tracer_metrics import NoOpTracerMetrics  # noqa: PLC0415

        self.limits = tracer._span_limits  # noqa: SLF001
        self.scope = tracer._instrumentation_scope  # noqa: SLF001
        self.tracer_metrics = tracer._tracer_metrics  # noqa: SLF001
        #: Whether the tracer configurator enables the tracer (checked per request, as the SDK does).
        self.is_enabled: Callable[[], bool] = tracer._is_enabled  # noqa: SLF001
        self.metrics_off = type(self.tracer_metrics) is NoOpTracerMetrics


def tracer_internals(tracer: Any) -> TracerInternals | None:
    """:class:`TracerInternals` of an SDK tracer on the fast path, else ``None``."""
    if not FAST or type(tracer) is not Tracer:
        return None
    try:
        return TracerInternals(tracer)
    except Exception:  # noqa: BLE001 - the probe saw the fields; never fail a request over it
        return None


#: ``span_processors(multi)``: the processors of a tracer's ``SynchronousMultiSpanProcessor``
#: (a new tuple when they change), read per request; a C-level getter, not a Python call.
span_processors: Callable[[Any], Any] = operator.attrgetter("_span_processors")


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
            return TraceIdRatioBased.TRACE_ID_LIMIT + 1
        return 0 if decision is Decision.DROP else None
    if type(sampler) is TraceIdRatioBased:
        return sampler.bound
    return None


#: One TraceFlags per value, shared: a new one per span is one more object for the GC
#: (a ``TraceFlags`` has a ``__dict__``, so the collector tracks it, and any tuple holding it).
TRACE_FLAGS = tuple(TraceFlags(value) for value in range(256))
_new_tuple = tuple.__new__


def new_span_context(trace_id: int, span_id: int, flags: int, state: Any = DEFAULT_TRACE_STATE,
                     is_remote: bool = False) -> SpanContext:
    """The ``SpanContext`` its constructor would build, without re-checking ids made by the caller."""
    return _new_tuple(
        SpanContext, (trace_id, span_id, is_remote, TRACE_FLAGS[flags], state, bool(trace_id and span_id))
    )


# --- spans -----------------------------------------------------------------------------------

_UNSET = Status(StatusCode.UNSET)
_SAMPLED = int(TraceFlags.SAMPLED)
_NO_EVENTS: tuple[Any, ...] = ()
_span_logger = logging.getLogger("instrumentation.fast.spans")


def noop() -> None:
    """The end-of-span callback of a tracer without self-metrics (``NoOpTracerMetrics``)."""


class ServerSpan(Span):
    """An SDK span that can take attributes its caller already knows to be valid.

    When it ends, processors get a :class:`ReadableSpan` with plain containers (a dict of
    attributes, tuples of events and links) instead of views of the live span's lock-guarded
    ones. A ``BatchSpanProcessor`` keeps that copy for up to a batch or five seconds, and a
    plain copy is one small object for the garbage collector to walk, not five.
    """

    def _readable_span(self) -> ReadableSpan:
        return plain_readable_span(self)

    def add_trusted_attributes(self, attributes: Mapping[str, str | int]) -> None:
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


def server_span(tracer: Any, internals: TracerInternals, name: str, context: SpanContext,
                parent: SpanContext | None, record_end_metrics: Any) -> ServerSpan:
    """A ``SERVER`` :class:`ServerSpan` with ``tracer``'s fields, not started yet."""
    return ServerSpan(
        name=name, context=context, parent=parent, sampler=tracer.sampler, resource=tracer.resource,
        span_processor=tracer.span_processor, kind=SpanKind.SERVER,
        instrumentation_info=tracer.instrumentation_info, limits=internals.limits,
        instrumentation_scope=internals.scope, record_end_metrics=record_end_metrics,
    )


class RequestSpan(Span):
    """The lean recording ``SERVER`` span of one request.

    An SDK ``Span`` builds, per request, a lock-guarded attribute map, two bounded lists, a
    dozen fields and, when it ends, a ``ReadableSpan`` copy for the processors. This one is an
    SDK ``Span`` (same methods for user code: ``set_attribute``, ``add_event``,
    ``record_exception``, ``set_status``, ``update_name``...) that keeps the middleware's
    attributes in a plain dict, creates the SDK's bounded containers only when user code adds
    attributes, events or links, and at ``end()`` hands itself to the compact batch processors,
    which pack it into a tuple. The tracer-wide fields are class attributes of a subclass made
    once per tracer and processor set (:func:`request_span_type`).

    Thread safety is the SDK span's: every mutation takes the span's own lock (one per span: a
    warning logged under it may reach a handler that touches another span).
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
    #: The tracer's span limits (set per tracer by request_span_type()).
    limits: Any = None
    #: ``(sink, its queue's emit or None, the origin number of this type's spans)`` per sink.
    _emitters: tuple[tuple[Any, Any, Any], ...] = ()

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
                _span_logger.warning("Setting attribute on ended span.")
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
        _span_logger.warning("Tried calling %s on an ended span.", caller)

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
                _span_logger.warning("Calling end() on an ended span.")
                return
            self._end_time = end_time if end_time is not None else time_ns()
            if type(self._attributes) is not dict:
                self._attributes._immutable = True  # noqa: SLF001 - as Span.end does
        self._ended()

    def _ended(self) -> None:
        """Hand the just-ended span to the self-metrics and the processors."""
        if self._record_end_metrics is not noop:
            self._record_end_metrics()
        if not self._context[3] & _SAMPLED:  # trace flags (layout checked by the probe); unsampled: not exported
            return
        for sink, emit, origin in self._emitters:
            packed = pack_request(self, origin) if emit is not None else None
            if packed is None:
                sink.on_end(self)
            else:
                emit(packed)

    def _readable_span(self) -> ReadableSpan:
        return plain_readable_span(self)


def readable(item: Any) -> Any:
    """What an exporter gets for a span that waited unpacked: a request span's ``ReadableSpan``."""
    return item._readable_span() if isinstance(item, RequestSpan) else item  # noqa: SLF001


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


def request_span_type(tracer: Tracer, internals: TracerInternals, sinks: Sequence[Any]) -> type[RequestSpan]:
    """A :class:`RequestSpan` subclass carrying ``tracer``'s fields, ending into ``sinks``.

    ``sinks`` are processors whose ``on_end`` accepts the span itself and that have
    ``origins`` and ``emit`` (:class:`~instrumentation.fast.export.CompactBatchSpanProcessor`);
    none means the spans go nowhere, as with an SDK tracer that has no processor.
    """
    info = tracer.instrumentation_info
    scope = internals.scope
    emitters = []
    for sink in sinks:
        emit = sink.emit
        origin = sink.origins.number_of(tracer.resource, scope, info) if emit is not None else None
        emitters.append((sink, emit if origin is not None else None, origin))
    fields = {
        "_resource": tracer.resource,
        "_instrumentation_info": info,
        "_instrumentation_scope": scope,
        "_limits": internals.limits,
        "limits": internals.limits,
        "_span_processor": tracer.span_processor,
        "_emitters": tuple(emitters),
    }
    return type("RequestSpan", (RequestSpan,), fields)


# --- packing spans for the batch queue -------------------------------------------------------

# Enum members are packed as their position here (tuple.index is identity-fast in C).
_KINDS = tuple(SpanKind)
_CODES = tuple(StatusCode)
_SERVER = _KINDS.index(SpanKind.SERVER)
#: Fields before the attributes (all keys, then all values) in a packed span.
_HEADER = 14


def origin_key(span: Any) -> tuple[int, int]:
    """The identity of a span's (resource, instrumentation scope) pair."""
    return (id(span._resource), id(span._instrumentation_scope))  # noqa: SLF001


def instrumentation_info(span: Any) -> Any:
    """A span's instrumentation info, read as the SDK hands it on (the property warns)."""
    return getattr(span, "_instrumentation_info", None)


def packable(span: Any) -> bool:
    """Whether :func:`pack` reads ``span`` directly: a ``ReadableSpan`` (exact type) or a request span."""
    return type(span) is ReadableSpan or isinstance(span, RequestSpan)


def pack(span: Any, origin: int) -> tuple[Any, ...] | None:
    """``span`` (see :func:`packable`) from ``origin`` as one flat tuple, or ``None``."""
    return pack_request(span, origin, _KINDS.index(span._kind))  # noqa: SLF001


def pack_request(span: Any, origin: int, kind: int = _SERVER) -> tuple[Any, ...] | None:
    """The packed tuple of a finished span (by default a ``SERVER`` span, as a
    :class:`RequestSpan` is) whose origin number is known.

    Flat, because the collector never untracks a tuple holding a dict and untracks nested
    tuples only one level per collection. ``None`` when the tuple would lose something: a
    bounded attribute map or event/link list (they may carry a dropped count, even empty),
    events or links (rare: such spans are kept as they are), or a trace state on the span or
    its parent.
    """
    attributes = span._attributes  # noqa: SLF001
    if type(attributes) is not dict or span._events is not _NO_EVENTS or span._links is not _NO_EVENTS:  # noqa: SLF001
        return None
    context = span._context  # noqa: SLF001
    parent = span._parent  # noqa: SLF001
    # SpanContext is a tuple: (trace_id, span_id, is_remote, trace_flags, trace_state, is_valid),
    # its layout checked by the probe.
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


def unpack(packed: tuple[Any, ...], origins: Sequence[tuple[Any, Any, Any]]) -> ReadableSpan:
    """The ``ReadableSpan`` :func:`pack` was given (equal in every field an exporter reads);
    ``origins`` holds the ``(resource, instrumentation scope, instrumentation info)`` of each
    origin number."""
    (name, trace_id, span_id, flags, parent_trace_id, parent_span_id, parent_flags, parent_remote,
     kind, code, description, start, end, origin) = packed[:_HEADER]
    resource, scope, info = origins[origin]
    middle = _HEADER + (len(packed) - _HEADER) // 2
    # The fields SpanContext.__new__ would store (as new_span_context, inline: once per exported span).
    return ReadableSpan(
        name,
        _new_tuple(SpanContext, (trace_id, span_id, False, TRACE_FLAGS[flags], DEFAULT_TRACE_STATE,
                                 bool(trace_id and span_id))),
        None if parent_trace_id is None else _new_tuple(
            SpanContext, (parent_trace_id, parent_span_id, parent_remote, TRACE_FLAGS[parent_flags],
                          DEFAULT_TRACE_STATE, bool(parent_trace_id and parent_span_id)),
        ),
        resource,
        dict(zip(packed[_HEADER:middle], packed[middle:])),
        (),
        (),
        _KINDS[kind],
        info,
        _UNSET if code == 0 else Status(_CODES[code], description),
        start,
        end,
        scope,
    )


# --- the batch processor's queue -------------------------------------------------------------

_BATCH_FIELDS = ("_queue", "_shutdown", "_max_queue_size", "_max_export_batch_size", "_worker_awaken", "emit")
#: The SDK's default queue size (``OTEL_BSP_MAX_QUEUE_SIZE`` unset), for the public path.
_PUBLIC_MAX_QUEUE_SIZE = 2048


def default_max_queue_size() -> int:
    """``BatchSpanProcessor``'s queue size from ``OTEL_BSP_MAX_QUEUE_SIZE`` or its default."""
    if FAST:
        try:
            return int(BatchSpanProcessor._default_max_queue_size())  # noqa: SLF001
        except Exception:  # noqa: BLE001
            pass
    raw = os.environ.get("OTEL_BSP_MAX_QUEUE_SIZE", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else _PUBLIC_MAX_QUEUE_SIZE


def batch_emit(processor: BatchSpanProcessor) -> Callable[[Any], None] | None:
    """A function that queues one packed span on ``processor``'s own queue, or ``None``
    (the public path: spans go through the processor's ``on_end``).

    Skips the SDK's per-item fork check (``os.getpid()``, a system call): the SDK resets its
    queue and worker thread in the child through ``os.register_at_fork`` already. Anything
    else (shut down, queue full: dropped, counted and logged) goes to the SDK's ``emit``.
    """
    if not FAST or not hasattr(os, "register_at_fork"):
        return None
    batch: Any = getattr(processor, "_batch_processor", None)
    if batch is None:
        _warn_once(f"{_SDK_TRACE}.export:BatchSpanProcessor._batch_processor")
        return None
    missing = [name for name in _BATCH_FIELDS if not hasattr(batch, name)]
    if missing:
        owner = f"{type(batch).__module__}:{type(batch).__qualname__}"
        _warn_once(", ".join(f"{owner}.{name}" for name in missing))
        return None
    sdk_emit = batch.emit

    def emit(item: Any) -> None:
        queue = batch._queue  # noqa: SLF001
        if batch._shutdown or len(queue) >= batch._max_queue_size:  # noqa: SLF001
            sdk_emit(item)
            return
        queue.appendleft(item)
        if len(queue) >= batch._max_export_batch_size:  # noqa: SLF001
            awaken = batch._worker_awaken  # noqa: SLF001 - replaced after a fork, so read each time
            if not awaken.is_set():
                awaken.set()

    return emit


def _warn_once(missing: str) -> None:
    global _warned
    with _state_lock:
        if _warned:
            return
        _warned = True
    _logger.warning(
        "instrumentation: the installed OpenTelemetry SDK (%s) changed internals the fast path uses "
        "(%s); using the public SDK path for span export instead (correct, slower per request).",
        _sdk_version(), missing,
    )


# --- metrics ---------------------------------------------------------------------------------


def gauge_instrument_type() -> type | None:
    """The SDK's synchronous gauge class (private name), for per-kind cardinality limits."""
    if not FAST:
        return None
    from opentelemetry.sdk import metrics  # noqa: PLC0415

    return getattr(metrics, "_Gauge", None)


FAST: bool = False
RESULT: ProbeResult = ProbeResult(fast=False, forced_public=False, missing=())
probe()
