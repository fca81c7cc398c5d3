"""`obscode import rules`: rule files and PrometheusRule resources -> rules.py."""

from __future__ import annotations

from pathlib import Path

from obscode.importers import roundtrip
from tests.importers.helpers import generated, imported, load_yaml, obscode, tree, write

ALERTS = """\
groups:
- name: node
  rules:
  - alert: HostDown
    expr: up{job="node"} == 0
    for: 5m
    labels:
      severity: critical
    annotations:
      summary: Host {{ $labels.instance }} is down
      description: |
        The host has not answered
        for five minutes.
  - alert: HostHighLoad
    expr: |
      sum by (instance) (rate(node_cpu_seconds_total{job="node", mode!="idle"}[5m]))
        /
      count by (instance) (node_cpu_seconds_total{job="node", mode="idle"})
        > 0.8
    keep_firing_for: 10m
  - record: instance:node_load1:avg
    expr: avg by (instance) (node_load1)
    labels:
      source: node
"""


def test_a_rule_file_round_trips_through_generate(tmp_path: Path) -> None:
    source = write(tmp_path / "in" / "alerts.yaml", ALERTS)
    imported("rules", source, stack=tmp_path / "stack")
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip([source], out) == []
    # prometheus=None: no prometheus.yml; the alert tests obscode synthesises sit beside the rules
    assert sorted(p for p in tree(out / "prometheus") if not p.startswith("tests/")) == ["rules/alerts.yml"]


def test_rules_are_written_as_alert_rule_and_recording_rule_calls(tmp_path: Path) -> None:
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "rules.py").read_text()
    assert "from obscode import AlertRule, RecordingRule, RuleFile, RuleGroup" in code
    assert "        AlertRule(\n            alert=\"HostDown\",\n" in code
    assert "RecordingRule(" in code and 'for_="5m"' in code and 'keep_firing_for="10m"' in code
    assert 'alerts = RuleFile(name="alerts", groups=[node])' in code
    assert "rule_files = [alerts]" in code


def test_a_multi_line_expression_keeps_the_authors_layout(tmp_path: Path) -> None:
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "rules.py").read_text()
    assert 'expr=dedent("""\n' \
           '                sum by (instance) (rate(node_cpu_seconds_total{job="node", mode!="idle"}[5m]))\n' \
           '                  /\n' in code
    assert "from textwrap import dedent" in code


def test_an_expression_with_double_quotes_is_a_single_quoted_literal(tmp_path: Path) -> None:
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=tmp_path / "stack")
    assert "expr='up{job=\"node\"} == 0'," in (tmp_path / "stack" / "rules.py").read_text()


def test_a_multi_line_annotation_is_written_line_by_line(tmp_path: Path) -> None:
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=tmp_path / "stack")
    assert '"description": (\n                    "The host has not answered\\n"\n' \
           '                    "for five minutes.\\n"\n' in (tmp_path / "stack" / "rules.py").read_text()


def test_a_prometheus_rule_resource_is_unwrapped_and_other_documents_are_skipped(tmp_path: Path) -> None:
    source = write(tmp_path / "k8s.yaml", """\
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: node-rules
  labels: {role: alert-rules}
spec:
  groups:
  - name: node
    rules:
    - alert: HostDown
      expr: up == 0
""")
    result = imported("rules", source, stack=tmp_path / "stack")
    assert "k8s.yaml:1: warning: document 1 is a ConfigMap (v1), not a PrometheusRule: skipped" in result.output
    assert "PrometheusRule node-rules: its groups are imported; its metadata" in result.output
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip([source], out) == []


def test_a_kubernetes_list_of_prometheus_rules_is_unwrapped(tmp_path: Path) -> None:
    source = write(tmp_path / "export.yaml", """\
apiVersion: v1
kind: List
items:
- apiVersion: monitoring.coreos.com/v1
  kind: PrometheusRule
  metadata: {name: a}
  spec:
    groups:
    - name: a
      rules:
      - record: a:up
        expr: up
- apiVersion: monitoring.coreos.com/v1
  kind: PrometheusRule
  metadata: {name: b}
  spec:
    groups:
    - name: b
      rules:
      - alert: B
        expr: up == 0
""")
    imported("rules", source, stack=tmp_path / "stack")
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert [g["name"] for g in load_yaml(out / "prometheus/rules/export.yml")["groups"]] == ["a", "b"]  # type: ignore[index]
    assert roundtrip.rules_round_trip([source], out) == []


