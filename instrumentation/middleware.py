"""The pure-ASGI middleware that traces, measures and access-logs every HTTP request.

It wraps the whole Starlette stack (outside ``ServerErrorMiddleware``), so the request's
span is current in route handlers and in every exception handler, and a 500 produced
by an unhandled exception is still measured. Everything it does after the app returns
is guarded: a failure there is counted in ``obscode_instrumentation_errors_total`` and
the response is unaffected.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import get_global_textmap
from opentelemetry.trace import Status, StatusCode

from instrumentation import errors
from instrumentation.catalog import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_PROGRESS,
    OTHER_METHOD,
)
from instrumentation.access_log import AccessLog
from instrumentation.fast import ServerSpans, add_attributes, compat
from instrumentation.metrics import CounterCell, HistogramCell, MetricsPipeline
from instrumentation.request_metrics import RequestMetric
from instrumentation.routes import RouteTemplates

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
#: ``hook(span, scope)``, called when the span starts; exceptions are counted and ignored.
RequestHook = Callable[[trace.Span, Scope], None]

SCOPE_KEY = "obscode.span"
_KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)
_WANTED_HEADERS = frozenset((b"traceparent", b"tracestate", b"baggage", b"host", b"user-agent"))
_PROPAGATION_HEADERS = (b"traceparent", b"tracestate", b"baggage")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_STATUS_TEXT = {code: str(code) for code in range(100, 600)}
#: Request endings a middleware keeps at hand (method x route x status: bounded by the app).
_CACHE_LIMIT = 4096
#: Request kinds (method, URL path, host...) whose attributes a middleware keeps; cleared when full.
_ATTRIBUTE_CACHE_LIMIT = 1024
#: Longer URL paths (and any with a query string) are not cached.
_CACHED_PATH_LENGTH = 256


class Ending:
    """What ends a request of one method, served by one route, with one status; kept per
    (method, route, status), since the app bounds them (see ``ObscodeMiddleware._ending``)."""

    __slots__ = ("route_object", "route", "status_text", "requests", "duration", "span_name", "end_attributes")

    def __init__(
        self,
        route_object: Any,
        route: str,
        status_text: str,
        requests: CounterCell,
        duration: HistogramCell,
        span_name: str | None,
        end_attributes: dict[str, str | int],
    ) -> None:
        #: Kept, so its id (part of the cache key) is not reused while the entry lives.
        self.route_object = route_object
        self.route = route
        self.status_text = status_text
        #: The request-count and duration series, through the series limiters.
        self.requests = requests
        self.duration = duration
        #: ``METHOD /route/template``, or ``None`` when no route matched (the name stays ``METHOD``).
        self.span_name = span_name
        #: Attributes the span gets when it ends; shared by every such request, never mutated.
        self.end_attributes = end_attributes


class Exchange:
    """One request in flight: what the middleware learned when it started, then its response.

    Built by ``ObscodeMiddleware.__call__``, which sets every field itself: an ``__init__``
    would be a second interpreter frame per request (CPython 3.11 does not inline a class
    call), about 700 CPU instructions more.
    """

    __slots__ = (
        "scope", "span", "method", "start", "headers", "trace_id", "span_id", "in_progress",
        "outer", "downstream", "trace_value", "middleware", "status", "responded", "error",
        "route", "seconds",
    )

    middleware: ObscodeMiddleware
    scope: Scope
    span: Any
    #: The method as counted (``_OTHER`` for non-standard ones).
    method: str
    #: ``time.perf_counter()`` when the request arrived.
    start: float
    #: The request headers the middleware reads (lower-case names), raw.
    headers: dict[bytes, bytes]
    in_progress: CounterCell
    #: The context current before the request's, restored for the last body.
    outer: Context
    #: The server's ``send``.
    downstream: Send
    #: The span's ids: the trace id in hex (``None`` for an invalid span context), the span id.
    trace_id: str | None
    span_id: int
    #: The ``x-trace-id`` response header's value (``b""``: none is added).
    trace_value: bytes
    #: 500 until the app starts a response (an exception before it is a 500).
    status: int
    responded: bool
    error: BaseException | None
    #: Set when the request ends, by ObscodeMiddleware._finish, before anything reads them:
    #: the route template and the duration in seconds.
    route: str
    seconds: float

    def send(self, message: Message) -> Awaitable[None]:
        """The app's ``send``: notes the status, adds the trace-id header, and sends the last body
        outside the request's context. A plain function returning the server's awaitable: one
        coroutine fewer per message than an ``async def`` wrapper."""
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.responded = True
            if self.trace_value:
                message["headers"] = [*message.get("headers", ()), (self.middleware.trace_header, self.trace_value)]
        elif kind == "http.response.body" and not message.get("more_body", False):
            return self.middleware._send_in(self.outer, self.downstream, message)  # noqa: SLF001
        downstream = self.downstream
        return downstream(message)


class ObscodeMiddleware:
    """Server span + ``http_*`` metrics + one access-log line per HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracer: trace.Tracer,
        metrics: MetricsPipeline,
        routes: RouteTemplates,
        exposition: Callable[[], bytes] | None = None,
        metrics_path: str | None = "/metrics",
        excluded_paths: tuple[str, ...] = (),
        trace_id_header: str = "x-trace-id",
        access_log: bool = True,
        request_hook: RequestHook | None = None,
        request_metrics: Sequence[RequestMetric] = (),
    ) -> None:
        self.app = app
        self.tracer = tracer
        self.spans = ServerSpans(tracer)
        self.routes = routes
        self.exposition = exposition or metrics.exposition
        self.metrics_path = metrics_path
        self.excluded = frozenset(excluded_paths)
        self.trace_header = trace_id_header.lower().encode("latin-1") if trace_id_header else b""
        self.access_log = access_log
        self.request_hook = request_hook
        #: Metrics of the user's own, recorded once per request (instrumentation.request_metrics).
        self.request_metrics = tuple(metric.bind(metrics) for metric in request_metrics)
        #: Request headers read per request: ours and those the request metrics name.
        self.wanted_headers = _WANTED_HEADERS.union(*(metric.headers for metric in request_metrics))
        # Counters and the histogram are aggregated here and read at scrape: a few list
        # operations per request instead of the SDK's measurement path
        # (see docs/instrumentation.md, Performance).
        self.requests = metrics.observed(HTTP_REQUESTS)
        self.in_progress = metrics.observed(HTTP_REQUESTS_IN_PROGRESS)
        self.duration = metrics.histogram(HTTP_REQUEST_DURATION)
        # Method and status are closed sets; only ``path`` can grow, so only it collapses.
        self.requests_series = metrics.limiter(HTTP_REQUESTS, collapse=("path",))
        self.duration_series = metrics.limiter(HTTP_REQUEST_DURATION, collapse=("path",))
        self.method_attrs = {m: {"method": m} for m in (*_KNOWN_METHODS, OTHER_METHOD)}
        #: method -> its in-progress cell; (method, id(route), status) -> see _ending.
        self._in_progress_cells: dict[str, CounterCell] = {}
        self._endings: dict[tuple[str, int, int], Ending] = {}
        #: Request attributes that do not change between requests of one kind (all but the client).
        self._attribute_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.access_logger = AccessLog()
        # Per request, the cells below are updated inline under the lock the pipeline's
        # values share (MetricsPipeline.values_lock), as ObservedValues.add_to and
        # HistogramValues.record_in do: a request's count and duration in one acquisition.
        self._lock = metrics.values_lock
        self._bounds = self.duration.bounds
        self.propagator = get_global_textmap()
        # The current context, as the compat probe chose (the API's ContextVar or the API).
        self._current_context = compat.current_context
        self._attach = compat.attach_context
        self._detach = compat.detach_context
        self._span_key = compat.SPAN_KEY
        self.span_context_ids = compat.span_context_ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or SCOPE_KEY in scope:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == self.metrics_path:
            await self._serve_metrics(send)
            return
        if path in self.excluded:
            await self.app(scope, receive, send)
            return

        start = time.perf_counter()
        raw_method = scope["method"]
        method = raw_method if raw_method in _KNOWN_METHODS else OTHER_METHOD
        wanted: dict[bytes, bytes] = {}
        wanted_headers = self.wanted_headers
        for name, value in scope["headers"]:
            if name in wanted_headers:
                wanted[name] = value

        current_context = self._current_context
        outer = current_context()
        parent: Context | None = None
        if b"traceparent" in wanted or b"baggage" in wanted:
            parent = self.propagator.extract(
                {k.decode("latin-1"): wanted[k].decode("latin-1") for k in _PROPAGATION_HEADERS if k in wanted}
            )
        span = self.spans.start(method, parent, self._attributes(scope, method, raw_method, wanted), owned=True)
        base = parent if parent is not None else outer
        span_key = self._span_key
        attach = self._attach
        token = attach(
            Context({**base, span_key: span}) if span_key is not None else trace.set_span_in_context(span, base)
        )
        scope[SCOPE_KEY] = span
        in_progress = self._in_progress_cells.get(method) or self._in_progress_cell(method)
        with self._lock:
            in_progress.value += 1
        if self.request_hook is not None:
            try:
                self.request_hook(span, scope)
            except Exception as error:  # noqa: BLE001 - a user hook must not fail the request
                errors.report("hook", error)

        exchange = Exchange()  # every field set here (see Exchange)
        exchange.middleware = self
        exchange.scope = scope
        exchange.span = span
        exchange.method = method
        exchange.start = start
        exchange.headers = wanted
        exchange.in_progress = in_progress
        exchange.outer = outer
        exchange.downstream = send
        # Callables kept as attributes are read into a local first, here and below: calling
        # ``obj.attribute(...)`` directly takes CPython's generic method lookup every time.
        span_context_ids = self.span_context_ids
        trace_id, exchange.span_id, valid = span_context_ids(span.get_span_context())
        trace_text = exchange.trace_id = "%032x" % trace_id if valid else None
        exchange.trace_value = trace_text.encode("ascii") if self.trace_header and trace_text else b""
        exchange.status = 500
        exchange.responded = False
        exchange.error = None
        app = self.app
        try:
            await app(scope, receive, exchange.send)
        except BaseException as exc:
            exchange.error = exc
            raise
        finally:
            try:
                self._finish(exchange)
            except Exception as failure:  # noqa: BLE001 - instrumentation must not fail the request
                errors.report("middleware", failure)
                try:
                    span.end()
                except Exception:  # noqa: BLE001
                    pass
            finally:
                detach = self._detach
                detach(token)

    def _finish(self, exchange: Exchange) -> None:
        """Count and time the request, write its access line and end its span."""
        seconds = exchange.seconds = time.perf_counter() - exchange.start
        scope = exchange.scope
        method = exchange.method
        status = exchange.status
        route_object = scope.get("route")
        try:
            ending = self._endings.get((method, id(route_object), status))
            if ending is None or ending.route_object is not route_object:
                ending = self._ending(scope, method, route_object, status)
        except BaseException:
            with self._lock:  # the request is over whatever failed here
                exchange.in_progress.value -= 1
            raise
        exchange.route = ending.route
        index = bisect_left(self._bounds, seconds)  # le semantics, as HistogramValues.record_in
        duration = ending.duration
        with self._lock:
            exchange.in_progress.value -= 1
            ending.requests.value += 1
            duration.counts[index] += 1
            duration.total += seconds
        for metric in self.request_metrics:
            try:
                metric.record(exchange)
            except Exception as failure:  # noqa: BLE001 - user code must not fail the request
                errors.report("hook", failure)

        span = exchange.span
        error = exchange.error
        # The access line goes out while the request's span is still open (and current).
        if self.access_log:
            trace_id = exchange.trace_id
            self.access_logger.write(
                scope, method, ending.route, status, seconds, error, exchange.headers.get(b"user-agent"),
                trace_id, "%016x" % exchange.span_id if trace_id is not None else None,
            )
        end_request = getattr(span, "end_request", None)
        if end_request is not None and error is None and status < 500:
            # The common case, in one step: a lean request span that needs no error status.
            end_request(ending.span_name, ending.end_attributes)  # copies the attributes
            return

        if span.is_recording():
            end_attributes = dict(ending.end_attributes)  # the cached one is shared
            if ending.span_name is not None:
                span.update_name(ending.span_name)
            if isinstance(error, Exception):  # not cancellation or exit
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
                # Semantic conventions: the status code once one was sent, else the exception type.
                end_attributes["error.type"] = ending.status_text if exchange.responded else type(error).__qualname__
            elif status >= 500:
                span.set_status(Status(StatusCode.ERROR))
                end_attributes["error.type"] = ending.status_text
            add_attributes(span, end_attributes)
        span.end()

    def _in_progress_cell(self, method: str) -> CounterCell:
        cell = self.in_progress.cell(self.method_attrs[method])
        self._in_progress_cells[method] = cell
        return cell

    def _ending(self, scope: Scope, method: str, route_object: Any, status: int) -> Ending:
        """The :class:`Ending` of a request of ``method`` served by ``route_object`` with
        ``status``; cached per (method, route, status)."""
        route = self.routes.template(scope)
        status_text = _STATUS_TEXT.get(status) or str(status)
        end_attributes: dict[str, str | int] = {"http.response.status_code": status}
        if route_object is not None:
            end_attributes["http.route"] = route
        ending = Ending(
            route_object,
            route,
            status_text,
            self.requests.cell(self.requests_series.attributes((method, route, status_text))),
            self.duration.cell(self.duration_series.attributes((method, route))),
            f"{method} {route}" if route_object is not None else None,
            end_attributes,
        )
        if len(self._endings) < _CACHE_LIMIT:
            self._endings[(method, id(route_object), status)] = ending
        return ending

    def _attributes(
        self, scope: Scope, method: str, raw_method: str, headers: dict[bytes, bytes]
    ) -> dict[str, Any]:
        """The span's request attributes: a copy of the cached ones for this kind of request, plus the client."""
        host = headers.get(b"host")
        agent = headers.get(b"user-agent")
        path = scope["path"]
        query = scope.get("query_string")
        if query or len(path) > _CACHED_PATH_LENGTH:
            # Requests with a query string, or a long path, rarely repeat exactly: not cached.
            attributes = _request_attributes(scope, method, raw_method, host, agent)
        else:
            server = None if host else scope.get("server")
            key = (
                raw_method, path, host, agent, scope.get("scheme", "http"), scope.get("http_version", "1.1"),
                tuple(server) if server is not None else None,  # some servers give a list
            )
            cached = self._attribute_cache.get(key)
            if cached is None:
                cached = _request_attributes(scope, method, raw_method, host, agent)
                if len(self._attribute_cache) >= _ATTRIBUTE_CACHE_LIMIT:
                    self._attribute_cache.clear()  # many distinct URLs: keep the recent ones
                self._attribute_cache[key] = cached
            attributes = cached.copy()
        client = scope.get("client")
        if client:
            attributes["client.address"] = client[0]
            if client[1] is not None:
                attributes["client.port"] = client[1]
        return attributes

    async def _serve_metrics(self, send: Send) -> None:
        try:
            body = self.exposition()
            status = 200
        except Exception as error:  # noqa: BLE001 - a scrape failure must not crash the worker
            errors.report("metrics", error)
            body = b"# metrics exposition failed; see obscode_instrumentation_errors_total\n"
            status = 500
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; version=0.0.4; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        })
        await send({"type": "http.response.body", "body": body})

    async def _send_in(self, context: Context, send: Send, message: Message) -> None:
        """``send(message)`` with ``context`` current: the last body of a response goes out with
        the request's span no longer current.

        Servers schedule work while sending it (uvicorn: the connection's keep-alive timer), and
        asyncio copies the current context into every scheduled callback, where it stays even
        after the timer is cancelled: with the span current, each request's span would live on
        for seconds, long enough for the garbage collector to promote it and run full
        collections (tens of ms) under load.
        """
        attach, detach = self._attach, self._detach
        token = attach(context)
        try:
            await send(message)
        finally:
            detach(token)


def _request_attributes(
    scope: Scope, method: str, raw_method: str, host_header: bytes | None, agent_header: bytes | None
) -> dict[str, Any]:
    """The request attributes of the span, except the client's address and port."""
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.scheme": scope.get("scheme", "http"),
        "url.path": scope["path"],
        "network.protocol.version": scope.get("http_version", "1.1"),
    }
    if method != raw_method:
        attributes["http.request.method_original"] = raw_method
    query = scope.get("query_string")
    if query:
        attributes["url.query"] = query.decode("latin-1")
    host = host_header.decode("latin-1") if host_header is not None else None
    if host:
        name, _, port = host.rpartition(":") if host.rfind(":") > host.rfind("]") else (host, "", "")
        attributes["server.address"] = name or host
        if port.isdigit():
            attributes["server.port"] = int(port)
        elif attributes["url.scheme"] in _DEFAULT_PORTS:
            attributes["server.port"] = _DEFAULT_PORTS[attributes["url.scheme"]]
    elif scope.get("server"):
        attributes["server.address"] = scope["server"][0]
        if scope["server"][1] is not None:
            attributes["server.port"] = scope["server"][1]
    if agent_header:
        attributes["user_agent.original"] = agent_header.decode("latin-1")
    return attributes
