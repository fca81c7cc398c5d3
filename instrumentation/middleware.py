"""The pure-ASGI middleware that traces, measures and access-logs every HTTP request.

It wraps the whole Starlette stack (outside ``ServerErrorMiddleware``), so the request's
span is current in route handlers and in every exception handler, and a 500 produced
by an unhandled exception is still measured. Everything it does after the app returns
is guarded: a failure there is counted in ``obscode_instrumentation_errors_total`` and
the response is unaffected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import get_global_textmap
from opentelemetry.trace import SpanKind, Status, StatusCode

from instrumentation import errors
from instrumentation.catalog import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_PROGRESS,
    OTHER_METHOD,
)
from instrumentation.logs import ACCESS_LOGGER, AccessInfo
from instrumentation.metrics import MetricsPipeline
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
        self.access_logger = logging.getLogger(ACCESS_LOGGER)
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
        span = self.tracer.start_span(
            method, context=parent, kind=SpanKind.SERVER,
            attributes=_request_attributes(scope, method, raw_method, wanted),
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
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
        trace_header = self.trace_header
        trace_value = b""
        if trace_header:
            ctx = span.get_span_context()
            if ctx.is_valid:
                trace_value = format(ctx.trace_id, "032x").encode("ascii")

        async def send_with_status(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                if trace_value:
                    message["headers"] = [*message.get("headers", ()), (trace_header, trace_value)]
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_status)
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                self._finish(scope, span, method, method_attrs, status, responded, start, error, wanted)
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
            span.set_attributes(end_attributes)

        if self.access_log:
            self._log_access(scope, method, route, status, seconds, error, wanted)
        span.end()

    def _log_access(
        self,
        scope: Scope,
        method: str,
        route: str,
        status: int,
        seconds: float,
        error: BaseException | None,
        wanted: dict[str, str],
    ) -> None:
        level = logging.ERROR if status >= 500 or error is not None else logging.INFO
        logger = self.access_logger
        if not logger.isEnabledFor(level):
            return
        client = scope.get("client")
        exc_info = (type(error), error, error.__traceback__) if isinstance(error, Exception) else None
        record = logging.LogRecord(
            logger.name, level, "", 0, "%s %s %s", (method, route, status), exc_info,
        )
        record.http_access = AccessInfo(
            method=method,
            route=route,
            path=scope["path"],
            status=status,
            duration_ms=round(seconds * 1000.0, 3),
            client=client[0] if client else None,
            user_agent=wanted.get("user-agent"),
            headers=scope["headers"],
        )
        logger.handle(record)

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
