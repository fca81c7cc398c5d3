"""Structured logs: one JSON object per line, hooked into stdlib ``logging``.

Two formats (see :mod:`instrumentation.log_fields` for every field and its type):

- ``json``: the Quantis fields ``timestamp``, ``level``, ``service``, ``trace_id``,
  ``span_id``, ``message``, ``context`` (the record's extras), plus ``logger``;
- ``ecs``: Elastic Common Schema for Filebeat -> Elasticsearch (``@timestamp``,
  ``log.level``, ``message``, ``ecs.version``, ``service.name``, ``trace.id``, ``span.id``...).

:func:`configure_logging` puts one handler on the root logger, so every library's records
come out structured. Logging never raises into the app: an extra that JSON cannot encode
is written as its ``repr``, and a sink that fails is counted in
``obscode_instrumentation_errors_total{component="log_sink"}``.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import ipaddress
import json
import logging
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from threading import get_ident
from typing import IO, Any

from opentelemetry import trace

from instrumentation import errors
from instrumentation.config import InstrumentationConfig
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


class StructuredHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes formatted lines to a stream; write failures are counted, not printed.

    With ``flush_interval`` 0 (the default) a line written outside an event loop is flushed
    as it is written (stdlib behaviour). Lines written on a running event loop are kept (as
    text, or as an access line's fields, formatted later: :meth:`write_later`) and written
    together at the end of the loop's pass, by a callback the loop runs before it can next
    block waiting for I/O: one ``write`` system call for all the requests the pass finished.
    Above 0, DEBUG and INFO lines may wait in the stream's buffer for up
    to that many seconds, flushed by a background thread, at exit and on close. Either way
    a WARNING or above flushes at once, with every line before it. Like nginx's
    ``access_log buffer= flush=``: one write per buffer instead of one per line, at the
    price of losing the buffered INFO lines if the process is killed outright.
    """

    def __init__(self, stream: IO[str] | None = None, flush_interval: float = 0.0) -> None:
        super().__init__(stream)
        self.flush_interval = flush_interval
        self._flusher_pid = 0
        self._stopped = threading.Event()
        #: The event loop a pass-end flush is scheduled on, if one is.
        self._flush_loop: asyncio.AbstractEventLoop | None = None
        #: The event loop a line was last queued on.
        self._loop: asyncio.AbstractEventLoop | None = None
        _HANDLERS.add(self)
        #: Lines written on the loop since its pass began, not yet in the stream: text, or an
        #: access line's fields (see write_later).
        self._pending: list[Any] = []

    def _forget_loop(self) -> None:
        """In a forked child: the parent's loop does not run here, and the lines waiting for its
        pass to end are the parent's to write."""
        self._loop = None
        self._flush_loop = None
        self._pending.clear()

    def write_line(self, line: str, level: int = logging.INFO) -> None:
        """Write one already formatted line, as ``emit`` writes a record's (same lock, flush)."""
        with self.lock:  # type: ignore[union-attr]
            try:
                self._write(line, level)
            except Exception:  # noqa: BLE001 - logging must never break the caller
                self.handleError(None)  # type: ignore[arg-type]

    def write_later(self, item: Any, level: int = logging.INFO) -> bool:
        """Keep ``item`` to be written when the running event loop's pass ends: ``False``
        (nothing kept, the caller writes it) for a WARNING or above, off an event loop, with
        a flush interval, or once the handler is closed.

        ``item`` is a formatted line, or a JSON access line as ``(formatter, *the arguments
        of its json_access_line)``: formatting the pass's lines one after another at its end
        costs less than one at a time between requests (the formatting code stays in the
        CPU's caches); the text is the same.
        """
        with self.lock:  # type: ignore[union-attr]
            if level >= logging.WARNING or self.flush_interval or self._stopped.is_set():
                return False
            loop = self._loop
            # Asking asyncio which loop runs this thread costs a getpid() system call (it
            # checks for a fork). The loop it last answered is still the answer while that
            # loop says it is running in this thread (asyncio's loops keep the id of the
            # thread running them, None once stopped; loops that do not are asked every
            # time); a fork forgets it (_forget_loops).
            if loop is None or getattr(loop, "_thread_id", None) != get_ident():
                loop = asyncio._get_running_loop()  # noqa: SLF001 - asyncio exports it; None off-loop
                if loop is None:
                    return False
                self._loop = loop
            if self._flush_loop is not loop:
                # A pass-end flush scheduled on another loop that closed before running it
                # is simply superseded: this one flushes everything pending.
                loop.call_soon(self._flush_pass)
                self._flush_loop = loop
            # Kept until the pass ends: one join and one write for all of them.
            self._pending.append(item)
            return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._write(self.format(record), record.levelno)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001
            self.handleError(record)

    def _write(self, line: str, level: int) -> None:
        """Write ``line`` (the handler's lock is held)."""
        if self.write_later(line, level):  # the lock is an RLock
            return
        stream = self.stream
        if self._pending:
            self._drain()
        stream.write(line + self.terminator)
        if level >= logging.WARNING or not self.flush_interval:
            stream.flush()
        elif self._flusher_pid != os.getpid():  # none yet, or it did not survive a fork
            self._flusher_pid = os.getpid()
            threading.Thread(target=self._flush_every_interval, name="obscode-log-flush", daemon=True).start()

    def _drain(self) -> None:
        """Write the lines waiting for the end of the loop's pass into the stream (lock held)."""
        pending = self._pending
        lines: list[str] = []
        try:
            for item in pending:
                if type(item) is str:
                    lines.append(item)
                    continue
                try:  # an access line's fields (see write_later)
                    lines.append(item[0].json_access_line(*item[1:]))
                except Exception as error:  # noqa: BLE001 - logging must never break the caller
                    errors.report("log_sink", error)  # counted; the other lines are written
        finally:
            pending.clear()
        self.stream.write(self.terminator.join(lines) + self.terminator)

    def _flush_pass(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._flush_loop = None
            if not self._stopped.is_set():
                self.flush()

    def _flush_every_interval(self) -> None:
        while not self._stopped.wait(self.flush_interval):
            with self.lock:  # type: ignore[union-attr]
                if self._stopped.is_set():  # close() flushed; the stream may be gone
                    return
                self.flush()

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._stopped.set()
        self.flush()
        super().close()

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - stdlib name
        errors.report("log_sink", sys.exc_info()[1])

    def flush(self) -> None:
        try:
            with self.lock:  # type: ignore[union-attr]
                if self._pending:
                    self._drain()
                super().flush()
        except (OSError, ValueError) as error:
            errors.report("log_sink", error)


#: Every live StructuredHandler, for _forget_loops.
_HANDLERS: weakref.WeakSet[StructuredHandler] = weakref.WeakSet()


def _forget_loops() -> None:
    """After a fork, in the child (the logging module has already renewed the handlers' locks)."""
    for handler in list(_HANDLERS):
        handler._forget_loop()  # noqa: SLF001


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_loops)

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


