"""Every PromQL query of a stack, with where it lives: alert and recording rules (from the
stack's rule files) and Grafana panel targets and query variables (from the rendered
``grafana/dashboards/<uid>.json``).

Grafana variables are substituted before parsing, each by a placeholder that maps back to
the text the user wrote, so messages show ``cluster=~"$cluster"`` and
``[$__rate_interval]``: a variable inside a quoted string becomes
``__grafana_variable__<n>__`` (the n-th distinct text seen); one where PromQL wants a duration becomes a
duration of at least ``VARIABLE_RANGE`` (one per distinct text); any other becomes
``VARIABLE_VALUE``. :func:`display` turns placeholders back into the user's text."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from obscode import paths
from obscode import grafana_vars
from obscode.errors import SourceLocation
from obscode.grafana.origins import locator
from obscode.grafana_vars import Reference, Variable
from obscode.model.rules import AlertRule, RecordingRule
from obscode.promql import Matcher, parse

DASHBOARDS_DIR = paths.DASHBOARDS_DIR
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
    """The variable references (as written) a substituted string holds."""
    return [_QUOTED_TEXTS[int(m.group(1))] for m in _QUOTED.finditer(value)]


def display(text: str) -> str:
    """``text`` (e.g. a selector printed from the AST) with substituted variables shown as
    the user wrote them."""
    if VARIABLE_VALUE in text:
        text = _QUOTED.sub(lambda m: _QUOTED_TEXTS[int(m.group(1))], text)
        text = text.replace(VARIABLE_VALUE, "$variable")
    pattern = _RANGES.pattern()
    return pattern.sub(lambda m: _RANGES.printed[m.group(0)], text) if pattern else text


_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\(\s*(.+)\s*\)\s*$", re.S)


@dataclass(frozen=True)
class Query:
    """One PromQL expression and the object holding it."""

    kind: str  # "alert", "record", "panel" or "variable"
    file: str  # output file: prometheus/rules/<name>.yml or grafana/dashboards/<uid>.json
    obj: str  # "alert HighCpuUsage", 'panel "API Request Rate" target A', ...
    expr: str  # as written
    ast: Any  # None when it does not parse
    legend: str | None = None
    rule: AlertRule | RecordingRule | None = None
    source: SourceLocation | None = None
    #: Labels the query must carry (a ``label_values(expr, label)`` variable's label).
    required_labels: tuple[str, ...] = ()
    #: Expression after Grafana variables were substituted.
    parsed: str = ""
    #: The dashboard's definitions of the variables the query uses.
    variables: tuple[Variable, ...] = ()
    #: For a variable's query: that variable's definition.
    defines: Variable | None = None

    @property
    def field(self) -> str:
        return "expr" if self.kind in ("alert", "record", "panel") else "query"


def _placeholder(reference: Reference, numbers: Mapping[str, str]) -> str:
    if reference.quoted:
        return quoted_placeholder(reference.text)
    if reference.name in grafana_vars.BUILTIN_DURATIONS and reference.name not in grafana_vars.DURATION_BUILTINS:
        return grafana_vars.BUILTIN_DURATIONS[reference.name]  # a number: $__range_s, $__interval_ms
    if reference.duration or reference.name in grafana_vars.DURATION_BUILTINS:
        return _RANGES.duration(reference.text)
    return numbers.get(reference.name, VARIABLE_VALUE)


@functools.lru_cache(maxsize=65536)
def substitute(expr: str, numbers: tuple[tuple[str, str], ...] = ()) -> str:
    """``expr`` with Grafana variables replaced so PromQL parsers can read it; ``numbers``
    gives the value of variables that only take numbers (``topk($k, ...)``). Cached:
    dashboards repeat expressions a lot."""
    if "$" not in expr and "[[" not in expr:
        return expr
    known = dict(numbers)
    return grafana_vars.replace_references(expr, lambda reference: _placeholder(reference, known))


def can_match_empty(matcher: Matcher, variables: Mapping[str, Variable]) -> bool:
    """Whether ``matcher`` may select series that lack its label (Prometheus reads an absent
    label as ""): ``=""``, ``!="x"``, ``=~".*"``, or a Grafana variable one of whose values
    (its "All" value ``.*``, an "All" over values nobody can list, a custom value ``""``, the
    empty value of a ``label_values(..., label)`` variable where no series has the label)
    makes it so."""
    written = references(matcher.value)
    if not written:
        return matcher.matches("")
    choices: list[list[tuple[str, str]]] = []
    for reference in dict.fromkeys(written):
        name = grafana_vars.name_of(reference)
        variable = variables.get(name or "")
        if variable is None:
            return False  # dashboard/variables reports a variable the dashboard does not define
        values, unknown = variable.candidates(matcher.label)
        if unknown:
            return True
        if not values:
            return False
        choices.append([(reference, v) for v in values[:16]])
    combinations: list[str] = [matcher.value]
    for options in choices:
        combinations = [c.replace(quoted_placeholder(ref), value) for c in combinations[:64]
                        for ref, value in options]
    return any(Matcher(matcher.label, matcher.op, value).matches("") for value in combinations)


def _parse(expr: str) -> Any:
    try:
        return parse(expr)
    except (ValueError, TypeError):
        return None


def rule_queries(stack: Any) -> list[Query]:
    found = []
    for rule_file in stack.rule_files:
        for group in rule_file.groups:
            for rule in group.rules:
                kind = "alert" if isinstance(rule, AlertRule) else "record"
                obj = f"alert {rule.alert}" if kind == "alert" else f"recording rule {rule.record}"
                found.append(Query(kind, f"prometheus/{rule_file.path}", f"{obj} (group {group.name})", rule.expr,
                                   _parse(rule.expr), rule=rule, source=rule.source, parsed=rule.expr))
    return found


def _panels(panels: list[Any]) -> list[dict[str, Any]]:
    found = []
    for panel in panels or []:
        if not isinstance(panel, dict):
            continue
        found.append(panel)
        found.extend(_panels(panel.get("panels", [])))
    return found


def _is_prometheus(*datasources: Any) -> bool:
    for datasource in datasources:
        if isinstance(datasource, dict) and datasource.get("type"):
            return datasource["type"] == "prometheus"
    return True


def _used(expr: str, defined: Mapping[str, Variable], numeric: Mapping[str, str]
          ) -> tuple[tuple[Variable, ...], tuple[tuple[str, str], ...]]:
    """The definitions of the variables ``expr`` uses, and the values of those that are numbers."""
    if "$" not in expr and "[[" not in expr:
        return (), ()
    names = grafana_vars.variables_used(expr)
    return (tuple(defined[n] for n in names if n in defined),
            tuple((n, numeric[n]) for n in names if n in numeric))


def dashboard_queries(path: str, dashboard: dict[str, Any],
                      where: Callable[[Any], SourceLocation | None] | None = None) -> list[Query]:
    """The queries of ``dashboard`` (written to ``path``); ``where`` gives the source line of a
    target or variable (see :func:`obscode.grafana.origins.where`)."""
    found: list[Query] = []
    where = where or (lambda _node: None)
    uid = dashboard.get("uid") or path
    defined = grafana_vars.dashboard_variables(dashboard)
    numeric = {name: value for name, value in ((n, grafana_vars.number(v)) for n, v in defined.items())
               if value is not None}
    panels = _panels(dashboard.get("panels", []))
    for row in dashboard.get("rows", []) or []:
        panels.extend(_panels(row.get("panels", [])) if isinstance(row, dict) else [])
    for panel in panels:
        title = panel.get("title") or f"id {panel.get('id')}"
        for index, target in enumerate(panel.get("targets", []) or []):
            expr = target.get("expr") if isinstance(target, dict) else None
            if not expr or not _is_prometheus(target.get("datasource"), panel.get("datasource")):
                continue
            ref = target.get("refId") or str(index)
            used, numbers = _used(expr, defined, numeric)
            parsed = substitute(expr, numbers)
            found.append(Query("panel", path, f'dashboard {uid} panel "{title}" target {ref}', expr,
                               _parse(parsed), legend=target.get("legendFormat"), parsed=parsed,
                               variables=used, source=where(target)))
    for variable in (dashboard.get("templating") or {}).get("list", []) or []:
        if not isinstance(variable, dict) or variable.get("type") != "query":
            continue
        if not _is_prometheus(variable.get("datasource")):
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if not isinstance(query, str) or not query.strip():
            continue
        obj = f"dashboard {uid} variable {variable.get('name')}"
        required: tuple[str, ...] = ()
        values = _LABEL_VALUES.match(query)
        result = _QUERY_RESULT.match(query)
        if values:
            expr, required = values.group(1), (values.group(2),)
        elif result:
            expr = result.group(1)
        elif re.match(r"^\s*(label_values|label_names|metrics)\(", query):
            continue  # label_values(label), label_names(), metrics(regex): nothing to resolve
        else:
            expr = query
        used, numbers = _used(expr, defined, numeric)
        parsed = substitute(expr, numbers)
        found.append(Query("variable", path, obj, expr, _parse(parsed), required_labels=required, parsed=parsed,
                           variables=used, defines=defined.get(str(variable.get("name"))), source=where(variable)))
    return found


def collect(ctx: Any) -> list[Query]:
    """Every query of ``ctx.stack`` (rules first, then dashboards by uid), cached on ``ctx``."""
    if "queries" not in ctx.cache:
        found = rule_queries(ctx.stack)
        for path in sorted(p for p in ctx.files if p.startswith(DASHBOARDS_DIR) and p.endswith(".json")):
            try:
                dashboard = ctx.json(path)
            except ValueError:
                continue  # the dashboard checks report JSON that does not load
            if isinstance(dashboard, dict):
                found.extend(dashboard_queries(path, dashboard, locator(ctx, path)))
        ctx.cache["queries"] = found
    return ctx.cache["queries"]
