"""thanos/rules/<file>.yml: the rule files for Thanos Ruler (``thanos rule --rule-file``), one per
rule file of the stack: its Prometheus groups, each with ``partial_response_strategy`` — the
group's own value, else ``abort`` for a group holding alerts (an alert must not fire, or resolve,
on an answer from only some stores). A recording-only group without a value carries no field,
and Thanos applies its own default (docs/thanos-mimir.md)."""

from __future__ import annotations

from typing import Any, Literal

from obscode import paths
from obscode.emit._rule_format import PromGroup, StrictFormat, validated
from obscode.emit.prometheus import rule_file_data as prometheus_rule_file_data
from obscode.emit.yaml_out import dump, header_for
from obscode.model.rules import AlertRule, RuleFile, RuleGroup
from obscode.stack import Stack

#: The name of this output in ``Stack.outputs``.
FORMAT = "thanos"

#: What obscode writes for a group holding alerts that sets no strategy.
ALERTING_DEFAULT = "abort"


class ThanosGroup(PromGroup):
    """A Thanos Ruler rule group: a Prometheus group and its partial-response strategy."""

    partial_response_strategy: Literal["abort", "warn"] | None = None


class ThanosRuleFile(StrictFormat):
    """A Thanos Ruler rule file: ``groups`` only."""

    groups: list[ThanosGroup]


def partial_response_strategy(group: RuleGroup) -> str | None:
    """The strategy written for ``group``: its own, ``abort`` when it holds an alert, else None."""
    if group.partial_response_strategy is not None:
        return group.partial_response_strategy
    if any(isinstance(rule, AlertRule) for rule in group.rules):
        return ALERTING_DEFAULT
    return None


def rule_file_data(rule_file: RuleFile) -> dict[str, Any]:
    """``rule_file`` as Thanos Ruler reads it: ``{"groups": [...]}``."""
    groups = []
    for group, data in zip(rule_file.groups, prometheus_rule_file_data(rule_file)["groups"], strict=True):
        strategy = partial_response_strategy(group)
        out = {key: value for key, value in data.items() if key != "rules"}
        if strategy is not None:
            out["partial_response_strategy"] = strategy
        out["rules"] = data["rules"]
        groups.append(out)
    return validated(ThanosRuleFile, {"groups": groups}, f"Thanos rule file {rule_file.name}")


def emit(stack: Stack) -> dict[str, bytes]:
    header = header_for(stack.name)
    return {paths.thanos_rule_file(rule_file.name): dump(rule_file_data(rule_file), header)
            for rule_file in stack.rule_files}
