"""elk/: filebeat/filebeat.yml, logstash/pipeline/<stack>.conf,
elasticsearch/index_template/<index>.json and elasticsearch/ilm_policy/<index>-policy.json
(request bodies of ``PUT _index_template/<index>`` and ``PUT _ilm/policy/<index>-policy``) — from the stack's ``logs`` settings and the fields the
instrumentation logs (``instrumentation.log_fields``) — and kibana/saved_objects.ndjson
(:mod:`obscode.emit.kibana`)."""

from __future__ import annotations

#: The name of this output in ``Stack.outputs``.
FORMAT = "elk"

import json
from typing import Any

from instrumentation.log_fields import ECS_VERSION, LOG_FIELDS
from obscode import paths
from obscode.emit import kibana
from obscode.emit.yaml_out import dump, header_for
from obscode.model.logs import FieldMapping, IlmPolicy, LogsConfig, nest
from obscode.stack import Stack

#: Fields Filebeat adds to every event (ECS names), mapped so they never guess a type.
FILEBEAT_FIELDS: tuple[tuple[str, str], ...] = (
    ("agent.name", "keyword"), ("agent.type", "keyword"), ("agent.version", "keyword"),
    ("host.name", "keyword"), ("input.type", "keyword"), ("log.file.path", "keyword"),
    ("log.offset", "long"), ("tags", "keyword"), ("error.message", "match_only_text"),
)


def logs_of(stack: Stack) -> LogsConfig:
    return getattr(stack, "logs", None) or LogsConfig()


def index_of(stack: Stack) -> str:
    return getattr(stack, "logs_index", "") or f"{stack.name}-logs"


def _with_filebeat(fields: Any) -> list[FieldMapping]:
    """``fields`` (name, Elasticsearch type), then Filebeat's own fields they do not name."""
    seen = {field.name: field.type for field in fields}
    for name, es_type in FILEBEAT_FIELDS:
        seen.setdefault(name, es_type)
    return [FieldMapping(name=name, type=es_type) for name, es_type in seen.items()]  # type: ignore[arg-type]


def field_mappings(logs: LogsConfig) -> list[FieldMapping]:
    """The instrumentation's fields for ``logs.log_format``, then Filebeat's own."""
    return _with_filebeat(LOG_FIELDS[logs.log_format])


def audit_field_mappings() -> list[FieldMapping]:
    """The fields of an audit line (``instrumentation.audit.fields``), then Filebeat's own."""
    from instrumentation.audit.fields import AUDIT_LOG_FIELDS

    return _with_filebeat(AUDIT_LOG_FIELDS)


def _template(stack: Stack, index: str, fields: list[FieldMapping], meta: dict[str, str]) -> dict[str, Any]:
    """The ``PUT _index_template/<index>`` body of one stream: a data stream under ``index``,
    its lifecycle policy, and only ``fields`` mapped."""
    logs = logs_of(stack)
    return {
        "index_patterns": [f"{index}*"],
        "data_stream": {},
        "priority": logs.priority,
        "template": {
            "settings": {
                "index.lifecycle.name": f"{index}-policy",
                "index.number_of_shards": logs.number_of_shards,
                "index.number_of_replicas": logs.number_of_replicas,
            },
            "mappings": {
                # Unknown fields are kept but not indexed, so a typo cannot create a mapping.
                "dynamic": False,
                "properties": nest(fields),
            },
        },
        "_meta": {"generated_by": "obscode", "stack": stack.name, **meta, "ecs_version": ECS_VERSION},
    }


def index_template(stack: Stack) -> dict[str, Any]:
    logs = logs_of(stack)
    return _template(stack, index_of(stack), field_mappings(logs), {"log_format": logs.log_format})


def audit_index_template(stack: Stack) -> dict[str, Any]:
    """The audit stream's template: its own index, fields and (longer) lifecycle."""
    return _template(stack, kibana.audit_index_of(stack), audit_field_mappings(), {"stream": "audit"})


