"""requests: a client span around every request an ``HTTPAdapter`` sends.

Patched on the class, so every ``Session`` (and ``requests.get``) is covered, including
sessions created before. Each physical request (every redirect hop) is one span, ended when
the response headers arrive, as with httpx. urllib3's own retries inside the adapter
are part of that one span.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from instrumentation.clients.core import HttpClientInstrumentation

Current = Callable[[], HttpClientInstrumentation | None]


def patch(current: Current) -> Callable[[], None] | None:
    """Wrap ``HTTPAdapter.send``; returns the undo, or ``None`` when requests is not installed."""
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return None
    live = [True]
    original = HTTPAdapter.send

    @functools.wraps(original)
    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        handle = current() if live[0] else None
        call = handle.start_or_none(request.method or "GET", request.url or "", request.headers) if handle else None
        if call is None:
            return original(self, request, *args, **kwargs)
        try:
            response = original(self, request, *args, **kwargs)
        except BaseException as error:
            call.fail(error)
            raise
        call.respond(response.status_code, getattr(getattr(response, "raw", None), "version", None))
        return response

    HTTPAdapter.send = send  # type: ignore[method-assign]

    def undo() -> None:
        live[0] = False  # a wrapper someone else wrapped again stays in place, inert
        if HTTPAdapter.__dict__.get("send") is send:
            HTTPAdapter.send = original  # type: ignore[method-assign]

    return undo
