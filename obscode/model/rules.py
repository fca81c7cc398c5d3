"""Prometheus rule files: groups of alerting and recording rules, every expression parsed.

Names are checked as ``promtool check rules`` checks them (Prometheus 2.x's rulefmt): an
alert name is any non-empty text (it becomes the value of the ``alertname`` label, so
``HostHighCpuLoad (>80%)`` is fine; a control character is refused, see obscode.model.text); a record name is a metric name and label and annotation
names are label names, in the classic character set. Prometheus 3 also accepts UTF-8 record
and label names, but only where every reader of the series does; obscode keeps the classic
set for every target (see docs/versions.md). Features of a newer Prometheus
(``keep_firing_for``, ``query_offset``, a group ``limit``) are checked against the stack's
target version by :mod:`obscode.versions`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import promql_parser
from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator

from obscode.model import text
from obscode.model.base import Model
from obscode.model.duration import Duration

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_FILE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


#: Prometheus 2's holt_winters is Prometheus 3's double_exponential_smoothing (same arguments);
#: promql-parser knows only the new name. Which name the target reads is obscode.versions' job.
_HOLT_WINTERS = re.compile(r"\bholt_winters(\s*\()")


def parseable(expr: str) -> str:
    """``expr`` in the grammar promql-parser reads (Prometheus 3's): holt_winters renamed."""
    return _HOLT_WINTERS.sub(r"double_exponential_smoothing\1", expr) if "holt_winters" in expr else expr


def parse_promql(expr: str) -> Any:
    """The promql-parser AST, or ``ValueError`` quoting the parser."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("expr is empty; write a PromQL expression")
    try:
        return promql_parser.parse(parseable(expr))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"PromQL syntax error: {exc} (in: {expr.strip()})") from None


def _label_names(value: dict[str, str], what: str) -> dict[str, str]:
    text.check_all(value, what, multiline=what == "annotation")
    for name in value:
        if not _LABEL_NAME.match(name):
            raise ValueError(f"{what} {name!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        if what == "label" and name == "__name__":
            raise ValueError("label '__name__' would rename the series; the metric name comes from the "
                             "expression (recording rules: from record)")
    return value


def _parsed(expr: str) -> str:
    parse_promql(expr)
    return expr


def _expression_key(expr: str) -> str:
    """``expr`` as the parser prints it: equal for expressions that differ only in layout."""
    return str(promql_parser.parse(parseable(expr)))


#: A PromQL expression, parsed when the rule is defined.
PromQL = Annotated[str, AfterValidator(_parsed)]
Labels = Annotated[dict[str, str], AfterValidator(lambda v: _label_names(v, "label"))]
Annotations = Annotated[dict[str, str], AfterValidator(lambda v: _label_names(v, "annotation"))]


class AlertRule(Model):
    """An alerting rule: while ``expr`` returns series (for ``for_``), each is an alert sent to Alertmanager."""

    kind = "alert"
    name_field = "alert"

    #: The alert's name: the value of its ``alertname`` label, e.g. ``HighCpuUsage``.
    alert: str
    #: The PromQL condition, parsed when the rule is defined; every series it returns is a firing
    #: alert.
    expr: PromQL
    #: How long the condition must hold before the alert fires (pending until then); YAML ``for``.
    for_: Duration | None = Field(default=None, alias="for")
    #: How long the alert keeps firing after the condition stops holding (Prometheus >= 2.42).
    keep_firing_for: Duration | None = None
    #: Labels added to the alert, e.g. ``{"severity": "critical"}``; routes match on them.
    labels: Labels = Field(default_factory=dict)
    #: Text for the people notified (``summary``, ``description``, ``runbook_url``); may use
    #: templates.
    annotations: Annotations = Field(default_factory=dict)

    @field_validator("alert")
    @classmethod
    def check_name(cls, value: str) -> str:
        if not value:
            raise ValueError("alert name is empty; name the alert, e.g. HighCpuUsage")
        return text.check(value, "alert name")

    @property
    def name(self) -> str:
        return self.alert


class RecordingRule(Model):
    """A recording rule: ``expr`` evaluated at every group interval and stored as the series ``record``."""

    kind = "recording rule"
    name_field = "record"

    #: The name of the series written, a metric name in the ``level:metric:operations`` form.
    record: str
    #: The PromQL expression evaluated at every group interval, parsed when the rule is defined.
    expr: PromQL
    #: Labels added to every recorded series.
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


def _rule_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "record" if "record" in value else "alert"
    return "record" if isinstance(value, RecordingRule) else "alert"


Rule = Annotated[
    Annotated[AlertRule, Tag("alert")] | Annotated[RecordingRule, Tag("record")],
    Discriminator(_rule_kind),
]


class RuleGroup(Model):
    """Rules evaluated together, in order, at one interval (a group of a Prometheus rule file)."""

    kind = "rule group"
    name_field = "name"

    #: The group's name, unique in its file.
    name: str
    #: Alerting and recording rules, evaluated in order (a rule reads the recordings above it).
    rules: list[Rule]
    #: How often the group is evaluated; default: the global ``evaluation_interval``.
    interval: Duration | None = None
    #: How far back the group's queries look (Prometheus >= 2.53).
    query_offset: Duration | None = None
    #: At most this many alerts or series per evaluation, 0 for no limit (Prometheus >= 2.31).
    limit: int | None = None
    #: Thanos Ruler only (the ``thanos`` output): what a query that reached only some stores
    #: does. Default: ``abort`` written for a group holding alerts (an alert must not fire, or
    #: resolve, on partial data); otherwise no field, and Thanos applies its default, also ``abort``.
    partial_response_strategy: Literal["abort", "warn"] | None = None
    #: Mimir / Cortex ruler only (the ``mimir`` output): the tenants a federated group queries.
    source_tenants: list[str] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def check_rules(cls, rules: list[Rule]) -> list[Rule]:
        # An empty group is valid to Prometheus (it evaluates nothing), as in published mixins.
        seen: set[tuple[str, tuple[tuple[str, str], ...], str]] = set()
        for rule in rules:
            if isinstance(rule, AlertRule):
                # One name for several rules is the usual warning/critical pair; the same name,
                # labels and expression twice is one alert defined twice (Prometheus accepts it,
                # and the two copies fight over the alert's annotations).
                key = (rule.alert, tuple(sorted(rule.labels.items())), _expression_key(rule.expr))
                if key in seen:
                    raise ValueError(
                        f"alert {rule.alert!r} is defined twice in this group with the same labels and "
                        "expression: both copies make one alert; remove one, or tell them apart by a label "
                        "such as severity")
                seen.add(key)
        return rules

    @field_validator("name")
    @classmethod
    def check_name(cls, value: str) -> str:
        if not value:
            raise ValueError("group name is empty; name the group, e.g. 'node-exporter'")
        return text.check(value, "group name")


class RuleFile(Model):
    """One ``rules/<name>.yml`` file; ``rule_files`` in prometheus.yml is derived from these."""

    kind = "rule file"
    name_field = "name"

    #: The file name without extension: written to ``rules/<name>.yml``.
    name: str
    #: The file's rule groups, at least one.
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
