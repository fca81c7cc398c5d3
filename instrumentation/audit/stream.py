"""The audit stream: ECS lines on their own sink, apart from the application's logs.

Each :class:`AuditStream` hands its records straight to its own handler, not through the
``logging`` tree: audit lines never reach the root logger's handlers (nor another auditor's
sink), and application records never reach the audit sink. Filebeat ships the audit file to
its own index; ``event.dataset`` says ``obscode.audit`` on every line, and ``log.logger``
``instrumentation.audit``.
"""

from __future__ import annotations

import logging
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
    """One audit sink (``config.log_file``, or stdout) and its ECS handler; :meth:`close` ends it."""

    def __init__(self, config: AuditConfig) -> None:
        stream, self._owned = open_sink(config.log_file)
        self.handler = StructuredHandler(stream)
        self.handler.setFormatter(AuditFormatter(config.service))
        self._logger = logging.getLogger(AUDIT_LOGGER)

    def write(self, level: int, message: str, fields: dict[str, Any]) -> None:
        record = self._logger.makeRecord(
            AUDIT_LOGGER, level, __file__, 0, message, (), None, extra={AUDIT_FIELDS: fields},
        )
        self.handler.handle(record)

    def close(self) -> None:
        self.handler.close()
        if self._owned is not None:
            _close(self._owned)
            # logging flushes every handler still alive at exit: not into the closed file.
            self.handler.stream = None  # type: ignore[assignment]
        self._owned = None


def _close(stream: IO[str]) -> None:
    try:
        stream.close()
    except OSError as error:
        from instrumentation import errors

        errors.report("log_sink", error)
