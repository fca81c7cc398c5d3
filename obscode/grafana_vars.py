"""Grafana template variables in queries: where they occur, what the dashboard defines them
as, and substitution so PromQL parsers can read them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

#: Grafana's built-in interval/range variables, replaced by a representative duration.
BUILTIN_DURATIONS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__range_s": "3600",
    "__range_ms": "3600000",
}
#: Built-ins that stand for a duration (the others are numbers of seconds or milliseconds).
DURATION_BUILTINS = ("__rate_interval", "__interval", "__range")
#: What Grafana writes as a variable's current value when "All" is selected.
ALL = "$__all"

_VARIABLE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)(?::[\w]+)?\]\]|\$(\w+)")
_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`|#[^\n]*|' + _VARIABLE.pattern)
_LABEL_VALUES_LABEL = re.compile(r"^\s*label_values\s*\((?:.*,)?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: ``hide`` of a variable Grafana shows neither its label nor its value.
HIDDEN = 2


def variables_used(expr: str) -> list[str]:
    """Names of the template variables ``expr`` references, in order, built-ins excluded. A
    dollar escaped for a regex (``topic!~"\\$SYS.*"``) is text, not a reference."""
    names = []
    for match in _VARIABLE.finditer(expr):
        if match.start() > 0 and expr[match.start() - 1] == "\\" and match.group(0).startswith("$"):
            continue
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in BUILTIN_DURATIONS and name not in names:
            names.append(name)
    return names


def name_of(reference: str) -> str | None:
    """The variable name in a reference as written: ``$x``, ``${x}``, ``${x:regex}``, ``[[x]]``."""
    match = _VARIABLE.fullmatch(reference)
    return (match.group(1) or match.group(2) or match.group(3)) if match else None


def substitute(expr: str, value: str = "placeholder") -> str:
    """``expr`` with every variable replaced: built-in durations by a duration, user
    variables by ``value`` (they usually sit inside a quoted matcher value)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return BUILTIN_DURATIONS.get(name, value)

    return _VARIABLE.sub(replace, expr)


class Reference(NamedTuple):
    """One variable reference in a query: its text as written and where it sits."""

    text: str
    name: str
    #: Inside a quoted PromQL string (a matcher value, a label_replace argument).
    quoted: bool
    #: Where PromQL wants a duration: a range ``[...]``, a subquery step, after ``offset``.
    duration: bool


def replace_references(expr: str, replace: Callable[[Reference], str]) -> str:
    """``expr`` with each variable reference replaced by ``replace(reference)``.

    Quoted strings and ``#`` comments are tokens of their own, so a reference knows whether
    it sits in a quoted string and whether PromQL expects a duration there; comments are kept."""

    def inner(quoted: re.Match[str]) -> str:
        name = quoted.group(1) or quoted.group(2) or quoted.group(3)
        return replace(Reference(quoted.group(0), name, True, False))

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        if text[0] in "\"'`":
            return _VARIABLE.sub(inner, text) if "$" in text or "[[" in text else text
        if text[0] == "#":
            return text
        name = match.group(1) or match.group(2) or match.group(3)
        return replace(Reference(text, name, False, _wants_duration(expr, match.start())))

    return _TOKENS.sub(token, expr)


def _wants_duration(expr: str, i: int) -> bool:
    j = i
    while j > 0 and expr[j - 1].isspace():
        j -= 1
    return (j > 0 and expr[j - 1] in "[:") or expr[max(0, j - 6):j] == "offset"


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


@dataclass(frozen=True)
class Variable:
    """A dashboard template variable, as far as checking the queries that use it needs."""

    name: str
    type: str = "query"
    include_all: bool = False
    #: Custom "All" value (``.*`` is usual); None: Grafana joins every value into a regex.
    all_value: str | None = None
    multi: bool = False
    #: Values it is known to take: custom options, a constant or textbox value, the current value.
    values: tuple[str, ...] = ()
    #: The label a ``label_values(..., label)`` query variable lists.
    label: str | None = None
    hidden: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Variable":
        kind = str(data.get("type") or "query")
        values: list[str] = []
        for option in data.get("options") or []:
            if isinstance(option, dict):
                values.extend(_strings(option.get("value")))
        query = data.get("query")
        if kind == "custom" and isinstance(query, str) and query.strip():
            # "a,b" or, with display texts, "text : value,text : value"
            values.extend(v.split(" : ", 1)[-1].strip() for v in query.split(","))
        elif kind in ("constant", "textbox") and isinstance(query, str):
            values.append(query)
        current = data.get("current")
        if isinstance(current, dict):
            values.extend(_strings(current.get("value")))
        all_value = data.get("allValue")
        text = query.get("query") if isinstance(query, dict) else query
        listed = _LABEL_VALUES_LABEL.match(text) if kind == "query" and isinstance(text, str) else None
        return cls(name=str(data.get("name") or ""), type=kind, include_all=bool(data.get("includeAll")),
                   all_value=all_value if isinstance(all_value, str) and all_value != "" else None,
                   multi=bool(data.get("multi")), values=tuple(dict.fromkeys(values)),
                   label=listed.group(1) if listed else None, hidden=data.get("hide") == HIDDEN)

    def candidates(self, label: str | None = None) -> tuple[list[str], bool]:
        """Values the variable may be replaced by in a matcher on ``label``, and whether it
        may be replaced by values nobody can list (an "All" joining whatever its query finds).
        A ``label_values(..., label)`` variable is empty where no series has the label, unless
        it includes "All", which is then its only option."""
        known = [v for v in self.values if v != ALL]
        if label is not None and self.label == label and not self.include_all:
            known.append("")
        unknown = False
        if self.include_all:
            if self.all_value is not None:
                known.append(self.all_value)
            else:
                unknown = True
        return list(dict.fromkeys(known)), unknown


def number(variable: Variable) -> str | None:
    """The value to parse a variable by where PromQL wants a number (``topk($k, ...)``):
    its first known value, when every known value is a number."""
    values, unknown = variable.candidates()
    if unknown or not values or not all(_NUMBER.match(v) for v in values):
        return None
    return values[0]


def dashboard_variables(dashboard: dict[str, Any]) -> dict[str, Variable]:
    """The template variables a dashboard defines, by name."""
    templating = dashboard.get("templating")
    items = templating.get("list") if isinstance(templating, dict) else None
    found: dict[str, Variable] = {}
    for item in items or []:
        if isinstance(item, dict) and item.get("name"):
            variable = Variable.from_json(item)
            found[variable.name] = variable
    return found
