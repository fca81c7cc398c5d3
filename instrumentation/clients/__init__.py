"""Client spans and W3C trace-context propagation for outgoing HTTP requests (httpx, requests).

::

    from instrumentation.clients import instrument_http_clients

    handle = instrument_http_clients()      # every httpx and requests call from now on
    ...
    handle.uninstrument()

Imports are lazy: ``import instrumentation.clients.catalog`` does not load OpenTelemetry.
See docs/tracing-clients.md.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "instrument_http_clients": ("instrumentation.clients.core", "instrument_http_clients"),
    "HttpClientInstrumentation": ("instrumentation.clients.core", "HttpClientInstrumentation"),
    "suppressed": ("instrumentation.clients.core", "suppressed"),
    "is_suppressed": ("instrumentation.clients.core", "is_suppressed"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'instrumentation.clients' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
