"""Log shipping to the ELK stack: Filebeat input, Logstash pipeline, Elasticsearch index
template and ILM policy, as typed definitions.

The index template's field mappings are not written by hand: they come from
``instrumentation.log_fields`` (what the instrumentation really logs), so a field the
services emit can never be missing from the mapping.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from obscode.model.base import Model
from obscode.model.duration import Duration, parse_duration

#: Elasticsearch field types the mappings may use.
EsType = Literal["date", "keyword", "match_only_text", "text", "wildcard", "long", "double",
                 "flattened", "object", "boolean", "ip"]


class FieldMapping(Model):
    """One field of the index: ``name`` is its dotted path (``trace.id``)."""

    kind = "field mapping"
    name_field = "name"

    name: str
    type: EsType

    @field_validator("name")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value or any(not part for part in value.split(".")):
            raise ValueError(f"field name {value!r} must be a dotted path like 'trace.id'")
        return value


class IlmPolicy(Model):
    """Hot (rollover) then delete: logs are kept ``delete_after`` after rollover."""

    kind = "ILM policy"

    #: Roll the index over when it is this old ...
    rollover_max_age: Duration = "1d"
    #: ... or when its primary shard reaches this size.
    rollover_max_primary_shard_size: str = "50gb"
    #: Delete an index this long after its rollover.
    delete_after: Duration = "30d"

    @field_validator("rollover_max_primary_shard_size")
    @classmethod
    def _size(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"\d+(b|kb|mb|gb|tb|pb)", value):
            raise ValueError(f"{value!r} is not an Elasticsearch byte size; write e.g. '50gb' or '512mb'")
        return value

    @model_validator(mode="after")
    def _order(self) -> "IlmPolicy":
        if parse_duration(self.delete_after) < parse_duration(self.rollover_max_age):
            raise ValueError(
                f"delete_after ({self.delete_after}) is shorter than rollover_max_age "
                f"({self.rollover_max_age}): indices would be deleted before they roll over"
            )
        return self


class LogsConfig(Model):
    """Where a stack's services write logs and where the ELK stack takes them.

    ``log_format`` is the instrumentation's ``OBSCODE_LOG_FORMAT`` of the services
    (``ecs`` is what Elasticsearch and Kibana understand without a rename step).
    """

    kind = "logs"

    #: How services write log lines: ECS fields (``ecs``) or any JSON (``json``).
    log_format: Literal["ecs", "json"] = "ecs"
    #: Files Filebeat reads (globs), one NDJSON log line per line; empty means
    #: ``/var/log/<stack name>/*.ndjson``.
    paths: list[str] = Field(default_factory=list)
    #: Filebeat ships to Logstash (``logstash``) or straight to Elasticsearch.
    output: Literal["logstash", "elasticsearch"] = "logstash"
    #: ``host:port`` of the Logstash beats inputs Filebeat ships to.
    logstash_hosts: list[str] = Field(default_factory=lambda: ["logstash:5044"])
    #: Port the Logstash beats input listens on.
    beats_port: int = Field(default=5044, ge=1, le=65535)
    #: URLs of the Elasticsearch nodes Logstash (or Filebeat) writes to.
    elasticsearch_hosts: list[str] = Field(default_factory=lambda: ["http://elasticsearch:9200"])
    #: The index lifecycle: rollover and deletion.
    ilm: IlmPolicy = Field(default_factory=IlmPolicy)
    #: Primary shards of each index.
    number_of_shards: int = Field(default=1, ge=1)
    #: Replicas of each primary shard.
    number_of_replicas: int = Field(default=1, ge=0)
    #: Template priority; above 100 so it wins over Elasticsearch's built-in ``logs-*-*``.
    priority: int = Field(default=200, ge=0)
    #: Elasticsearch index (or data stream) of the services' audit log lines, which Kibana's
    #: audit data view reads; empty means ``<stack name>-audit``.
    audit_index: str = ""
    #: Files of the services' audit lines (``instrumentation.audit``, ``OBSCODE_AUDIT_LOG_FILE``),
    #: shipped to ``audit_index``; empty means ``/var/log/<stack name>/audit/*.ndjson``.
    audit_paths: list[str] = Field(default_factory=list)
    #: The audit index's lifecycle: audit trails are kept longer than service logs (a year).
    audit_ilm: IlmPolicy = Field(default_factory=lambda: IlmPolicy(delete_after="365d"))

    @field_validator("paths", "audit_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"log path {path!r} must be absolute (Filebeat resolves it on its host)")
        return value

    @field_validator("elasticsearch_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not host.startswith(("http://", "https://")):
                raise ValueError(f"Elasticsearch host {host!r} must start with http:// or https://")
        return value


    def files(self, stack_name: str) -> list[str]:
        return list(self.paths) or [f"/var/log/{stack_name}/*.ndjson"]

    def audit_files(self, stack_name: str) -> list[str]:
        return list(self.audit_paths) or [f"/var/log/{stack_name}/audit/*.ndjson"]


def nest(fields: list[FieldMapping]) -> dict[str, Any]:
    """Dotted field paths as Elasticsearch ``properties``; a path that is both a leaf and a
    parent (``http.request`` vs ``http.request.method``) is an error naming both."""
    root: dict[str, Any] = {}
    for mapping in fields:
        parts = mapping.name.split(".")
        node = root
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {"properties": {}})
            if "properties" not in child:
                raise ValueError(f"field {mapping.name!r} needs {'.'.join(parts[:depth + 1])!r} to be an object, "
                                 f"but it is mapped as {child['type']}")
            node = child["properties"]
        leaf = parts[-1]
        if leaf in node and node[leaf].get("type") != mapping.type:
            existing = node[leaf].get("type", "an object")
            raise ValueError(f"field {mapping.name!r} is mapped twice: as {existing} and as {mapping.type}")
        node[leaf] = {"type": mapping.type}
    return root
