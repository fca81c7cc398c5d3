"""elk/kibana/saved_objects.ndjson: Kibana content for a stack that ships logs, as the file
``POST /api/saved_objects/_import`` (or Stack Management > Saved objects > Import) takes.

- a data view on the logs index and one on the audit index;
- saved searches: errors by service, audit events, and a trace lookup by trace id (the logs
  data view shows every trace id as a link to it).

Written by the ``elk`` output (:mod:`obscode.emit.elk`); every object is built as a typed
:mod:`obscode.emit.kibana_shapes` model, so the file always has Kibana's saved-object shape.
Ids are UUIDs derived from the stack and object name: a re-import overwrites the same objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from obscode.emit.kibana_shapes import (
    SEARCH_INDEX_REF, DataViewAttributes, Query, Reference, SavedObject, SavedObjectMeta, SearchAttributes,
    SearchSource, UrlFormat, UrlFormatParams,
)
from obscode.model.logs import FieldMapping, LogsConfig
from obscode.stack import Stack

#: Namespace of every saved-object id obscode writes (uuid5 of the stack and object name).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "kibana.obscode")

#: The fields the saved searches use, per log format (``instrumentation.log_fields`` names).
LOG_ROLES: dict[str, dict[str, str]] = {
    "ecs": {"time": "@timestamp", "level": "log.level", "service": "service.name", "message": "message",
            "trace": "trace.id", "span": "span.id", "error": "error.type"},
    "json": {"time": "timestamp", "level": "level", "service": "service", "message": "message",
             "trace": "trace_id", "span": "span_id", "error": "exception.type"},
}
#: Levels the errors search keeps.
ERROR_LEVELS = ("ERROR", "CRITICAL")

#: The ECS fields the audit data view's search reads: what the audit index template must map
#: (audit lines are always ECS documents).
AUDIT_FIELDS: tuple[FieldMapping, ...] = (
    FieldMapping(name="@timestamp", type="date"),
    FieldMapping(name="event.category", type="keyword"),
    FieldMapping(name="event.action", type="keyword"),
    FieldMapping(name="event.outcome", type="keyword"),
    FieldMapping(name="user.id", type="keyword"),
    FieldMapping(name="source.address", type="keyword"),
    FieldMapping(name="service.name", type="keyword"),
)


@dataclass(frozen=True)
class SearchSpec:
    """A saved search before it becomes a saved object: which view, which KQL clauses."""

    name: str
    title: str
    description: str
    view: str
    #: KQL clauses joined by ``and``: ``(field, value)``, a value of ``*`` meaning "present".
    clauses: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    sort: tuple[tuple[str, str], ...]
    breakdown: str | None = None

    def kql(self) -> str:
        return " and ".join(f"{field}:{value}" for field, value in self.clauses)

    def fields(self) -> list[str]:
        """Every field the search names: query, columns, sort and breakdown."""
        named = [field for field, _ in self.clauses] + list(self.columns) + [field for field, _ in self.sort]
        return named + ([self.breakdown] if self.breakdown else [])


def object_id(stack: str, kind: str, name: str) -> str:
    """The saved object's id: the same for the same stack and name on every run."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{stack}/{kind}/{name}"))


def logs_of(stack: Stack) -> LogsConfig:
    return stack.logs or LogsConfig()


def audit_index_of(stack: Stack) -> str:
    return logs_of(stack).audit_index or f"{stack.name}-audit"


def searches(stack: Stack) -> list[SearchSpec]:
    """The saved searches, over the data views ``logs`` and ``audit``."""
    role = LOG_ROLES[logs_of(stack).log_format]
    time = role["time"]
    levels = " or ".join(ERROR_LEVELS)
    return [
        SearchSpec(
            name="errors-by-service", title=f"{stack.name}: errors by service",
            description=f"Log lines at {levels}, newest first; the histogram splits them by service.",
            view="logs", clauses=((role["level"], f"({levels})"),),
            columns=(role["service"], role["level"], role["error"], role["message"], role["trace"]),
            sort=((time, "desc"),), breakdown=role["service"],
        ),
        SearchSpec(
            name="audit-events", title=f"{stack.name}: audit events",
            description="Authentication, authorization, rate-limit and data-access events, newest first; "
                        "the histogram splits them by outcome. user.id and source.address are keyed pseudonyms "
                        "written by the services.",
            view="audit", clauses=(("event.category", "*"),),
            columns=("event.category", "event.action", "event.outcome", "user.id", "source.address",
                     "service.name"),
            sort=(("@timestamp", "desc"),), breakdown="event.outcome",
        ),
        SearchSpec(
            name="trace-lookup", title=f"{stack.name}: trace lookup",
            description=f"Every log line of one trace in time order, across services: replace * in the query "
                        f"by the trace id ({role['trace']}:\"<32 hex digits>\"), or click a {role['trace']} value "
                        "in any log line.",
            view="logs", clauses=((role["trace"], "*"),),
            columns=(role["service"], role["level"], role["span"], role["message"]),
            sort=((time, "asc"),),
        ),
    ]


