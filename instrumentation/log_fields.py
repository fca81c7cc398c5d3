"""The fields each log format emits, with their Elasticsearch types. Plain data, stdlib only.

A later step generates the Elasticsearch index template from :data:`LOG_FIELDS`; the tests
check every emitted line against it. ``name`` is the dotted path in the JSON document;
``ecs`` says whether the Elastic Common Schema defines the field (custom fields are ours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ECS_VERSION = "8.11.0"

EsType = Literal[
    "date", "keyword", "match_only_text", "text", "wildcard", "long", "double", "flattened", "object",
]
LogMode = Literal["json", "ecs"]


@dataclass(frozen=True)
class LogField:
    name: str
    type: EsType
    description: str
    ecs: bool = False
    #: Present on every line (otherwise only when there is something to say).
    always: bool = False


_JSON: tuple[LogField, ...] = (
    LogField("timestamp", "date", "RFC 3339 UTC time with milliseconds, e.g. 2023-04-10T15:23:45.123Z", always=True),
    LogField("level", "keyword", "DEBUG, INFO, WARNING, ERROR or CRITICAL", always=True),
    LogField("service", "keyword", "service name (OTEL_SERVICE_NAME)", always=True),
    LogField("logger", "keyword", "name of the stdlib logger", always=True),
    LogField("trace_id", "keyword", "32 hex digits of the current span's trace; null outside a span", always=True),
    LogField("span_id", "keyword", "16 hex digits of the current span; null outside a span", always=True),
    LogField("message", "match_only_text", "the formatted log message", always=True),
    LogField("context", "flattened", "the record's extras, secrets masked; access lines: method, path, status, duration_ms, client", always=True),
    LogField("exception.type", "keyword", "exception class, when the record carries one"),
    LogField("exception.message", "match_only_text", "str() of the exception"),
    LogField("exception.stacktrace", "wildcard", "formatted traceback"),
)

_ECS: tuple[LogField, ...] = (
    LogField("@timestamp", "date", "RFC 3339 UTC time with milliseconds", ecs=True, always=True),
    LogField("log.level", "keyword", "DEBUG, INFO, WARNING, ERROR or CRITICAL", ecs=True, always=True),
    LogField("log.logger", "keyword", "name of the stdlib logger", ecs=True, always=True),
    LogField("message", "match_only_text", "the formatted log message", ecs=True, always=True),
    LogField("ecs.version", "keyword", "ECS version the document follows", ecs=True, always=True),
    LogField("service.name", "keyword", "service name (OTEL_SERVICE_NAME)", ecs=True, always=True),
    LogField("service.version", "keyword", "service version, when configured", ecs=True),
    LogField("service.environment", "keyword", "deployment environment, when configured", ecs=True),
    LogField("process.pid", "long", "process id (tells workers apart)", ecs=True, always=True),
    LogField("trace.id", "keyword", "trace id of the current span", ecs=True),
    LogField("span.id", "keyword", "id of the current span", ecs=True),
    LogField("error.type", "keyword", "exception class", ecs=True),
    LogField("error.message", "match_only_text", "str() of the exception", ecs=True),
    LogField("error.stack_trace", "wildcard", "formatted traceback", ecs=True),
    LogField("http.request.method", "keyword", "access lines: request method", ecs=True),
    LogField("http.response.status_code", "long", "access lines: response status", ecs=True),
    LogField("url.path", "wildcard", "access lines: raw request path", ecs=True),
    LogField("client.address", "keyword", "access lines: client address", ecs=True),
    LogField("user_agent.original", "keyword", "access lines: User-Agent header", ecs=True),
    LogField("event.duration", "long", "access lines: request duration in nanoseconds", ecs=True),
    LogField("http.route", "keyword", "access lines: route template (not in ECS; OpenTelemetry name)"),
    LogField("http.request.headers", "flattened", "access lines with headers on: request headers, secrets masked"),
    LogField("context", "flattened", "the record's extras, secrets masked"),
)

#: Fields per log mode, in the order they appear on a line.
LOG_FIELDS: dict[LogMode, tuple[LogField, ...]] = {"json": _JSON, "ecs": _ECS}
