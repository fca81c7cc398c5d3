"""promtool check rules on every form the rule groups are written in (prometheus/rules/, the
PrometheusRules' spec.groups, Thanos and Mimir files), each failure on the generated file and
rule at fault, once per form."""

from __future__ import annotations

import yaml

from obscode import AlertRule, KubernetesSettings, RuleFile, RuleGroup, Stack
from obscode.emit import render_stack
from obscode.tools import run_tools
from tests.conftest import require_tool
from tests.kubernetes.crd import assert_valid
from tests.outputs.common import rules_stack

BROKEN = "{{ $labels.job "


def _prometheus_rule(groups: list[dict]) -> dict:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "payments", "namespace": "monitoring"}, "spec": {"groups": groups}}


def _broken_stack(outputs: tuple[str, ...] = ("prometheus", "thanos", "mimir")):  # type: ignore[no-untyped-def]
    rule_file = RuleFile(name="payments", groups=[RuleGroup(name="payments", source_tenants=["team-a"], rules=[
        AlertRule(alert="ApiDown", expr="up == 0"),
        AlertRule(alert="HighLatency", expr="up == 0", annotations={"summary": BROKEN}),
    ])])
    return rules_stack(rule_file, outputs=outputs)


def test_a_prometheus_rule_with_a_thanos_strategy_passes_once_stripped() -> None:
    require_tool("promtool")
    obj = _prometheus_rule([{"name": "payments", "partial_response_strategy": "abort",
                             "rules": [{"alert": "ApiDown", "expr": "up == 0", "for": "5m"}]}])
    assert_valid(obj)  # what the operator accepts ...
    problems, _notes = run_tools("shop", {"kubernetes/prometheusrule-payments.yaml": yaml.safe_dump(obj).encode()})
    assert problems == []  # ... and promtool too, once the Thanos field is left out


def test_a_bad_rule_is_reported_in_every_form_on_its_file_and_definition_line() -> None:
    require_tool("promtool")
    stack = _broken_stack()
    problems, _notes = run_tools("shop", render_stack(stack).files, stack=stack)
    assert sorted((p.file, p.obj, p.field) for p in problems) == [
        ("mimir/rules/payments.yml", "alert HighLatency in group payments", "annotations.summary"),
        ("prometheus/rules/payments.yml", "alert HighLatency in group payments", "annotations.summary"),
        ("thanos/rules/payments.yml", "alert HighLatency in group payments", "annotations.summary"),
    ]
    rule = stack.rule_files[0].groups[0].rules[1]
    assert {p.source for p in problems} == {rule.source} and rule.source is not None
    # one cause: `obscode check` shows it as one mistake with its three locations
    assert len({p.group_key() for p in problems}) == 1
    assert problems[0].message.startswith("promtool: template: __alert_HighLatency:1: unclosed action")


def test_the_spec_groups_of_the_kubernetes_output_are_checked() -> None:
    require_tool("promtool")
    rules = _broken_stack().rule_files
    stack = Stack(name="shop", rule_files=rules, outputs=["prometheus", "kubernetes"],
                  kubernetes=KubernetesSettings(namespace="shop"))
    rendered = render_stack(stack)
    (path,) = rendered.kubernetes_of_kind("PrometheusRule")
    problems, _notes = run_tools("shop", rendered.files, stack=stack)
    assert sorted((p.file, p.obj) for p in problems) == [
        (path, "alert HighLatency in group payments"),
        ("prometheus/rules/payments.yml", "alert HighLatency in group payments")]
    assert problems[0].source == problems[1].source == rules[0].groups[0].rules[1].source


def test_a_form_not_written_is_not_checked() -> None:
    require_tool("promtool")
    stack = _broken_stack(outputs=("prometheus",))
    problems, _notes = run_tools("shop", render_stack(stack).files, stack=stack)
    assert [p.file for p in problems] == ["prometheus/rules/payments.yml"]


def test_a_rule_with_two_faults_is_reported_once_per_form() -> None:
    require_tool("promtool")
    group = {"name": "payments", "rules": [{"alert": "HighLatency", "expr": "up == 0", "labels": {"bad-label": "x"},
                                            "annotations": {"summary": BROKEN}}]}
    files = {"kubernetes/prometheusrule-payments.yaml": yaml.safe_dump(_prometheus_rule([group])).encode(),
             "thanos/rules/payments.yml": yaml.safe_dump({"groups": [group]}).encode()}
    problems, _notes = run_tools("shop", files)
    assert sorted((p.file, p.obj, p.field) for p in problems) == [
        ("kubernetes/prometheusrule-payments.yaml", "alert HighLatency in group payments", None),
        ("thanos/rules/payments.yml", "alert HighLatency in group payments", None),
    ]
    assert problems[0].message == ('promtool: invalid label name: bad-label; annotation "summary": '
                                   "template: __alert_HighLatency:1: unclosed action")


def test_a_file_promtool_cannot_read_is_reported_on_that_file() -> None:
    require_tool("promtool")
    namespace = {"namespace": "payments", "groups": [
        {"name": "payments", "evaluation_delay": "1m", "rules": [{"alert": "ApiDown", "expr": "up == 0"}]}]}
    problems, _notes = run_tools("shop", {"mimir/rules/payments.yml": yaml.safe_dump(namespace).encode()})
    assert [(p.file, p.obj) for p in problems] == [("mimir/rules/payments.yml", "mimir rule groups")]
    assert problems[0].message == ("promtool: yaml: unmarshal errors: "
                                   "field evaluation_delay not found in type rulefmt.RuleGroup")


def test_the_prometheus_rules_messages_stay_as_they_were() -> None:
    require_tool("promtool")
    stack = _broken_stack()
    problems, _notes = run_tools("shop", render_stack(stack).files, stack=stack)
    own = [p for p in problems if p.file.startswith("prometheus/")]
    assert [(p.check, p.obj, p.field, p.cause) for p in own] == [(
        "tools/promtool", "alert HighLatency in group payments", "annotations.summary",
        "promtool check rules: template: __alert_HighLatency:1: unclosed action")]


def test_obscode_check_shows_the_cause_once_with_each_forms_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_tool("promtool")
    from click.testing import CliRunner

    from obscode.cli import main

    source = tmp_path / "shop.py"
    source.write_text("from tests.outputs.test_tools_rule_forms import _broken_stack\nstack = _broken_stack()\n",
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "promtool" in line]
    assert len(lines) == 2, result.output
    assert lines[0].startswith("shop: error[tools/promtool] prometheus/rules/payments.yml: alert HighLatency in "
                               "group payments, field 'annotations.summary': promtool: template: "
                               "__alert_HighLatency:1: unclosed action")
    assert lines[1].strip().startswith("promtool check rules: template: __alert_HighLatency:1: unclosed action: "
                                       "used in 3 places; also thanos/rules/payments.yml: alert HighLatency")
    assert "mimir/rules/payments.yml: alert HighLatency in group payments" in lines[1]
