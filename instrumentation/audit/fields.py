"""The fields of an audit line, with their Elasticsearch types: what the audit index maps.

Plain data, stdlib only, in the shape of :data:`instrumentation.log_fields.LOG_FIELDS` so the
ELK output can build the audit stream's index template from it; the tests check every
audit line against it.
"""

from __future__ import annotations

from instrumentation.log_fields import LogField

AUDIT_LOG_FIELDS: tuple[LogField, ...] = (
    LogField("@timestamp", "date", "RFC 3339 UTC time with milliseconds", ecs=True, always=True),
    LogField("log.level", "keyword", "INFO; WARNING for failures, denials and rate-limit hits", ecs=True, always=True),
    LogField("log.logger", "keyword", "always instrumentation.audit", ecs=True, always=True),
    LogField("message", "match_only_text", "e.g. 'authentication failure (password)'", ecs=True, always=True),
    LogField("ecs.version", "keyword", "ECS version the document follows", ecs=True, always=True),
    LogField("service.name", "keyword", "service name", ecs=True, always=True),
    LogField("process.pid", "long", "process id (tells workers apart)", ecs=True, always=True),
    LogField("trace.id", "keyword", "trace of the request the event happened in", ecs=True),
    LogField("span.id", "keyword", "span the event happened in", ecs=True),
    LogField("event.kind", "keyword", "always event", ecs=True, always=True),
    LogField("event.dataset", "keyword", "always obscode.audit: routes the line to the audit index",
             ecs=True, always=True),
    LogField("event.category", "keyword", "authentication, iam (authorization), web (rate limit) or "
             "database (data access)", ecs=True, always=True),
    LogField("event.type", "keyword", "start (authentication), info (authorization), access (rate limit, "
             "data read) or change (data written)", ecs=True, always=True),
    LogField("event.action", "keyword", "authentication, authorization, rate-limit or data-access",
             ecs=True, always=True),
    LogField("event.outcome", "keyword", "success, failure or unknown; an authorization deny is failure",
             ecs=True, always=True),
    LogField("user.id", "keyword", "HMAC-SHA256 pseudonym of the user id (64 hex digits); absent without a key",
             ecs=True),
    LogField("source.address", "keyword", "HMAC-SHA256 pseudonym of the client address; absent without a key",
             ecs=True),
    LogField("labels.auth_method", "keyword", "authentication method (declared values, else other)", ecs=True),
    LogField("labels.decision", "keyword", "allow or deny", ecs=True),
    LogField("labels.resource", "keyword", "declared resource, else other", ecs=True),
    LogField("labels.action", "keyword", "declared action, else other", ecs=True),
    LogField("labels.limit", "keyword", "declared rate limit, else other", ecs=True),
    LogField("labels.records", "keyword", "data access: number of records, when given", ecs=True),
)