def _ndjson_input(input_id: str, files: list[str]) -> dict[str, Any]:
    return {
        "type": "filestream",
        "id": input_id,
        "paths": files,
        "parsers": [{"ndjson": {
            # Our lines are complete ECS documents: keep their keys at the top level.
            "target": "",
            "overwrite_keys": True,
            "expand_keys": True,
            "add_error_key": True,
            "message_key": "message",
        }}],
    }


def filebeat(stack: Stack) -> dict[str, Any]:
    logs, index = logs_of(stack), index_of(stack)
    audit = _ndjson_input(f"{stack.name}-audit", logs.audit_files(stack.name))
    if logs.output == "elasticsearch":
        audit["index"] = kibana.audit_index_of(stack)  # the input's own index beats the output's
    config: dict[str, Any] = {
        "filebeat.inputs": [_ndjson_input(f"{stack.name}-services", logs.files(stack.name)), audit],
    }
    if logs.output == "logstash":
        config["output.logstash"] = {"hosts": list(logs.logstash_hosts)}
    else:
        config["output.elasticsearch"] = {"hosts": list(logs.elasticsearch_hosts), "index": index}
        config["setup.template.enabled"] = False
        config["setup.ilm.enabled"] = False
    return config


def logstash_pipeline(stack: Stack) -> str:
    logs, index = logs_of(stack), index_of(stack)
    hosts = ", ".join(json.dumps(h) for h in logs.elasticsearch_hosts)
    return (
        f"# Generated by obscode from stack '{stack.name}'. Do not edit by hand.\n"
        "input {\n"
        f"  beats {{ port => {logs.beats_port} }}\n"
        "}\n"
        "filter {\n"
        "  # Filebeat already parsed each NDJSON line; drop its copy of the raw line.\n"
        "  mutate { remove_field => [\"event.original\"] }\n"
        "}\n"
        "output {\n"
        "  # Audit lines (instrumentation.audit) go to their own index, kept longer.\n"
        "  if [event][dataset] == \"obscode.audit\" {\n"
        "    elasticsearch {\n"
        f"      hosts => [{hosts}]\n"
        "      data_stream => \"false\"\n"
        f"      index => \"{kibana.audit_index_of(stack)}\"\n"
        "      action => \"create\"\n"
        "      manage_template => false\n"
        "    }\n"
        "  } else {\n"
        "    elasticsearch {\n"
        f"      hosts => [{hosts}]\n"
        "      data_stream => \"false\"\n"
        f"      index => \"{index}\"\n"
        "      action => \"create\"\n"
        "      manage_template => false\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def ilm_policy(policy: IlmPolicy) -> dict[str, Any]:
    """The body of ``PUT _ilm/policy/<index>-policy``: hot (rollover) then delete. The model's
    three fields fill Elasticsearch's fixed phase layout, so this is a template, not a walk."""
    # ILM takes d/h/m/s units; Prometheus-style durations in those units are valid as-is.
    return {"policy": {"phases": {
        "hot": {"min_age": "0ms", "actions": {"rollover": {
            "max_age": policy.rollover_max_age,
            "max_primary_shard_size": policy.rollover_max_primary_shard_size,
        }}},
        "delete": {"min_age": policy.delete_after, "actions": {"delete": {}}},
    }}}


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False) + "\n").encode("utf-8")


def emit(stack: Stack) -> dict[str, bytes]:
    if getattr(stack, "logs", None) is None:
        return {}  # the stack ships no logs
    index, audit = index_of(stack), kibana.audit_index_of(stack)
    return {
        "elk/filebeat/filebeat.yml": dump(filebeat(stack), header_for(stack.name)),
        f"elk/logstash/pipeline/{stack.name}.conf": logstash_pipeline(stack).encode("utf-8"),
        f"elk/elasticsearch/index_template/{index}.json": _json(index_template(stack)),
        f"elk/elasticsearch/ilm_policy/{index}-policy.json": _json(ilm_policy(logs_of(stack).ilm)),
        f"elk/elasticsearch/index_template/{audit}.json": _json(audit_index_template(stack)),
        f"elk/elasticsearch/ilm_policy/{audit}-policy.json": _json(ilm_policy(logs_of(stack).audit_ilm)),
        paths.KIBANA_SAVED_OBJECTS: kibana.ndjson(stack, field_mappings(logs_of(stack))),
    }
