"""The audit stream: ECS lines on their own logger and sink, apart from the application's logs.

The ``instrumentation.audit`` logger does not propagate, so audit lines never reach the root
logger's handler (and app logs never reach the audit sink); Filebeat ships the audit file to
its own index, and ``event.dataset`` says ``obscode.audit`` on every line.
"""

from __future__ import annotations

import logging
import threading
from typing import IO, Any

from instrumentation.audit.config import AUDIT_LOGGER, AuditConfig
from instrumentation.logs import StructuredFormatter, StructuredHandler, open_sink

#: Attribute of a log record that carries the audit fields (top-level ECS fields of the line).
AUDIT_FIELDS = "obscode_audit"


class AuditFormatter(StructuredFormatter):
    """The ECS formatter of the app logs, with the record's audit fields at the top level."""

    def __init__(self, service: str) -> None:
        super().__init__("ecs", service=service)

    def _document(self, record: logging.LogRecord) -> dict[str, Any]:
        doc = super()._document(record)
        fields = getattr(record, AUDIT_FIELDS, None)
        if isinstance(fields, dict):
            doc.update(fields)
        return doc

    def _context(self, record: logging.LogRecord) -> dict[str, Any]:
        context = super()._context(record)
        context.pop(AUDIT_FIELDS, None)
        return context


class AuditStream:
    """The audit logger with its own handler; :meth:`close` detaches it."""

    def __init__(self, config: AuditConfig) -> None:
        self.logger = logging.getLogger(AUDIT_LOGGER)
        stream, self._owned = open_sink(config.log_file)
        self.handler = StructuredHandler(stream)
        self.handler.setFormatter(AuditFormatter(config.service))
        with _lock:
            self.logger.addHandler(self.handler)
            self.logger.propagate = False
            self.logger.setLevel(logging.INFO)

    def write(self, level: int, message: str, fields: dict[str, Any]) -> None:
        self.logger.log(level, message, extra={AUDIT_FIELDS: fields})

    def close(self) -> None:
        with _lock:
            self.logger.removeHandler(self.handler)
        self.handler.flush()
        self.handler.close()
        if self._owned is not None:
            _close(self._owned)


_lock = threading.Lock()


def _close(stream: IO[str]) -> None:
    try:
        stream.close()
    except OSError as error:
        from instrumentation import errors

        errors.report("log_sink", error)
