"""Prometheus rule files: groups of alerting and recording rules, every expression parsed."""

from __future__ import annotations

import re
from typing import Annotated, Any

import promql_parser
from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator

from obscode.model.base import Model
from obscode.model.duration import Duration

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_FILE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


def parse_promql(expr: str) -> Any:
    """The promql-parser AST, or ``ValueError`` quoting the parser."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("expr is empty; write a PromQL expression")
    try:
        return promql_parser.parse(expr)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"PromQL syntax error: {exc} (in: {expr.strip()})") from None


def _label_names(value: dict[str, str], what: str) -> dict[str, str]:
    for name in value:
        if not _LABEL_NAME.match(name):
            raise ValueError(f"{what} {name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        if name.startswith("__"):
            raise ValueError(f"{what} {name!r}: names starting with '__' are reserved by Prometheus")
    return value


def _parsed(expr: str) -> str:
    parse_promql(expr)
    return expr


#: A PromQL expression, parsed when the rule is defined.
PromQL = Annotated[str, AfterValidator(_parsed)]
Labels = Annotated[dict[str, str], AfterValidator(lambda v: _label_names(v, "label"))]
Annotations = Annotated[dict[str, str], AfterValidator(lambda v: _label_names(v, "annotation"))]


class AlertRule(Model):
    kind = "alert"
    name_field = "alert"

    alert: str
    expr: PromQL
    for_: Duration | None = Field(default=None, alias="for")
    keep_firing_for: Duration | None = None
    labels: Labels = Field(default_factory=dict)
    annotations: Annotations = Field(default_factory=dict)

    @field_validator("alert")
    @classmethod
    def check_name(cls, value: str) -> str:
        if not _METRIC_NAME.match(value) or ":" in value:
            raise ValueError(f"alert name {value!r} must match [a-zA-Z_][a-zA-Z0-9_]*, e.g. HighCpuUsage")
        return value

    @property
    def name(self) -> str:
        return self.alert

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alert": self.alert, "expr": self.expr.strip()}
        if self.for_:
            out["for"] = self.for_
        if self.keep_firing_for:
            out["keep_firing_for"] = self.keep_firing_for
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


class RecordingRule(Model):
    kind = "recording rule"
    name_field = "record"

    record: str
    expr: PromQL
    labels: Labels = Field(default_factory=dict)

    @field_validator("record")
    @classmethod
    def check_name(cls, value: str) -> str:
        if not _METRIC_NAME.match(value):
            raise ValueError(f"record {value!r} is not a valid metric name, e.g. job:http_requests:rate5m")
        return value

    @property
    def name(self) -> str:
        return self.record

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record": self.record, "expr": self.expr.strip()}
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


def _rule_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "record" if "record" in value else "alert"
    return "record" if isinstance(value, RecordingRule) else "alert"


Rule = Annotated[
    Annotated[AlertRule, Tag("alert")] | Annotated[RecordingRule, Tag("record")],
    Discriminator(_rule_kind),
]


class RuleGroup(Model):
    kind = "rule group"
    name_field = "name"

    name: str
    rules: list[Rule]
    interval: Duration | None = None
    limit: int | None = None

    @field_validator("rules")
    @classmethod
    def check_rules(cls, rules: list[Rule]) -> list[Rule]:
        if not rules:
            raise ValueError("a rule group needs at least one rule; remove the group or add rules")
        seen: set[str] = set()
        for rule in rules:
            if isinstance(rule, AlertRule):
                if rule.alert in seen:
                    raise ValueError(f"alert {rule.alert!r} is defined twice in this group; rename or remove one")
                seen.add(rule.alert)
        return rules

    @field_validator("name")
    @classmethod
    def check_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("group name is empty")
        return value

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.interval:
            out["interval"] = self.interval
        if self.limit is not None:
            out["limit"] = self.limit
        out["rules"] = [rule.render() for rule in self.rules]
        return out


class RuleFile(Model):
    """One ``rules/<name>.yml`` file; ``rule_files`` in prometheus.yml is derived from these."""

    kind = "rule file"
    name_field = "name"

    name: str
    groups: list[RuleGroup]

    @field_validator("name")
    @classmethod
    def check_name(cls, value: str) -> str:
        if value.endswith((".yml", ".yaml")):
            value = value.rsplit(".", 1)[0]
        if not _FILE_NAME.match(value):
            raise ValueError(f"rule file name {value!r} may hold letters, digits, '_', '-' and '.' only")
        return value

    @field_validator("groups")
    @classmethod
    def check_groups(cls, groups: list[RuleGroup]) -> list[RuleGroup]:
        if not groups:
            raise ValueError("a rule file needs at least one group")
        return groups

    @property
    def path(self) -> str:
        return f"rules/{self.name}.yml"

    def alerts(self) -> list[AlertRule]:
        return [r for g in self.groups for r in g.rules if isinstance(r, AlertRule)]

    def render(self) -> dict[str, Any]:
        return {"groups": [g.render() for g in self.groups]}
