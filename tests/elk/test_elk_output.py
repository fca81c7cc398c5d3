"""The generated ELK files: every instrumentation log field mapped with its ECS type,
Filebeat reading NDJSON, Logstash writing to the index, ILM policy, and the errors a user
gets for bad log settings."""

from __future__ import annotations

import json

import pytest
import yaml

from instrumentation.log_fields import LOG_FIELDS
from obscode import Stack
from obscode.emit import elk
from obscode.errors import DefinitionError
from obscode.loader import load
from obscode.model.logs import FieldMapping, IlmPolicy, LogsConfig, nest
from tests.conftest import ROOT
from tests.elk.ecs import ECS_TYPES, check_line, mapping_types

GENERATED = ROOT / "generated" / "quantis" / "elk"


@pytest.fixture(scope="module")
def quantis() -> Stack:
    return load(ROOT / "stacks" / "quantis").stack


def _types(stack: Stack) -> dict[str, str]:
    return mapping_types(elk.index_template(stack)["template"]["mappings"]["properties"])


@pytest.mark.parametrize("mode", ["ecs", "json"])
def test_every_logged_field_is_mapped_with_its_type(quantis: Stack, mode: str) -> None:
    stack = quantis.model_copy(update={"logs": LogsConfig(log_format=mode)})
    types = _types(stack)
    for field in LOG_FIELDS[mode]:
        assert types.get(field.name) == field.type, field.name


def test_ecs_fields_have_the_ecs_reference_types(quantis: Stack) -> None:
    types = _types(quantis)
    for field in LOG_FIELDS["ecs"]:
        if field.ecs:
            assert types[field.name] == ECS_TYPES[field.name], field.name


def test_generated_tree_is_what_the_emitter_produces(quantis: Stack) -> None:
    for relative, content in elk.emit(quantis).items():
        assert (ROOT / "generated" / "quantis" / relative).read_bytes() == content, relative


def test_filebeat_reads_ndjson_into_top_level_keys() -> None:
    config = yaml.safe_load((GENERATED / "filebeat" / "filebeat.yml").read_text())
    source, audit = config["filebeat.inputs"]
    for stream in (source, audit):
        assert stream["type"] == "filestream" and stream["id"]
        (parser,) = stream["parsers"]
        assert parser["ndjson"]["target"] == "" and parser["ndjson"]["expand_keys"] is True
    assert audit["paths"] == ["/var/log/quantis/audit/*.ndjson"]
    assert config["output.logstash"]["hosts"] == ["logstash:5044"]


def test_filebeat_can_ship_straight_to_elasticsearch(quantis: Stack) -> None:
    stack = quantis.model_copy(update={"logs": LogsConfig(output="elasticsearch", paths=["/srv/logs/*.ndjson"])})
    config = elk.filebeat(stack)
    assert config["output.elasticsearch"] == {"hosts": ["http://elasticsearch:9200"], "index": stack.logs_index}
    assert config["filebeat.inputs"][0]["paths"] == ["/srv/logs/*.ndjson"]
    assert config["filebeat.inputs"][1]["index"] == f"{stack.name}-audit"  # its own index, not the logs'


def test_a_stack_that_defines_no_logs_gets_no_elk_output(quantis: Stack) -> None:
    from obscode.emit import render

    quiet = quantis.model_copy(update={"logs": None})
    files = render(quiet)
    assert not [path for path in files if path.startswith("elk/")]
    datasources = yaml.safe_load(files["grafana/provisioning/datasources/datasources.yml"])["datasources"]
    assert [d["type"] for d in datasources] == ["prometheus"]
    assert any(path.startswith("elk/") for path in render(quantis))


def test_logstash_pipeline_writes_to_the_stack_index() -> None:
    text = (GENERATED / "logstash" / "pipeline" / "quantis.conf").read_text()
    assert "beats { port => 5044 }" in text
    assert 'index => "quantis-logs"' in text and 'hosts => ["http://elasticsearch:9200"]' in text


