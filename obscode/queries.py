"""Every PromQL query of a stack, with where it lives: alert and recording rules (from the
stack's rule files) and Grafana panel targets and query variables (from the rendered
``grafana/dashboards/<uid>.json``; the panels :func:`obscode.grafana.walk.panels` walks).

Grafana variables are substituted before parsing by :func:`obscode.grafana_vars.placeholders`
(here also :func:`substitute`), each by a placeholder that maps back to the text the user wrote,
so messages show ``cluster=~"$cluster"`` and ``[$__rate_interval]``; :func:`display`,
:func:`is_variable_range`, ``VARIABLE_VALUE`` and ``VARIABLE_RANGE`` are that module's, named
here for the checks that read queries."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from obscode import paths
from obscode import grafana_vars
from obscode.errors import SourceLocation
from obscode.grafana.origins import locator
from obscode.grafana.walk import panels
from obscode.grafana_vars import VARIABLE_RANGE as VARIABLE_RANGE
from obscode.grafana_vars import VARIABLE_RANGE_SECONDS as VARIABLE_RANGE_SECONDS
from obscode.grafana_vars import VARIABLE_VALUE as VARIABLE_VALUE
from obscode.grafana_vars import Variable, placeholders, quoted_placeholder, references
from obscode.grafana_vars import display as display
from obscode.grafana_vars import is_variable_range as is_variable_range
from obscode.model.rules import AlertRule, RecordingRule
from obscode.promql import Matcher, parse

DASHBOARDS_DIR = paths.DASHBOARDS_DIR


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


#: The substitution every query gets before parsing (:func:`obscode.grafana_vars.placeholders`).
substitute = placeholders


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
    for panel in panels(dashboard):
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


def stack_queries(ctx: Any) -> list[Query]:
    """Every query of ``ctx.stack`` and its written dashboards: rules first, then dashboards by uid."""
    found = rule_queries(ctx.stack)
    for path in sorted(p for p in ctx.files if p.startswith(DASHBOARDS_DIR) and p.endswith(".json")):
        try:
            dashboard = ctx.json(path)
        except ValueError:
            continue  # the dashboard checks report JSON that does not load
        if isinstance(dashboard, dict):
            found.extend(dashboard_queries(path, dashboard, locator(ctx, path)))
    return found
