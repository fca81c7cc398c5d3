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

The package holds one job per module: :mod:`~instrumentation.logs.formatter` (the JSON
document of a record), :mod:`~instrumentation.logs.handler` (writing lines, together at the
end of an event-loop pass) and :mod:`~instrumentation.logs.install` (the root logger).
"""

from instrumentation.logs.formatter import ACCESS_LOGGER, AccessInfo, StructuredFormatter, access_message
from instrumentation.logs.handler import StructuredHandler
from instrumentation.logs.install import configure_logging, open_sink, remove_logging

__all__ = [
    "ACCESS_LOGGER", "AccessInfo", "StructuredFormatter", "StructuredHandler",
    "access_message", "configure_logging", "open_sink", "remove_logging",
]