def test_a_file_holding_only_null_is_reported_empty_and_skipped(tmp_path: Path) -> None:
    empty = write(tmp_path / "rules.yaml", "null\n")
    result = imported("rules", write(tmp_path / "alerts.yaml", ALERTS), empty, stack=tmp_path / "stack")
    assert "rules.yaml: holds no rule groups (empty): skipped" in result.output
    assert sorted(tree(generated(tmp_path / "stack", tmp_path / "out") / "prometheus" / "rules")) == ["alerts.yml"]


def test_only_empty_files_import_nothing(tmp_path: Path) -> None:
    result = obscode("import", "rules", write(tmp_path / "a.yaml", "groups: []\n"), write(tmp_path / "b.yaml", "{}\n"),
                     "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "a.yaml: error: holds no rule groups: nothing to import" in result.output
    assert not (tmp_path / "stack").exists()


def test_every_problem_of_a_file_is_reported_with_its_line_and_nothing_is_written(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", """\
groups:
- name: g
  rules:
  - alert: A
    expr: up == 0
    for: 5 minutes
  - alert: B
    expr: sum(rate(x[5m])
  - record: ok:rule
    expr: up
""")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "bad.yaml:6: error: alert A, field 'for': '5 minutes' is not a Prometheus duration" in result.output
    assert "bad.yaml:8: error: alert B, field 'expr': PromQL syntax error" in result.output
    assert "import: 2 error(s); nothing written" in result.output
    assert not (tmp_path / "stack").exists()


def test_an_unknown_rule_field_is_an_error_at_its_line(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    severity: page\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert ("bad.yaml:6: error: unknown rule field 'severity'; a rule takes: alert, record, expr, for, "
            "keep_firing_for, labels, annotations") in result.output


def test_a_rule_with_both_alert_and_record_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - alert: A\n    record: a:b\n    expr: up\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert "bad.yaml:4: error: a rule needs exactly one of alert (an alerting rule) or record" in result.output


def test_a_rule_without_expr_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - alert: A\n    for: 5m\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert "bad.yaml:4: error: alert A, field 'expr': is missing; write a PromQL expression" in result.output


def test_a_recording_rule_with_for_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - record: a:b\n    expr: up\n    for: 5m\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert "bad.yaml:6: error: record a:b, field 'for': is only for alerting rules" in result.output


def test_a_label_name_the_model_refuses_is_an_error_at_the_labels(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n"
                                          "    labels:\n      bad-name: x\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "bad.yaml:6: error: alert A, field 'labels': label 'bad-name' is not a valid label name" in result.output


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    expr: down\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert "bad.yaml:6: error: key 'expr' is given twice in this mapping; keep one" in result.output


def test_invalid_yaml_is_an_error_at_its_line(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules: [\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "bad.yaml:4: error: is not valid YAML" in result.output


def test_a_group_repeated_in_a_file_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n"
                                          "- name: g\n  rules:\n  - record: b\n    expr: up\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert ("bad.yaml:6: error: group 'g' is defined twice in this file (first at line 2); "
            "Prometheus rejects repeated group names") in result.output


def test_a_group_field_obscode_cannot_express_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  labels: {team: a}\n  rules:\n  - record: a\n    expr: up\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert ("bad.yaml:3: error: group field 'labels' (Prometheus 3.0) cannot be expressed by "
            "obscode's RuleGroup yet") in result.output


def test_an_unknown_group_field_is_an_error(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  every: 1m\n  rules:\n  - record: a\n    expr: up\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert ("bad.yaml:3: error: unknown group field 'every'; a group takes: name, interval, query_offset, "
            "limit, rules") in result.output


def test_group_settings_are_kept(tmp_path: Path) -> None:
    source = write(tmp_path / "r.yaml", "groups:\n- name: g\n  interval: 30s\n  query_offset: 1m\n  limit: 10\n"
                                        "  rules:\n  - record: a\n    expr: up\n")
    imported("rules", source, stack=tmp_path / "stack")
    assert 'interval="30s",\n    query_offset="1m",\n    limit=10,\n' in (tmp_path / "stack" / "rules.py").read_text()
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip([source], out) == []


def test_a_feature_newer_than_the_default_target_raises_the_stacks_target_version(tmp_path: Path) -> None:
    source = write(tmp_path / "r.yaml", "groups:\n- name: g\n  query_offset: 1m\n  rules:\n  - record: a\n    expr: up\n")
    result = imported("rules", source, stack=tmp_path / "stack")
    assert "the stack targets prometheus_version 2.53: the input uses rule group query_offset (rule group g)" in result.output
    assert ('    # The input uses rule group query_offset (rule group g).\n    prometheus_version="2.53",\n'
            in (tmp_path / "stack" / "__init__.py").read_text())


def test_a_group_without_rules_is_imported_as_prometheus_loads_it(tmp_path: Path) -> None:
    source = write(tmp_path / "r.yaml", "groups:\n- name: empty\n  rules: []\n- name: g\n  rules:\n  - record: a\n    expr: up\n")
    result = imported("rules", source, stack=tmp_path / "stack")
    assert "r.yaml:2: group empty has no rules: imported as an empty group (it evaluates nothing)" in result.output
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip([source], out) == []


def test_files_of_the_same_name_get_their_folder_as_prefix(tmp_path: Path) -> None:
    one = write(tmp_path / "node" / "alerts.yaml", ALERTS)
    two = write(tmp_path / "db" / "alerts.yaml", "groups:\n- name: db\n  rules:\n  - record: a\n    expr: up\n")
    result = imported("rules", one, two, stack=tmp_path / "stack")
    assert "rule file named 'node-alerts' ('alerts' is also the name of another input file)" in result.output
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert sorted(tree(out / "prometheus" / "rules")) == ["db-alerts.yml", "node-alerts.yml"]
    assert roundtrip.rules_round_trip([one, two], out) == []


def test_groups_of_the_same_name_in_two_files_are_renamed(tmp_path: Path) -> None:
    one = write(tmp_path / "a.yaml", "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n")
    two = write(tmp_path / "b.yaml", "groups:\n- name: g\n  rules:\n  - record: b\n    expr: up\n")
    result = imported("rules", one, two, stack=tmp_path / "stack")
    assert "group 'g' renamed 'g-a': another input file has a group of that name" in result.output
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert [g["name"] for g in load_yaml(out / "prometheus/rules/b.yml")["groups"]] == ["g-b"]  # type: ignore[index]
    assert roundtrip.rules_round_trip([one, two], out) == []


def test_the_rule_comparison_sees_a_changed_expression_label_and_duration() -> None:
    original = [{"name": "g", "rules": [{"alert": "A", "expr": "up == 0", "for": "5m", "labels": {"s": "x"}}]}]
    same = [{"name": "g", "rules": [{"alert": "A", "expr": "up==0", "for": "300s", "labels": {"s": "x"}}]}]
    changed = [{"name": "g", "rules": [{"alert": "A", "expr": "up == 1", "for": "6m", "labels": {"s": "y"}}]}]
    assert roundtrip.rules_differences(original, same) == []
    found = roundtrip.rules_differences(original, changed)
    assert sorted(line.split(": ")[1].split(" ")[0] for line in found) == ["expr", "for", "labels"]


def test_thanos_and_mimir_group_fields_are_kept(tmp_path: Path) -> None:
    source = write(tmp_path / "r.yaml", "groups:\n- name: g\n  partial_response_strategy: warn\n"
                                        "  source_tenants: [team-a, team-b]\n"
                                        "  rules:\n  - record: a\n    expr: up\n")
    imported("rules", source, stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "rules.py").read_text()
    assert "partial_response_strategy=\"warn\"" in code and "source_tenants=[\"team-a\", \"team-b\"]" in code
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.rules_round_trip([source], out) == []


def test_a_bad_partial_response_strategy_is_an_error_at_its_line(tmp_path: Path) -> None:
    source = write(tmp_path / "bad.yaml", "groups:\n- name: g\n  partial_response_strategy: drop\n"
                                          "  source_tenants: tenant-a\n  rules:\n  - record: a\n    expr: up\n")
    result = obscode("import", "rules", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert "bad.yaml:3: error: group g: partial_response_strategy must be abort or warn, not 'drop'" in result.output
    assert "bad.yaml:4: error: group g: source_tenants must be a list of tenant IDs" in result.output
