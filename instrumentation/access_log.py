"""The access-log line of each request, on the logger ``instrumentation.access``.

A line goes through stdlib ``logging`` like any other record, except in the common case
where nothing but our own handler would see it: an INFO line, no filter on the way, no
handler on ``instrumentation.access`` or its parents, and our :class:`StructuredHandler`
alone on the root logger. Then the line is formatted from pre-rendered pieces and written
to that handler directly, which gives the same text (tests compare the two) for a fraction
of the cost. Levels, ``logging.disable``, ``access_log=False`` and any handler or filter a
user adds are honoured, because each of them sends the line back through ``logging``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import Any

from instrumentation.logs import ACCESS_LOGGER, AccessInfo, StructuredFormatter, StructuredHandler


#: The formatter's method as a plain function: queued with its arguments, the formatter first,
#: it needs no bound method per request.
_json_access_line = StructuredFormatter.json_access_line


class AccessLog:
    """Writes one access line per request (INFO, or ERROR for a 5xx or an exception)."""

    def __init__(self, logger_name: str = ACCESS_LOGGER) -> None:
        self.logger = logging.getLogger(logger_name)

    def write(
        self,
        scope: MutableMapping[str, Any],
        method: str,
        route: str,
        status: int,
        seconds: float,
        error: BaseException | None,
        user_agent: bytes | None,
        trace_id: str | None,
        span_id: str | None,
    ) -> None:
        """Log the request ``scope`` served; ``trace_id``/``span_id`` are its span's (hex),
        ``user_agent`` the raw header value."""
        level = logging.ERROR if status >= 500 or error is not None else logging.INFO
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        client = scope.get("client")
        address = client[0] if client else None
        duration_ms = int(seconds * 1_000_000.0 + 0.5) / 1000  # to the microsecond; cheaper than round()
        if level == logging.INFO:
            handler = sole_handler(logger)
            if handler is not None:
                formatter: StructuredFormatter = handler.formatter  # type: ignore[assignment]
                if formatter.mode == "json" and not formatter.access_headers:
                    args = (formatter, method, route, status, duration_ms, address, trace_id, span_id, time.time())
                    if handler.format_later(_json_access_line, args):
                        return
                    line = _json_access_line(*args)
                else:
                    info = _info(scope, method, route, status, duration_ms, address, user_agent)
                    line = formatter.access_line(info, trace_id, span_id, time.time())
                handler.write_line(line)
                return
        info = _info(scope, method, route, status, duration_ms, address, user_agent)
        exc_info = (type(error), error, error.__traceback__) if isinstance(error, Exception) else None
        record = logging.LogRecord(logger.name, level, "", 0, "%s %s %s", (method, route, status), exc_info)
        record.http_access = info
        logger.handle(record)


def _info(
    scope: MutableMapping[str, Any], method: str, route: str, status: int, duration_ms: float,
    client: str | None, user_agent: bytes | None,
) -> AccessInfo:
    agent = user_agent.decode("latin-1") if user_agent is not None else None
    return AccessInfo(method, route, scope["path"], status, duration_ms, client, agent, scope["headers"])


def sole_handler(logger: logging.Logger) -> StructuredHandler | None:
    """Our handler, when an INFO record of ``logger`` would reach it and nothing else."""
    if logger.filters:
        return None
    root = logging.root
    node: Any = logger
    while node is not root:
        if node.handlers or not node.propagate:
            return None
        node = node.parent
    handlers = root.handlers
    if len(handlers) != 1 or root.filters:
        return None
    handler = handlers[0]
    if (
        type(handler) is not StructuredHandler
        or handler.filters
        or handler.level > logging.INFO
        or type(handler.formatter) is not StructuredFormatter
    ):
        return None
    return handler
