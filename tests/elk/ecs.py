"""Checking a JSON log document against an Elasticsearch mapping and the ECS rules.

``ECS_TYPES`` is the Elastic Common Schema 8.11 reference type of every ECS field the
instrumentation writes, typed in from the ECS field reference (not from our code), so
the generated template is checked against ECS, not against itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

ECS_TYPES: dict[str, str] = {
    "@timestamp": "date", "message": "match_only_text", "tags": "keyword",
    "log.level": "keyword", "log.logger": "keyword", "log.file.path": "keyword", "log.offset": "long",
    "ecs.version": "keyword",
    "service.name": "keyword", "service.version": "keyword", "service.environment": "keyword",
    "process.pid": "long",
    "trace.id": "keyword", "span.id": "keyword",
    "error.type": "keyword", "error.message": "match_only_text", "error.stack_trace": "wildcard",
    "http.request.method": "keyword", "http.response.status_code": "long",
    "url.path": "wildcard", "client.address": "keyword", "user_agent.original": "keyword",
    "event.duration": "long",
    "agent.name": "keyword", "agent.type": "keyword", "agent.version": "keyword",
    "host.name": "keyword", "input.type": "keyword",
}
LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def mapping_types(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{dotted path: type}`` of every leaf in Elasticsearch ``properties``."""
    out: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(mapping_types(spec["properties"], path + "."))
        else:
            out[path] = spec["type"]
    return out


def flatten(doc: dict[str, Any], types: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """Leaves of ``doc`` by dotted path (dotted keys and nested objects alike), stopping
    at fields mapped ``flattened``, which take any object."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and types.get(path) != "flattened":
            out.update(flatten(value, types, path + "."))
        else:
            out[path] = value
    return out


def compatible(es_type: str, value: Any) -> bool:
    """Whether Elasticsearch indexes ``value`` under ``es_type`` without coercion or error."""
    if value is None:
        return True
    if isinstance(value, list):
        return all(compatible(es_type, item) for item in value)
    if es_type == "date":
        if not isinstance(value, str):
            return False
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    if es_type in ("keyword", "match_only_text", "text", "wildcard"):
        return isinstance(value, str)
    if es_type == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if es_type == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if es_type == "flattened":
        return isinstance(value, dict)
    if es_type == "boolean":
        return isinstance(value, bool)
    return False


def check_line(doc: dict[str, Any], types: dict[str, str]) -> list[str]:
    """Problems of one log document: unmapped fields, incompatible values, ECS rules."""
    problems: list[str] = []
    fields = flatten(doc, types)
    for path, value in fields.items():
        if path not in types:
            problems.append(f"{path} is not mapped in the index template (dynamic: false drops it)")
        elif not compatible(types[path], value):
            problems.append(f"{path}={value!r} does not fit mapping type {types[path]}")
        if path in ECS_TYPES and types.get(path) not in (None, ECS_TYPES[path]):
            problems.append(f"{path} is mapped as {types[path]}, ECS defines {ECS_TYPES[path]}")
    for required in ("@timestamp", "ecs.version", "message", "log.level"):
        if fields.get(required) is None:
            problems.append(f"ECS: {required} is missing")
    timestamp = fields.get("@timestamp")
    if isinstance(timestamp, str) and not _RFC3339_UTC.match(timestamp):
        problems.append(f"ECS: @timestamp {timestamp!r} is not RFC 3339 UTC (…Z)")
    if fields.get("log.level") is not None and fields["log.level"] not in LEVELS:
        problems.append(f"log.level {fields['log.level']!r} is not one of {sorted(LEVELS)}")
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(fields.get("ecs.version", ""))):
        problems.append(f"ECS: ecs.version {fields.get('ecs.version')!r} is not a version")
    if "trace.id" in fields and not re.fullmatch(r"[0-9a-f]{32}", str(fields["trace.id"])):
        problems.append(f"ECS: trace.id {fields['trace.id']!r} is not 32 lowercase hex digits")
    if "span.id" in fields and not re.fullmatch(r"[0-9a-f]{16}", str(fields["span.id"])):
        problems.append(f"ECS: span.id {fields['span.id']!r} is not 16 lowercase hex digits")
    duration = fields.get("event.duration")
    if duration is not None and (not isinstance(duration, int) or duration < 0):
        problems.append(f"ECS: event.duration {duration!r} is not non-negative nanoseconds")
    status = fields.get("http.response.status_code")
    if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
        problems.append(f"ECS: http.response.status_code {status!r} is not an HTTP status")
    method = fields.get("http.request.method")
    if method is not None and method != str(method).upper():
        problems.append(f"ECS: http.request.method {method!r} is not upper case")
    return problems
