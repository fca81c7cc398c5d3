"""Grafana template variables in queries: where they occur, what the dashboard defines them
as, and substitution so PromQL parsers can read them.

This is obscode's one substitution of Grafana variables. :func:`replace_references` is the one
place references are found (``$x``, ``${x}``, ``${x:format}``, ``[[x]]``; in quoted strings or
not; where PromQL wants a duration or not; ``#`` comments kept); two replacements are built on it:

- :func:`substitute` writes values as Grafana would send them, for parsing a query or running
  it (``dashboard/promql``, the preview, the catalog scripts): every built-in by a
  representative value (:data:`BUILTIN_DURATIONS`), variables named in ``durations`` (interval
  variables) by ``1m``, those in ``values`` by their value, every other variable by ``value``;
- :func:`placeholders` writes values that map back to the text the user wrote, so messages
  show ``cluster=~"$cluster"`` and ``[$__rate_interval]`` (:mod:`obscode.queries` and every
  check reading its queries): a variable inside a quoted string becomes
  ``__grafana_variable__<n>__`` (the n-th distinct text seen); a duration built-in, or a
  variable where PromQL wants a duration, a duration of at least :data:`VARIABLE_RANGE`
  (one per distinct text, :func:`is_variable_range` tells them); a number built-in
  (``$__range_s``, ``$__interval_ms``) its number; any other variable its value in ``numbers``
  (a variable that only takes numbers, see :func:`number`) or :data:`VARIABLE_VALUE`.
  :func:`display` turns placeholders back into the user's text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from obscode.promql import parse

#: Grafana's built-in interval/range variables, replaced by a representative duration (or
#: number of seconds or milliseconds).
BUILTIN_DURATIONS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__rate_interval_ms": "60000",
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


# -- substitution --------------------------------------------------------------------------

#: What :func:`substitute` writes for an interval variable.
INTERVAL_VALUE = "1m"


def substitute(expr: str, value: str = "placeholder", *, durations: Collection[str] = (),
               values: Mapping[str, str] | None = None) -> str:
    """``expr`` with every variable written as Grafana would send it: built-ins by a
    representative duration or number, variables named in ``durations`` (interval variables) by
    :data:`INTERVAL_VALUE`, those in ``values`` by their value (a custom variable's current
    value), any other by ``value`` (user variables usually sit inside a quoted matcher value)."""
    if "$" not in expr and "[[" not in expr:
        return expr
    known = values or {}

    def replace(reference: Reference) -> str:
        if reference.name in BUILTIN_DURATIONS:
            return BUILTIN_DURATIONS[reference.name]
        if reference.name in durations:
            return INTERVAL_VALUE
        return known.get(reference.name, value)

    return replace_references(expr, replace)


#: Ranges written as Grafana variables (``[$__rate_interval]``) become durations from this
#: one up (one per distinct text, so messages can print it back): Grafana picks their value
#: at query time, so checks skip them (see :func:`is_variable_range`).
VARIABLE_RANGE = "4242s"
VARIABLE_RANGE_SECONDS = 4242.0
#: At most this many distinct range texts get a duration of their own.
_RANGE_SLOTS = 1000
#: Variables outside quotes (a metric name ``$metric``, a number ``> $threshold``) become this text.
VARIABLE_VALUE = "__grafana_variable__"
_QUOTED = re.compile(re.escape(VARIABLE_VALUE) + r"(\d+)__")
#: Variable texts seen in quoted strings, process-wide so :func:`display` needs no query at hand.
_QUOTED_TEXTS: list[str] = []
_QUOTED_SLOTS: dict[str, str] = {}


def is_variable_range(seconds: float | None) -> bool:
    """Whether a parsed range (or step) is a substituted Grafana variable."""
    return seconds is not None and VARIABLE_RANGE_SECONDS <= seconds < VARIABLE_RANGE_SECONDS + _RANGE_SLOTS


class _Ranges:
    """Distinct range texts (``$__rate_interval``, ``$interval``) and the durations standing in
    for them; process-wide so :func:`display` needs no query at hand."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.slots: dict[str, int] = {}
        self.printed: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def duration(self, text: str) -> str:
        slot = self.slots.get(text)
        if slot is None:
            slot = len(self.texts) if len(self.texts) < _RANGE_SLOTS else 0
            if slot == len(self.texts):
                self.texts.append(text)
                self.slots[text] = slot
                shown = str(parse(f"x[{int(VARIABLE_RANGE_SECONDS) + slot}s]"))
                self.printed[shown[shown.index("[") + 1:-1]] = text
                self._pattern = None
        return f"{int(VARIABLE_RANGE_SECONDS) + slot}s"

    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.printed:
            alternatives = "|".join(sorted(map(re.escape, self.printed), key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])")
        return self._pattern


_RANGES = _Ranges()


def quoted_placeholder(text: str) -> str:
    """The placeholder of a variable reference ``text`` inside a quoted string."""
    placeholder = _QUOTED_SLOTS.get(text)
    if placeholder is None:
        placeholder = _QUOTED_SLOTS[text] = f"{VARIABLE_VALUE}{len(_QUOTED_TEXTS)}__"
        _QUOTED_TEXTS.append(text)
    return placeholder


def references(value: str) -> list[str]:
    """The variable references (as written) a string made by :func:`placeholders` holds."""
    return [_QUOTED_TEXTS[int(m.group(1))] for m in _QUOTED.finditer(value)]


def display(text: str) -> str:
    """``text`` (e.g. a selector printed from the AST) with the variables :func:`placeholders`
    substituted shown as the user wrote them."""
    if VARIABLE_VALUE in text:
        text = _QUOTED.sub(lambda m: _QUOTED_TEXTS[int(m.group(1))], text)
        text = text.replace(VARIABLE_VALUE, "$variable")
    pattern = _RANGES.pattern()
    return pattern.sub(lambda m: _RANGES.printed[m.group(0)], text) if pattern else text


def _placeholder(reference: Reference, numbers: Mapping[str, str]) -> str:
    if reference.quoted:
        return quoted_placeholder(reference.text)
    if reference.name in BUILTIN_DURATIONS and reference.name not in DURATION_BUILTINS:
        return BUILTIN_DURATIONS[reference.name]  # a number: $__range_s, $__interval_ms
    if reference.duration or reference.name in DURATION_BUILTINS:
        return _RANGES.duration(reference.text)
    return numbers.get(reference.name, VARIABLE_VALUE)


@functools.lru_cache(maxsize=65536)
def placeholders(expr: str, numbers: tuple[tuple[str, str], ...] = ()) -> str:
    """``expr`` with Grafana variables replaced by placeholders :func:`display` maps back (see
    the module docstring); ``numbers`` gives the value of variables that only take numbers
    (``topk($k, ...)``). Cached: dashboards repeat expressions a lot."""
    if "$" not in expr and "[[" not in expr:
        return expr
    known = dict(numbers)
    return replace_references(expr, lambda reference: _placeholder(reference, known))
