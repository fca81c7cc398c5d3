"""The Kibana saved objects of the elk output: Kibana's saved-object shape (typed in from its
saved-object types, extra keys forbidden), every field a saved search names mapped by the index
it reads, stable ids, and the errors for a broken file or a field no index maps.

No Kibana runs here: the file is checked against the shapes and the index template, not imported."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from pydantic import ValidationError

from obscode import Stack, paths
from obscode.emit import elk, kibana
from obscode.emit.kibana_shapes import DataViewAttributes, SavedObject, SearchAttributes, parse_ndjson
from obscode.loader import load
from obscode.model.logs import LogsConfig
from tests.conftest import ROOT
from tests.elk.ecs import ECS_TYPES, mapping_types

#: ECS 8.11 reference types of the audit fields (typed in from the ECS field reference).
ECS_AUDIT_TYPES = {"event.category": "keyword", "event.action": "keyword", "event.outcome": "keyword",
                   "user.id": "keyword", "source.address": "keyword"}


@pytest.fixture(scope="module")
def quantis() -> Stack:
    return load(ROOT / "stacks" / "quantis").stack


def _objects(stack: Stack) -> list[SavedObject]:
    return parse_ndjson(elk.emit(stack)[paths.KIBANA_SAVED_OBJECTS])


def _by_title(objects: list[SavedObject]) -> dict[str, SavedObject]:
    return {obj.attributes.title: obj for obj in objects}


def _lines(stack: Stack) -> list[dict]:
    return [json.loads(line) for line in elk.emit(stack)[paths.KIBANA_SAVED_OBJECTS].decode().splitlines()]


def test_the_elk_output_writes_two_data_views_and_three_saved_searches(quantis: Stack) -> None:
    objects = _objects(quantis)
    assert [(obj.type, obj.attributes.title) for obj in objects] == [
        ("index-pattern", "quantis-logs*"), ("index-pattern", "quantis-audit*"),
        ("search", "quantis: errors by service"), ("search", "quantis: audit events"),
        ("search", "quantis: trace lookup"),
    ]


def test_each_line_is_a_compact_saved_object_with_type_id_and_attributes(quantis: Stack) -> None:
    content = elk.emit(quantis)[paths.KIBANA_SAVED_OBJECTS].decode()
    assert content.endswith("}\n") and "\n\n" not in content
    for line in content.splitlines():
        data = json.loads(line)
        assert list(data)[:3] == ["type", "id", "attributes"]
        assert json.dumps(data, separators=(",", ":")) == line


@pytest.mark.parametrize("mode", ["ecs", "json"])
def test_every_field_a_logs_search_names_is_mapped_by_the_index_template(quantis: Stack, mode: str) -> None:
    stack = quantis.model_copy(update={"logs": LogsConfig(log_format=mode)})
    types = mapping_types(elk.index_template(stack)["template"]["mappings"]["properties"])
    logs_view = _objects(stack)[0]
    for obj in _objects(stack):
        if obj.type != "search" or obj.references[0].id != logs_view.id:
            continue
        attributes = obj.attributes
        assert isinstance(attributes, SearchAttributes)
        query = attributes.kibanaSavedObjectMeta.source().query.query
        for field in [*attributes.fields(), *re.findall(r"([\w.@]+):", query)]:
            assert field in types, (attributes.title, field)
        for field, _ in attributes.sort:
            assert types[field] == "date", (attributes.title, field)
        if attributes.breakdownField:
            assert types[attributes.breakdownField] == "keyword"


@pytest.mark.parametrize("mode", ["ecs", "json"])
def test_the_logs_data_view_time_field_and_trace_link_are_mapped(quantis: Stack, mode: str) -> None:
    stack = quantis.model_copy(update={"logs": LogsConfig(log_format=mode)})
    types = mapping_types(elk.index_template(stack)["template"]["mappings"]["properties"])
    attributes = _objects(stack)[0].attributes
    assert isinstance(attributes, DataViewAttributes)
    assert types[attributes.timeFieldName] == "date"
    (trace_field,) = attributes.formats()
    assert types[trace_field] == "keyword"
    assert elk.index_template(stack)["index_patterns"] == [attributes.title]


def test_the_audit_search_reads_only_ecs_audit_fields(quantis: Stack) -> None:
    audit = _by_title(_objects(quantis))["quantis: audit events"].attributes
    assert isinstance(audit, SearchAttributes)
    declared = {m.name: m.type for m in kibana.AUDIT_FIELDS}
    assert set(audit.fields()) <= set(declared)
    assert audit.kibanaSavedObjectMeta.source().query.query == "event.category:*"
    for name, es_type in declared.items():
        assert es_type == {**ECS_TYPES, **ECS_AUDIT_TYPES}[name], name


def test_searches_point_at_their_data_view(quantis: Stack) -> None:
    objects = _by_title(_objects(quantis))
    logs, audit = objects["quantis-logs*"].id, objects["quantis-audit*"].id
    assert [ref.id for ref in objects["quantis: errors by service"].references] == [logs]
    assert [ref.id for ref in objects["quantis: trace lookup"].references] == [logs]
    assert [ref.id for ref in objects["quantis: audit events"].references] == [audit]


def test_errors_by_service_keeps_error_and_critical_lines_split_by_service(quantis: Stack) -> None:
    errors = _by_title(_objects(quantis))["quantis: errors by service"].attributes
    assert isinstance(errors, SearchAttributes)
    assert errors.kibanaSavedObjectMeta.source().query.query == "log.level:(ERROR or CRITICAL)"
    assert errors.breakdownField == "service.name" and errors.sort == [("@timestamp", "desc")]


def test_a_trace_id_in_any_log_line_links_to_the_trace_lookup(quantis: Stack) -> None:
    objects = _by_title(_objects(quantis))
    lookup = objects["quantis: trace lookup"]
    assert isinstance(lookup.attributes, SearchAttributes) and lookup.attributes.sort == [("@timestamp", "asc")]
    view = objects["quantis-logs*"].attributes
    assert isinstance(view, DataViewAttributes)
    template = view.formats()["trace.id"].params.urlTemplate
    url = template.replace("{{value}}", "4bf92f3577b34da6a3ce929d0e0e4736")
    assert url == (f"/app/discover#/view/{lookup.id}?_a=(query:(language:kuery,"
                   "query:'trace.id:\"4bf92f3577b34da6a3ce929d0e0e4736\"'))")


def test_audit_index_defaults_to_stack_audit_and_can_be_set(quantis: Stack) -> None:
    assert kibana.audit_index_of(quantis) == "quantis-audit"
    stack = quantis.model_copy(update={"logs": LogsConfig(audit_index="security-audit")})
    assert _objects(stack)[1].attributes.title == "security-audit*"


def test_ids_are_uuid5_of_stack_and_name_and_stable(quantis: Stack) -> None:
    ids = [obj.id for obj in _objects(quantis)]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 5 for i in ids)
    # Pinned: a changed id would make a re-import create duplicates instead of overwriting.
    assert kibana.object_id("quantis", "index-pattern", "logs") == "352d70be-c864-5263-ac1e-d2544dbdb8e1"
    other = quantis.model_copy(update={"name": "shop", "logs_index": "shop-logs"})
    assert not set(ids) & {obj.id for obj in _objects(other)}
    assert elk.emit(quantis)[paths.KIBANA_SAVED_OBJECTS] == elk.emit(quantis)[paths.KIBANA_SAVED_OBJECTS]


def test_a_search_naming_a_field_the_index_does_not_map_is_an_error(quantis: Stack) -> None:
    fields = [m for m in elk.field_mappings(LogsConfig()) if m.name != "error.type"]
    with pytest.raises(ValueError, match="Kibana saved search 'errors-by-service' names field 'error.type', "
                                         "which the quantis-logs index does not map"):
        kibana.ndjson(quantis, fields)


def test_a_data_view_naming_a_field_the_index_does_not_map_is_an_error(quantis: Stack) -> None:
    fields = [m for m in elk.field_mappings(LogsConfig()) if m.name != "@timestamp"]
    with pytest.raises(ValueError, match="'@timestamp', which the quantis-logs index does not map"):
        kibana.ndjson(quantis, fields)


def test_the_shape_forbids_an_attribute_kibana_does_not_know(quantis: Stack) -> None:
    line = _lines(quantis)[2]
    line["attributes"]["colums"] = line["attributes"].pop("columns")
    with pytest.raises(ValidationError, match="colums"):
        SavedObject.model_validate(line)


def test_the_shape_checks_the_search_source_inside_its_json_string(quantis: Stack) -> None:
    line = _lines(quantis)[2]
    source = json.loads(line["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    source["query"]["language"] = "sql"
    line["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"] = json.dumps(source)
    with pytest.raises(ValidationError, match="kuery"):
        SavedObject.model_validate(line)


def test_a_search_without_its_data_view_reference_is_an_error(quantis: Stack) -> None:
    line = _lines(quantis)[2]
    line["references"] = []
    with pytest.raises(ValidationError, match="names data view reference 'kibanaSavedObjectMeta"):
        SavedObject.model_validate(line)


def test_a_file_whose_search_references_a_missing_data_view_is_an_error(quantis: Stack) -> None:
    content = elk.emit(quantis)[paths.KIBANA_SAVED_OBJECTS]
    without_views = b"\n".join(content.splitlines()[2:])
    with pytest.raises(ValueError, match=r"search .* references index-pattern .*, which the file does not hold"):
        parse_ndjson(without_views)


def _flat(doc: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_every_audit_line_the_instrumentation_writes_has_the_audit_views_fields(tmp_path) -> None:
    from instrumentation.audit import AuditConfig, Auditor
    from instrumentation.metrics import MetricsPipeline

    path = tmp_path / "audit.ndjson"
    auditor = Auditor(AuditConfig(service="api", key=b"k" * 32, log_file=str(path), resources=("forecast",),
                                  limits=("login",)), metrics=MetricsPipeline())
    try:
        auditor.authentication(False, "password", user_id="uid:alice", client="203.0.113.7")
        auditor.authorization("deny", "forecast", "read", user_id="uid:alice", client="203.0.113.7")
        auditor.rate_limited("login", user_id="uid:alice", client="203.0.113.7")
        auditor.data_access("forecast", "read", user_id="uid:alice", client="203.0.113.7")
    finally:
        auditor.close()
    lines = [_flat(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    for line in lines:
        for mapping in kibana.AUDIT_FIELDS:
            value = line[mapping.name]
            if mapping.type == "keyword":
                assert isinstance(value, str) or all(isinstance(v, str) for v in value), mapping.name
        assert line["service.name"] == "api" and "uid:alice" not in json.dumps(line)
