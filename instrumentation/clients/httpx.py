"""httpx: a client span around every request an ``HTTPTransport`` or ``AsyncHTTPTransport`` sends.

Patched on the classes, so every ``Client``/``AsyncClient`` using the default transports is
covered, including clients created before. Each physical request (every redirect hop) is
one span, ended when the response headers arrive (the body is read after).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from instrumentation.clients.core import HttpClientInstrumentation

Current = Callable[[], HttpClientInstrumentation | None]


def patch(current: Current) -> Callable[[], None] | None:
    """Wrap the httpx transports; returns the undo, or ``None`` when httpx is not installed."""
    try:
        import httpx
    except ImportError:
        return None
    live = [True]
    sync_original = httpx.HTTPTransport.handle_request
    async_original = httpx.AsyncHTTPTransport.handle_async_request

    @functools.wraps(sync_original)
    def handle_request(self: Any, request: Any) -> Any:
        handle = current() if live[0] else None
        call = handle.start_or_none(request.method, str(request.url), request.headers,
                                    request.url.host, request.url.port) if handle else None
        if call is None:
            return sync_original(self, request)
        try:
            response = sync_original(self, request)
        except BaseException as error:
            call.fail(error)
            raise
        call.respond(response.status_code, response.http_version)
        return response

    @functools.wraps(async_original)
    async def handle_async_request(self: Any, request: Any) -> Any:
        handle = current() if live[0] else None
        call = handle.start_or_none(request.method, str(request.url), request.headers,
                                    request.url.host, request.url.port) if handle else None
        if call is None:
            return await async_original(self, request)
        try:
            response = await async_original(self, request)
        except BaseException as error:
            call.fail(error)
            raise
        call.respond(response.status_code, response.http_version)
        return response

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]

    def undo() -> None:
        live[0] = False  # a wrapper someone else wrapped again stays in place, inert
        if httpx.HTTPTransport.__dict__.get("handle_request") is handle_request:
            httpx.HTTPTransport.handle_request = sync_original  # type: ignore[method-assign]
        if httpx.AsyncHTTPTransport.__dict__.get("handle_async_request") is handle_async_request:
            httpx.AsyncHTTPTransport.handle_async_request = async_original  # type: ignore[method-assign]

    return undo