def test_template_uses_the_ilm_policy_and_covers_the_index() -> None:
    template = json.loads((GENERATED / "elasticsearch" / "index_template" / "quantis-logs.json").read_text())
    policy = json.loads((GENERATED / "elasticsearch" / "ilm_policy" / "quantis-logs-policy.json").read_text())
    assert template["index_patterns"] == ["quantis-logs*"]
    assert template["template"]["settings"]["index.lifecycle.name"] == "quantis-logs-policy"
    assert set(policy["policy"]["phases"]) == {"hot", "delete"}
    assert "name" not in template and "name" not in policy  # request bodies: the name is the URL


def test_a_well_formed_line_passes_and_a_bad_one_is_named(quantis: Stack) -> None:
    types = _types(quantis)
    good = {"@timestamp": "2023-04-10T15:23:45.123Z", "log.level": "INFO", "log.logger": "x", "message": "m",
            "ecs.version": "8.11.0", "service": {"name": "api"}, "process": {"pid": 1},
            "trace": {"id": "0" * 32}, "span": {"id": "1" * 16}, "context": {"model_id": "tft-sales"}}
    assert check_line(good, types) == []
    bad = {**good, "@timestamp": "2023-04-10 15:23", "process": {"pid": "1"}, "user_id": "u1"}
    problems = check_line(bad, types)
    assert any("@timestamp" in p and "RFC 3339" in p for p in problems)
    assert "process.pid='1' does not fit mapping type long" in problems
    assert "user_id is not mapped in the index template (dynamic: false drops it)" in problems


def test_relative_log_path_is_refused() -> None:
    with pytest.raises(DefinitionError, match="log path 'logs/app.ndjson' must be absolute"):
        LogsConfig(paths=["logs/app.ndjson"])


def test_elasticsearch_host_without_scheme_is_refused() -> None:
    with pytest.raises(DefinitionError, match="Elasticsearch host 'elasticsearch:9200' must start with http"):
        LogsConfig(elasticsearch_hosts=["elasticsearch:9200"])


def test_ilm_deleting_before_rollover_is_refused() -> None:
    with pytest.raises(DefinitionError, match=r"delete_after \(1h\) is shorter than rollover_max_age \(1d\)"):
        IlmPolicy(delete_after="1h")


def test_ilm_size_must_be_an_elasticsearch_byte_size() -> None:
    with pytest.raises(DefinitionError, match="'50 GB' is not an Elasticsearch byte size"):
        IlmPolicy(rollover_max_primary_shard_size="50 GB")


def test_a_field_both_leaf_and_object_is_refused() -> None:
    with pytest.raises(ValueError, match="field 'http.request.method' needs 'http.request' to be an object"):
        nest([FieldMapping(name="http.request", type="keyword"), FieldMapping(name="http.request.method", type="keyword")])


def test_a_field_mapped_twice_with_different_types_is_refused() -> None:
    with pytest.raises(ValueError, match="field 'a.b' is mapped twice: as keyword and as long"):
        nest([FieldMapping(name="a.b", type="keyword"), FieldMapping(name="a.b", type="long")])


def test_the_audit_stream_has_its_own_index_mapping_and_a_longer_lifecycle(quantis: Stack) -> None:
    from instrumentation.audit.fields import AUDIT_LOG_FIELDS

    template = json.loads((GENERATED / "elasticsearch" / "index_template" / "quantis-audit.json").read_text())
    assert template["index_patterns"] == ["quantis-audit*"]
    assert template["template"]["settings"]["index.lifecycle.name"] == "quantis-audit-policy"
    mapped = mapping_types(template["template"]["mappings"]["properties"])
    for field in AUDIT_LOG_FIELDS:
        assert mapped[field.name] == field.type, field.name
    audit = json.loads((GENERATED / "elasticsearch" / "ilm_policy" / "quantis-audit-policy.json").read_text())
    logs = json.loads((GENERATED / "elasticsearch" / "ilm_policy" / "quantis-logs-policy.json").read_text())
    assert audit["policy"]["phases"]["delete"]["min_age"] == "365d"
    assert logs["policy"]["phases"]["delete"]["min_age"] == "30d"
    pipeline = (GENERATED / "logstash" / "pipeline" / "quantis.conf").read_text()
    assert 'if [event][dataset] == "obscode.audit"' in pipeline and 'index => "quantis-audit"' in pipeline
