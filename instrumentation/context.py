"""The OpenTelemetry current context, read and set without the API's indirections.

``opentelemetry.context.attach``/``detach``/``get_current`` go through the configured
runtime context object. With the default one (``contextvars``, which is what every
asyncio service uses) they are a ``ContextVar``'s ``set``/``reset``/``get``; this module
binds those directly, so the per-request middleware pays for the variable and nothing
else. With any other runtime context (``OTEL_PYTHON_CONTEXT``) the API functions are used.

Same semantics as the API: :func:`detach_context` logs (never raises) a token that cannot
be reset, as ``opentelemetry.context.detach`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import Token
from typing import Any

from opentelemetry import context as _api
from opentelemetry.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext

_logger = logging.getLogger("opentelemetry.context")
_RUNTIME: Any = _api._RUNTIME_CONTEXT  # noqa: SLF001 - the API's own runtime context

current_context: Callable[[], Context]
attach_context: Callable[[Context], Token[Context]]

if type(_RUNTIME) is ContextVarsRuntimeContext:
    _VAR = _RUNTIME._current_context  # noqa: SLF001
    current_context = _VAR.get
    attach_context = _VAR.set

    def detach_context(token: Token[Context]) -> None:
        """Restore the context ``token`` replaced (``opentelemetry.context.detach``)."""
        try:
            _VAR.reset(token)
        except Exception:  # noqa: BLE001 - as the API: log, never raise
            _logger.exception("Failed to detach context")

else:  # pragma: no cover - only with a non-default OTEL_PYTHON_CONTEXT
    current_context = _api.get_current
    attach_context = _api.attach
    detach_context = _api.detach
