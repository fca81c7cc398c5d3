"""The pure-ASGI middleware that traces, measures and access-logs every HTTP request.

It wraps the whole Starlette stack (outside ``ServerErrorMiddleware``), so the request's
span is current in route handlers and in every exception handler, and a 500 produced
by an unhandled exception is still measured. Everything it does after the app returns
is guarded: a failure there is counted in ``obscode_instrumentation_errors_total`` and
the response is unaffected.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
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
from instrumentation.metrics import MetricsPipeline
from instrumentation.routes import RouteTemplates
from instrumentation.spans import ServerSpans, add_attributes

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
_PROPAGATION_HEADERS = ("traceparent", "tracestate", "baggage")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_STATUS_TEXT = {code: str(code) for code in range(100, 600)}


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
        # Counters and the histogram are aggregated here and read at scrape: a few dict
        # operations per request instead of the SDK's measurement path
        # (see docs/benchmarks/http.md).
        self.requests = metrics.observed(HTTP_REQUESTS)
        self.in_progress = metrics.observed(HTTP_REQUESTS_IN_PROGRESS)
        self.duration = metrics.histogram(HTTP_REQUEST_DURATION)
        # Method and status are closed sets; only ``path`` can grow, so only it collapses.
        self.requests_series = metrics.limiter(HTTP_REQUESTS, collapse=("path",))
        self.duration_series = metrics.limiter(HTTP_REQUEST_DURATION, collapse=("path",))
        self.method_attrs = {m: {"method": m} for m in (*_KNOWN_METHODS, OTHER_METHOD)}
        self.access_logger = AccessLog()
        self.propagator = get_global_textmap()

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
        wanted: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name in _WANTED_HEADERS:
                wanted[name.decode("latin-1")] = value.decode("latin-1")

        parent = None
        if "traceparent" in wanted or "baggage" in wanted:
            parent = self.propagator.extract(
                {k: wanted[k] for k in _PROPAGATION_HEADERS if k in wanted}
            )
        span = self.spans.start(method, parent, _request_attributes(scope, method, raw_method, wanted))
        outer = otel_context.get_current()
        token = otel_context.attach(trace.set_span_in_context(span, parent if parent is not None else outer))
        scope[SCOPE_KEY] = span
        method_attrs = self.method_attrs[method]
        self.in_progress.add(1, method_attrs)
        if self.request_hook is not None:
            try:
                self.request_hook(span, scope)
            except Exception as error:  # noqa: BLE001 - a user hook must not fail the request
                errors.report("hook", error)

        status = 500
        responded = False
        ctx = span.get_span_context()
        ids = (format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")) if ctx.is_valid else (None, None)
        trace_header = self.trace_header
        trace_value = ids[0].encode("ascii") if trace_header and ids[0] else b""

        async def send_with_status(message: Message) -> None:
            nonlocal status, responded
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                responded = True
                if trace_value:
                    message["headers"] = [*message.get("headers", ()), (trace_header, trace_value)]
            elif kind == "http.response.body" and not message.get("more_body", False):
                await _send_outside(outer, send, message)
                return
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_status)
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                self._finish(scope, span, method, method_attrs, status, responded, start, error, wanted, ids)
            except Exception as failure:  # noqa: BLE001 - instrumentation must not fail the request
                errors.report("middleware", failure)
                try:
                    span.end()
                except Exception:  # noqa: BLE001
                    pass
            finally:
                otel_context.detach(token)

    def _finish(
        self,
        scope: Scope,
        span: Any,
        method: str,
        method_attrs: dict[str, str],
        status: int,
        responded: bool,
        start: float,
        error: BaseException | None,
        wanted: dict[str, str],
        ids: tuple[str | None, str | None],
    ) -> None:
        seconds = time.perf_counter() - start
        self.in_progress.add(-1, method_attrs)
        route = self.routes.template(scope)
        matched = scope.get("route") is not None
        status_text = _STATUS_TEXT.get(status) or str(status)
        self.requests.add(1, self.requests_series.attributes((method, route, status_text)))
        self.duration.record(seconds, self.duration_series.attributes((method, route)))

        if span.is_recording():
            end_attributes: dict[str, Any] = {"http.response.status_code": status}
            if matched:
                span.update_name(f"{method} {route}")
                end_attributes["http.route"] = route
            if isinstance(error, Exception):  # not cancellation or exit
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
                # Semantic conventions: the status code once one was sent, else the exception type.
                end_attributes["error.type"] = status_text if responded else type(error).__qualname__
            elif status >= 500:
                span.set_status(Status(StatusCode.ERROR))
                end_attributes["error.type"] = status_text
            add_attributes(span, end_attributes)

        if self.access_log:
            self.access_logger.write(
                scope, method, route, status, seconds, error, wanted.get("user-agent"), *ids
            )
        span.end()

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


async def _send_outside(outer: otel_context.Context, send: Send, message: Message) -> None:
    """Send the last body with the request's span no longer current.

    Servers schedule work while sending it (uvicorn: the connection's keep-alive timer),
    and asyncio copies the current context into every scheduled callback, where it stays
    even after the timer is cancelled. With the span current, each request's span and
    everything it holds would live on for seconds, long enough for the garbage collector
    to promote it and run full collections (tens of milliseconds each) under load.
    """
    token = otel_context.attach(outer)
    try:
        await send(message)
    finally:
        otel_context.detach(token)


def _request_attributes(
    scope: Scope, method: str, raw_method: str, headers: dict[str, str]
) -> dict[str, Any]:
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
    host = headers.get("host")
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
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
        if client[1] is not None:
            attributes["client.port"] = client[1]
    agent = headers.get("user-agent")
    if agent:
        attributes["user_agent.original"] = agent
    return attributes
