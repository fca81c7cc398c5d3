"""Every PromQL query of a stack, with where it lives: alert and recording rules (from the
stack's rule files) and Grafana panel targets and query variables (from the rendered
``grafana/dashboards/<uid>.json``). Grafana variables are substituted before parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from obscode import grafana_vars
from obscode.errors import SourceLocation
from obscode.model.rules import AlertRule, RecordingRule
from obscode.promql import parse

DASHBOARDS_DIR = "grafana/dashboards/"
#: Ranges written as Grafana variables (``[$__rate_interval]``) become this duration, so
#: checks can tell them apart: Grafana picks their value at query time.
VARIABLE_RANGE = "4242s"
VARIABLE_RANGE_SECONDS = 4242.0
#: User variables in matcher values become this text.
VARIABLE_VALUE = "__grafana_variable__"

_SHOWN_RANGE = "[1h10m42s"  # how promql-parser prints VARIABLE_RANGE


def display(text: str) -> str:
    """``text`` (e.g. a selector printed from the AST) with substituted variables shown as variables."""
    return text.replace(_SHOWN_RANGE, "[$__range_variable").replace(VARIABLE_VALUE, "$variable")


_RANGE_VARIABLE = re.compile(r"\[\s*(?:\$\w+|\$\{\w+(?::\w+)?\}|\[\[\w+\]\])\s*(?=[:\]])")
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

    @property
    def field(self) -> str:
        return "expr" if self.kind in ("alert", "record", "panel") else "query"


def substitute(expr: str) -> str:
    """``expr`` with Grafana variables replaced so PromQL parsers can read it."""
    ranged = _RANGE_VARIABLE.sub("[" + VARIABLE_RANGE, expr)
    for name in ("__rate_interval", "__interval", "__range"):
        ranged = ranged.replace(f"${{{name}}}", VARIABLE_RANGE).replace(f"${name}", VARIABLE_RANGE)
    return grafana_vars.substitute(ranged, VARIABLE_VALUE)


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


def dashboard_queries(path: str, dashboard: dict[str, Any]) -> list[Query]:
    found: list[Query] = []
    uid = dashboard.get("uid") or path
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
            parsed = substitute(expr)
            found.append(Query("panel", path, f'dashboard {uid} panel "{title}" target {ref}', expr,
                               _parse(parsed), legend=target.get("legendFormat"), parsed=parsed))
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
        parsed = substitute(expr)
        found.append(Query("variable", path, obj, expr, _parse(parsed), required_labels=required, parsed=parsed))
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
                found.extend(dashboard_queries(path, dashboard))
        ctx.cache["queries"] = found
    return ctx.cache["queries"]