def _trace_link(stack: Stack, trace_field: str) -> UrlFormat:
    # Discover's app state in the URL (rison): open the lookup search with the clicked trace id.
    lookup = object_id(stack.name, "search", "trace-lookup")
    query = f"'{trace_field}:\"{{{{value}}}}\"'"
    return UrlFormat(id="url", params=UrlFormatParams(
        urlTemplate=f"/app/discover#/view/{lookup}?_a=(query:(language:kuery,query:{query}))"))


def data_views(stack: Stack) -> dict[str, SavedObject]:
    """``{"logs": ..., "audit": ...}``: a data view on each index (the template's pattern)."""
    role = LOG_ROLES[logs_of(stack).log_format]
    logs_formats = {role["trace"]: _trace_link(stack, role["trace"]).model_dump(mode="json")}
    views = {
        "logs": DataViewAttributes(title=f"{stack.logs_index}*", name=f"{stack.name} logs",
                                   timeFieldName=role["time"], allowNoIndex=True,
                                   fieldFormatMap=json.dumps(logs_formats, separators=(",", ":"))),
        "audit": DataViewAttributes(title=f"{audit_index_of(stack)}*", name=f"{stack.name} audit",
                                    timeFieldName="@timestamp", allowNoIndex=True),
    }
    return {name: SavedObject(type="index-pattern", id=object_id(stack.name, "index-pattern", name),
                              attributes=attributes)
            for name, attributes in views.items()}


def saved_search(stack: Stack, spec: SearchSpec, view: SavedObject) -> SavedObject:
    source = SearchSource(query=Query(query=spec.kql(), language="kuery"), indexRefName=SEARCH_INDEX_REF)
    attributes = SearchAttributes(
        title=spec.title, description=spec.description, columns=list(spec.columns),
        sort=list(spec.sort),  # type: ignore[arg-type]
        breakdownField=spec.breakdown,
        kibanaSavedObjectMeta=SavedObjectMeta(searchSourceJSON=source.model_dump_json()),
    )
    return SavedObject(type="search", id=object_id(stack.name, "search", spec.name), attributes=attributes,
                       references=[Reference(name=SEARCH_INDEX_REF, type="index-pattern", id=view.id)])


def check_fields(stack: Stack, log_fields: Sequence[FieldMapping]) -> None:
    """Every field a saved search or field format names is one its index maps: ``log_fields``
    for the logs view (the index template's fields), :data:`AUDIT_FIELDS` for the audit view."""
    mapped = {"logs": {m.name for m in log_fields}, "audit": {m.name for m in AUDIT_FIELDS}}
    index = {"logs": stack.logs_index, "audit": audit_index_of(stack)}
    for spec in searches(stack):
        for field in spec.fields():
            if field not in mapped[spec.view]:
                raise ValueError(f"Kibana saved search {spec.name!r} names field {field!r}, which the "
                                 f"{index[spec.view]} index does not map")
    for view, obj in data_views(stack).items():
        assert isinstance(obj.attributes, DataViewAttributes)
        for field in [obj.attributes.timeFieldName, *obj.attributes.formats()]:
            if field not in mapped[view]:
                raise ValueError(f"Kibana data view {obj.attributes.name!r} names field {field!r}, which the "
                                 f"{index[view]} index does not map")


def saved_objects(stack: Stack) -> list[SavedObject]:
    """The data views, then the saved searches."""
    views = data_views(stack)
    return [*views.values(), *(saved_search(stack, spec, views[spec.view]) for spec in searches(stack))]


def ndjson(stack: Stack, log_fields: Sequence[FieldMapping]) -> bytes:
    """One compact JSON object per line, keys in the shapes' field order, after
    :func:`check_fields` against the fields the logs index maps."""
    check_fields(stack, log_fields)
    lines = [json.dumps(obj.model_dump(mode="json", exclude_none=True), separators=(",", ":"))
             for obj in saved_objects(stack)]
    return ("\n".join(lines) + "\n").encode("utf-8")
