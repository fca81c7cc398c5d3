"""Installing the structured handler on the root logger, and undoing it."""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from typing import IO

from instrumentation import errors
from instrumentation.config import InstrumentationConfig
from instrumentation.logs.formatter import ACCESS_LOGGER, StructuredFormatter
from instrumentation.logs.handler import StructuredHandler

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