# --- installation on the root logger -------------------------------------------------

_HANDLER_MARK = "_obscode_handler"
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "gunicorn.error")
_SERVER_ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access")


@dataclass
class _Installed:
    handler: StructuredHandler
    stream: IO[str] | None
    saved: list[tuple[logging.Logger, list[logging.Handler], int, bool, bool]]
    users: int = 1


_installed: _Installed | None = None
_install_lock = threading.Lock()


def open_sink(path: str | None) -> tuple[IO[str], IO[str] | None]:
    """The stream to log to and, when we opened it, the file to close later.

    An unwritable file is counted as a ``log_sink`` failure and logging falls back to stderr.
    """
    if path is None:
        return sys.stdout, None
    try:
        stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by remove_logging
    except OSError as error:
        errors.report("log_sink", error)
        return sys.stderr, None
    return stream, stream


def configure_logging(config: InstrumentationConfig) -> StructuredHandler | None:
    """Route every stdlib log record through one structured handler on the root logger.

    Replaces the root logger's handlers and sends uvicorn/gunicorn's own loggers there
    too; their access loggers are silenced while ours is on. Calling it again replaces
    the handler; :func:`remove_logging` undoes it after the last caller.
    """
    global _installed
    if config.log_format == "off":
        return None
    with _install_lock:
        formatter = StructuredFormatter(
            config.log_format, service=config.service, version=config.version,
            environment=config.environment, redact=config.redact,
            access_headers=config.access_log_headers,
        )
        stream, owned = open_sink(config.log_file)
        handler = StructuredHandler(stream, config.log_flush_interval)
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_MARK, True)
        root = logging.getLogger()
        if _installed is not None:
            _swap_handler(root, _installed.handler, handler)
            _close(_installed)
            _installed = _Installed(handler, owned, _installed.saved, _installed.users + 1)
        else:
            saved = [_save(root)] + [_save(logging.getLogger(n)) for n in _UVICORN_LOGGERS + _SERVER_ACCESS_LOGGERS]
            root.handlers = [handler]
            _installed = _Installed(handler, owned, saved)
        root.setLevel(config.log_level)
        for name in _UVICORN_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True
        for name in _SERVER_ACCESS_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = not config.access_log
            logger.disabled = config.access_log
        access = logging.getLogger(ACCESS_LOGGER)
        access.disabled = False
        return handler


def remove_logging(force: bool = False) -> None:
    """Undo :func:`configure_logging` once its last caller is done (or now, with ``force``)."""
    global _installed
    with _install_lock:
        if _installed is None:
            return
        _installed.users -= 1
        if _installed.users > 0 and not force:
            return
        for logger, handlers, level, propagate, disabled in _installed.saved:
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled
        _installed.handler.flush()
        _close(_installed)
        _installed = None


def _save(logger: logging.Logger) -> tuple[logging.Logger, list[logging.Handler], int, bool, bool]:
    return logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled


def _swap_handler(root: logging.Logger, old: logging.Handler, new: logging.Handler) -> None:
    root.handlers = [new if h is old else h for h in root.handlers]
    if new not in root.handlers:
        root.addHandler(new)


def _close(installed: _Installed) -> None:
    installed.handler.close()
    if installed.stream is not None:
        try:
            installed.stream.close()
        except OSError as error:
            errors.report("log_sink", error)

