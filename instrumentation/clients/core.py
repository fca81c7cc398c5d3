"""Client spans for outgoing HTTP requests, whichever library sends them.

:func:`instrument_http_clients` patches the transports of httpx and requests once per
process (at class level, so every client and session is covered, existing ones too), each
when the service imports it (at once if it has: see :mod:`instrumentation.clients.on_import`),
and returns a handle. The wrappers ask :func:`current` for the newest active handle: its tracer
opens the span, its pipeline records the duration. With no active handle, or inside
:func:`suppressed` or the SDK's export (which marks its context so exporters' own requests
are never traced), they only call through.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE
from opentelemetry.semconv.attributes.network_attributes import NETWORK_PROTOCOL_VERSION
from opentelemetry.trace import SpanKind, Status, StatusCode

from instrumentation import errors
from instrumentation.clients import on_import
from instrumentation.clients.catalog import HTTP_CLIENT_REQUEST_DURATION
from instrumentation.clients.semconv import RequestFacts, UrlRedactor, error_type, protocol_version
from instrumentation.config import DEFAULT_REDACT

SCOPE = "obscode.instrumentation.http_client"
#: The libraries patched, as ``name: module with patch()``; each when it is imported (at once if it is).
LIBRARIES = {"httpx": "instrumentation.clients.httpx", "requests": "instrumentation.clients.requests"}

_OWN_SUPPRESS_KEY = otel_context.create_key("obscode-suppress-http-clients")
#: User-Agent prefix of OpenTelemetry's OTLP exporters: their requests are never traced, even
#: outside an export the SDK marked (a second guard against a span per export, forever).
EXPORTER_USER_AGENT = "OTel-OTLP-Exporter-"


def _suppression_keys() -> tuple[str, ...]:
    """Context keys that mean "do not trace": ours, and the ones OpenTelemetry's span processors
    set around an export (every OpenTelemetry HTTP instrumentation honours them). The SDK
    keeps those under private names in ``opentelemetry.context``; read here, with a warning
    when they are gone, so a rename upstream cannot break an import."""
    keys = [_OWN_SUPPRESS_KEY, "suppress_instrumentation"]  # the plain key: opentelemetry-instrumentation's
    for name in ("_SUPPRESS_INSTRUMENTATION_KEY", "_SUPPRESS_HTTP_INSTRUMENTATION_KEY"):
        key = getattr(otel_context, name, None)
        if isinstance(key, str):
            keys.append(key)
        elif name == "_SUPPRESS_INSTRUMENTATION_KEY":
            warnings.warn(
                "opentelemetry.context has no _SUPPRESS_INSTRUMENTATION_KEY: requests sent during a span "
                "export are traced unless they come from an OTLP exporter; wrap other exporters' "
                "requests in instrumentation.clients.suppressed()",
                RuntimeWarning, stacklevel=2,
            )
    return tuple(keys)


_SUPPRESSION_KEYS = _suppression_keys()


def is_suppressed() -> bool:
    """Whether outgoing requests in the current context must not be traced."""
    current = otel_context.get_current()
    return any(current.get(key) for key in _SUPPRESSION_KEYS)


@contextmanager
def suppressed() -> Iterator[None]:
    """Outgoing requests sent inside this block get no span and no propagation headers."""
    token = otel_context.attach(otel_context.set_value(_OWN_SUPPRESS_KEY, True))
    try:
        yield
    finally:
        otel_context.detach(token)


class DurationRecorder:
    """Records ``http_client_request_duration`` in a metrics pipeline, within its series limit
    (past it, new servers share one ``server_address="<overflow>"`` series)."""

    def __init__(self, pipeline: Any) -> None:
        # The pipeline's pre-aggregated histogram, as for the server's duration: no SDK work per request.
        self.histogram = pipeline.histogram(HTTP_CLIENT_REQUEST_DURATION)
        self.limiter = pipeline.limiter(HTTP_CLIENT_REQUEST_DURATION, collapse=("server_address", "server_port"))

    def record(self, seconds: float, facts: RequestFacts, status: int | None, error: str | None) -> None:
        values = (facts.method, facts.address, str(facts.port), "" if status is None else str(status), error or "")
        # No error (or no status) is an empty label, as Prometheus reads an absent one.
        self.histogram.record(seconds, self.limiter.attributes(values))


@dataclass(eq=False)
class HttpClientInstrumentation:
    """One :func:`instrument_http_clients` call; :meth:`uninstrument` ends it."""

    tracer: trace.Tracer
    redactor: UrlRedactor
    durations: DurationRecorder | None = None
    #: Libraries installed, patched now or when first imported (one that is not installed is skipped).
    libraries: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return self in _state.active

    def uninstrument(self) -> None:
        """Stop using this handle; the last one to go removes the patches. Idempotent."""
        with _state.lock:
            if self not in _state.active:
                return
            _state.active = tuple(handle for handle in _state.active if handle is not self)
            if not _state.active:
                for undo in reversed(_state.undo):
                    undo()
                _state.undo = []

    def start(self, facts: RequestFacts, headers: MutableMapping[str, str]) -> ClientCall:
        """Open the client span of ``facts``, make it current and inject its context into ``headers``."""
        span = self.tracer.start_span(facts.span_name, kind=SpanKind.CLIENT, attributes=facts.attributes())
        span_context = trace.set_span_in_context(span)
        try:
            propagate.inject(headers, context=span_context)
        except BaseException:
            span.end()
            raise
        token = otel_context.attach(span_context)
        return ClientCall(self, facts, span, token, time.perf_counter())

    def start_or_none(self, method: str, url: str, headers: MutableMapping[str, str],
                      host: str | None = None, port: int | None = None) -> ClientCall | None:
        """:meth:`start` for a library wrapper: a failure here is counted, and the request is
        then sent untraced instead of failing."""
        try:
            if headers.get("user-agent", "").startswith(EXPORTER_USER_AGENT):
                return None
            return self.start(self.redactor.facts(method, url, host, port), headers)
        except Exception as error:  # noqa: BLE001 - tracing must never fail a request
            errors.report("http_client", error)
            return None


@dataclass
class ClientCall:
    """A request in flight: end it with :meth:`respond` or :meth:`fail`, exactly once."""

    owner: HttpClientInstrumentation
    facts: RequestFacts
    span: trace.Span
    token: object
    started: float

    def respond(self, status: int, http_version: str | int | None) -> None:
        self._detach()
        try:
            self._respond(status, http_version)
        except Exception as error:  # noqa: BLE001 - tracing must never fail a request
            errors.report("http_client", error)

    def fail(self, error: BaseException) -> None:
        self._detach()
        try:
            self._fail(error)
        except Exception as failure:  # noqa: BLE001
            errors.report("http_client", failure)

    def _respond(self, status: int, http_version: str | int | None) -> None:
        span = self.span
        error = str(status) if status >= 400 or status < 100 else None
        if span.is_recording():
            attributes: dict[str, str | int] = {HTTP_RESPONSE_STATUS_CODE: status}
            version = protocol_version(http_version)
            if version is not None:
                attributes[NETWORK_PROTOCOL_VERSION] = version
            if error is not None:
                attributes[ERROR_TYPE] = error
                span.set_status(Status(StatusCode.ERROR))
            span.set_attributes(attributes)
        self._end(status, error)

    def _fail(self, error: BaseException) -> None:
        kind = error_type(error)
        span = self.span
        if span.is_recording():
            message = self.facts.scrub(str(error))
            span.set_attribute(ERROR_TYPE, kind)
            span.add_event("exception", {"exception.type": kind, "exception.message": message})
            span.set_status(Status(StatusCode.ERROR, f"{kind}: {message}" if message else kind))
        self._end(None, kind)

    def _detach(self) -> None:
        try:
            otel_context.detach(self.token)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a context reset across threads must not fail the request
            pass

    def _end(self, status: int | None, error: str | None) -> None:
        seconds = time.perf_counter() - self.started
        self.span.end()
        durations = self.owner.durations
        if durations is not None:
            try:
                durations.record(seconds, self.facts, status, error)
            except Exception as failure:  # noqa: BLE001 - a metric must never fail a request
                errors.report("http_client", failure)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: tuple[HttpClientInstrumentation, ...] = ()
        self.undo: list[Callable[[], None]] = []
        self.libraries: tuple[str, ...] = ()


_state = _State()


def current() -> HttpClientInstrumentation | None:
    """The handle whose tracer traces the next request, or ``None`` when nothing must be traced."""
    active = _state.active
    if not active or is_suppressed():
        return None
    return active[-1]


def instrument_http_clients(
    tracer_provider: trace.TracerProvider | None = None,
    *,
    metrics: Any = None,
    redact: tuple[str, ...] = DEFAULT_REDACT,
) -> HttpClientInstrumentation:
    """Trace every request httpx (``Client``, ``AsyncClient``) and requests send from now on.

    Spans come from ``tracer_provider`` (default: the global one, as it is when each request
    starts); ``metrics`` (a :class:`~instrumentation.metrics.MetricsPipeline`) also gets
    ``http_client_request_duration``; query parameters matching ``redact`` are masked in
    ``url.full``. Calling it again patches nothing twice: the newest handle is used until it
    is uninstrumented, and the patches stay until every handle is.
    """
    tracer = (
        tracer_provider.get_tracer(SCOPE) if tracer_provider is not None else trace.get_tracer(SCOPE)
    )
    durations = DurationRecorder(metrics) if metrics is not None else None
    handle = HttpClientInstrumentation(tracer, UrlRedactor(redact), durations)
    with _state.lock:
        if not _state.active:
            _state.undo, _state.libraries = _patch_all()
        handle.libraries = _state.libraries
        _state.active = (*_state.active, handle)
    return handle


class _LibraryPatch:
    """One library's patch: applied once the library is imported (at once, if it is), removed by
    :meth:`undo`. Applying takes only this object's lock, never ``_state.lock``: it can run in
    a thread importing the library while another holds ``_state.lock`` waiting for that import."""

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self.lock = threading.Lock()
        self.live = True
        self.remove: Callable[[], None] | None = None
        self.cancel: Callable[[], None] = lambda: None

    def apply(self, _library: ModuleType) -> None:
        with self.lock:
            if self.live and self.remove is None:
                self.remove = importlib.import_module(self.module_name).patch(current)

    def undo(self) -> None:
        self.cancel()
        with self.lock:
            self.live = False
            if self.remove is not None:
                self.remove()
                self.remove = None


def _installed(name: str) -> bool:
    """Whether the top-level module ``name`` can be imported, found without importing it."""
    if name in sys.modules:
        return sys.modules[name] is not None  # None: imports of it are blocked
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _patch_all() -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """Patch each installed library now if it is imported, else once it is (on_import): a
    service that never imports requests does not load it because it is instrumented."""
    undo: list[Callable[[], None]] = []
    patched: list[str] = []
    for library, module_name in LIBRARIES.items():
        if not _installed(library):
            continue
        one = _LibraryPatch(module_name)
        one.cancel = on_import.when_imported(library, one.apply)
        undo.append(one.undo)
        patched.append(library)
    return undo, tuple(patched)
