"""The JSON log formatter: one object per line, in the ``json`` or ``ecs`` layout.

See :mod:`instrumentation.log_fields` for every field and its type. Never raises: an extra
that JSON cannot encode is written as its ``repr``.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import json
import logging
import os
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from typing import Any

from opentelemetry import trace

from instrumentation import errors
from instrumentation.log_fields import ECS_VERSION
from instrumentation.redaction import Redactor

#: Logger the per-request access lines are written to (set its level to silence them).
ACCESS_LOGGER = "instrumentation.access"

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "http_access", "taskName"}


#: Number of attributes of a record nobody added anything to.
_PLAIN_RECORD_SIZE = len(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)


@dataclass(slots=True)
class AccessInfo:
    """What an access-log line says about one request."""

    method: str
    route: str
    path: str
    status: int
    duration_ms: float
    client: str | None
    user_agent: str | None
    headers: Iterable[tuple[bytes, bytes]]


class StructuredFormatter(logging.Formatter):
    """Formats a record as one JSON line in ``json`` or ``ecs`` mode. Never raises."""

    def __init__(
        self,
        mode: str = "json",
        *,
        service: str = "unknown_service",
        version: str | None = None,
        environment: str | None = None,
        redact: Iterable[str] = (),
        access_headers: bool = False,
    ) -> None:
        super().__init__()
        if mode not in ("json", "ecs"):
            raise ValueError(f"log format must be 'json' or 'ecs', got {mode!r}")
        self.mode = mode
        self.service = service
        self.version = version
        self.environment = environment
        self.redactor = Redactor(redact)
        self.access_headers = access_headers
        self._encoder = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=_jsonable, check_circular=True,
        )
        self._last_second: tuple[int, str] = (-1, "")
        self._last_millisecond: tuple[int, str] = (-1, "")
        # Pieces of json-mode access lines (see access_line).
        self._access_head = (
            f'","level":"INFO","service":{self._encoder.encode(service)},'
            f'"logger":{self._encoder.encode(ACCESS_LOGGER)},"trace_id":'
        )
        self._access_middles: dict[tuple[str, str, int], str] = {}

    def format(self, record: logging.LogRecord) -> str:
        try:
            doc = self._document(record)
            try:
                return self._encoder.encode(doc)
            except (TypeError, ValueError, RecursionError):
                doc["context"] = _stringified(doc.get("context", {}))
                return self._encoder.encode(doc)
        except Exception as error:  # noqa: BLE001 - logging must never break the caller
            errors.report("log_sink", error)
            return json.dumps({
                "level": record.levelname,
                "message": f"unformattable log record from {record.name}: {type(error).__name__}: {error}",
            })

    def access_line(self, access: AccessInfo, trace_id: str | None, span_id: str | None, created: float) -> str:
        """The INFO access line :meth:`format` would write for ``access`` (no extras, no exception).

        For the per-request hot path: no ``LogRecord``, and in ``json`` mode no document
        either, but the same text (fields, order, escaping) from pre-rendered pieces.
        """
        if self.mode != "json" or self.access_headers:
            doc = self._build(
                self._timestamp(created), "INFO", ACCESS_LOGGER, access_message(access),
                trace_id, span_id, {}, access, None, os.getpid(),
            )
            return self._encoder.encode(doc)
        return self.json_access_line(
            access.method, access.route, access.status, access.duration_ms, access.client,
            trace_id, span_id, created,
        )

    def json_access_line(
        self,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        client: str | None,
        trace_id: str | None,
        span_id: str | None,
        created: float,
    ) -> str:
        """:meth:`access_line` in ``json`` mode without request headers, from its fields."""
        middle = self._access_middles.get((method, route, status))
        if middle is None:
            encode = self._encoder.encode
            middle = (
                f',"message":{encode(f"{method} {route} {status}")},"context":{{"method":{encode(method)},'
                f'"path":{encode(route)},"status":{status!r},"duration_ms":'
            )
            if len(self._access_middles) < 4096:  # routes are templates, but stay bounded anyway
                self._access_middles[(method, route, status)] = middle
        ids = f'"{trace_id}","span_id":"{span_id}"' if trace_id is not None else 'null,"span_id":null'
        return (
            f'{{"timestamp":"{self._timestamp(created)}{self._access_head}{ids}'
            f'{middle}{duration_ms!r},"client":'
            f'{_json_string(client) if type(client) is str else self._encoder.encode(client)}}}}}'
        )

    def _document(self, record: logging.LogRecord) -> dict[str, Any]:
        ctx = trace.get_current_span().get_span_context()
        return self._build(
            self._timestamp(record.created),
            record.levelname,
            record.name,
            _message(record),
            format(ctx.trace_id, "032x") if ctx.is_valid else None,
            format(ctx.span_id, "016x") if ctx.is_valid else None,
            self._context(record),
            getattr(record, "http_access", None),
            record.exc_info,
            record.process,
        )

    def _build(
        self,
        timestamp: str,
        level: str,
        logger: str,
        message: str,
        trace_id: str | None,
        span_id: str | None,
        context: dict[str, Any],
        access: AccessInfo | None,
        exc_info: Any,
        pid: int | None,
    ) -> dict[str, Any]:
        if self.mode == "json":
            if access is not None:
                context.update(
                    method=access.method, path=access.route, status=access.status,
                    duration_ms=access.duration_ms, client=access.client,
                )
                if self.access_headers:
                    context["headers"] = self.redactor.headers(access.headers)
            doc: dict[str, Any] = {
                "timestamp": timestamp, "level": level, "service": self.service,
                "logger": logger, "trace_id": trace_id, "span_id": span_id,
                "message": message, "context": context,
            }
            if exc_info and exc_info[1] is not None:
                doc["exception"] = _exception(exc_info)
            return doc

        doc = {
            "@timestamp": timestamp, "log.level": level, "log.logger": logger,
            "message": message, "ecs.version": ECS_VERSION,
            "service": self._ecs_service(), "process": {"pid": pid},
        }
        if trace_id is not None:
            doc["trace"] = {"id": trace_id}
            doc["span"] = {"id": span_id}
        if access is not None:
            request: dict[str, Any] = {"method": access.method}
            if self.access_headers:
                request["headers"] = self.redactor.headers(access.headers)
            doc["http"] = {"request": request, "response": {"status_code": access.status}, "route": access.route}
            doc["url"] = {"path": access.path}
            doc["event"] = {"duration": int(access.duration_ms * 1_000_000)}
            if access.client:
                doc["client"] = {"address": access.client}
            if access.user_agent:
                doc["user_agent"] = {"original": access.user_agent}
        if exc_info and exc_info[1] is not None:
            exc = _exception(exc_info)
            doc["error"] = {"type": exc["type"], "message": exc["message"], "stack_trace": exc["stacktrace"]}
        if context:
            doc["context"] = context
        return doc

    def _ecs_service(self) -> dict[str, str]:
        service = {"name": self.service}
        if self.version:
            service["version"] = self.version
        if self.environment:
            service["environment"] = self.environment
        return service

    def _context(self, record: logging.LogRecord) -> dict[str, Any]:
        fields = record.__dict__
        size = len(fields)
        if size == _PLAIN_RECORD_SIZE or (
            size == _PLAIN_RECORD_SIZE + 1 and ("http_access" in fields or "message" in fields)
        ):
            return {}  # the common case: nothing was added to the record
        extras = {k: v for k, v in fields.items() if k not in _STANDARD_ATTRS}
        if not extras:
            return {}
        return self.redactor.mapping(extras)

    def _timestamp(self, created: float) -> str:
        """RFC 3339 in UTC to the millisecond (truncated), as ``2026-11-27T08:03:50.123Z``.

        Lines written together often share their millisecond, and always their second: the
        last of each is kept, as one tuple each (a thread reads a consistent pair).
        """
        millisecond = int(created * 1000)
        last, text = self._last_millisecond
        if millisecond == last:
            return text
        second, millis = divmod(millisecond, 1000)
        last, second_text = self._last_second
        if second != last:
            second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._last_second = (second, second_text)
        text = f"{second_text}.{millis:03d}Z"
        self._last_millisecond = (millisecond, text)
        return text


#: JSON string literal of a str, as the formatter's encoder (``ensure_ascii=False``) writes it.
_json_string = json.encoder.encode_basestring


def access_message(access: AccessInfo) -> str:
    """The ``message`` of an access line: ``GET /items/{item_id} 200``."""
    return f"{access.method} {access.route} {access.status}"


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception as error:  # noqa: BLE001 - a bad %-format must still give a line
        return f"{record.msg!r} % {record.args!r} (formatting failed: {type(error).__name__}: {error})"


def _exception(exc_info: Any) -> dict[str, str]:
    etype, value, tb = exc_info
    return {
        "type": getattr(etype, "__qualname__", str(etype)),
        "message": _safe_str(value),
        "stacktrace": "".join(traceback.format_exception(etype, value, tb)).rstrip("\n"),
    }


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__} with a broken __str__>"


def _jsonable(value: Any) -> Any:
    """JSON fallback for values ``json`` cannot encode: a readable text, never an error."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value if isinstance(value.value, (str, int, float)) else value.name
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (PurePath, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    try:
        return repr(value)
    except Exception:  # noqa: BLE001
        return f"<unserialisable {type(value).__name__}>"


def _stringified(context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (context.items() if isinstance(context, dict) else ()):
        try:
            json.dumps(value, default=_jsonable)
            out[str(key)] = value
        except Exception:  # noqa: BLE001 - e.g. a circular structure
            out[str(key)] = f"<unserialisable {type(value).__name__}>"
    return out
