"""The log handler: lines of one event-loop pass written together, write failures counted.

See :class:`StructuredHandler`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import weakref
from collections.abc import Callable
from threading import get_ident
from typing import IO, Any

from instrumentation import errors


class StructuredHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes formatted lines to a stream; write failures are counted, not printed.

    With ``flush_interval`` 0 (the default) a line written outside an event loop is flushed
    as it is written (stdlib behaviour). Lines written on a running event loop are kept (as
    text, or as the call that formats them: :meth:`format_later`) and written
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
        #: Lines written on the loop since its pass began, not yet in the stream, each as the
        #: call that gives its text, ``(format, args)`` (see format_later).
        self._pending: list[tuple[Callable[..., str], tuple[Any, ...]]] = []

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

    def write_later(self, line: str, level: int = logging.INFO) -> bool:
        """Keep ``line`` to be written when the running event loop's pass ends: ``False``
        (nothing kept, the caller writes it) as for :meth:`format_later`."""
        return self.format_later(str, (line,), level)

    def format_later(self, format: Callable[..., str], args: tuple[Any, ...], level: int = logging.INFO) -> bool:
        """Keep the line ``format(*args)`` to be formatted and written when the running event
        loop's pass ends: ``False`` (nothing kept, the caller writes it) for a WARNING or above,
        off an event loop, with a flush interval, or once the handler is closed.

        Formatting the pass's lines one after another at its end costs less than one at a
        time between requests (the formatting code stays in the CPU's caches), and a call with
        its arguments is cheaper to keep than a record of its own (a plain tuple, as
        ``LogRecord.args``); the text is the same. A ``format`` that raises is counted in
        ``obscode_instrumentation_errors_total{component="log_sink"}`` and its line skipped.
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
            self._pending.append((format, args))
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
            for format, args in pending:
                try:
                    lines.append(format(*args))
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
