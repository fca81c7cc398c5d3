"""``dashboard/promql``: every Prometheus query of a dashboard parses.

Checked after Grafana's variables are substituted the way Grafana would: ``$var``,
``${var}`` and ``[[var]]`` by a value (interval variables by a duration), and
``$__rate_interval``, ``$__interval``, ``$__range`` by durations. Query variables'
``label_values(selector, label)`` and ``query_result(expr)`` are checked too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import promql_parser

from obscode.checks import CheckContext, Problem
from obscode.grafana.walk import dashboards, panels, targets, variables
from obscode.grafana_vars import substitute

CHECK_ID = "dashboard/promql"
_INTERVAL_VALUE = "1m"
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\s*\((.*)\)\s*$", re.S)


def _with_values(expr: str, interval_vars: set[str]) -> str:
    for name in interval_vars:
        expr = re.sub(rf"\$\{{{name}(?::\w+)?\}}|\[\[{name}\]\]|\${name}\b", _INTERVAL_VALUE, expr)
    return substitute(expr)


def parse_error(expr: str, interval_vars: set[str]) -> str | None:
    """Why ``expr`` does not parse once variables are substituted, or None."""
    try:
        promql_parser.parse(_with_values(expr, interval_vars))
    except ValueError as exc:
        return str(exc)
    return None


def _is_prometheus(ref: Any) -> bool:
    return not isinstance(ref, dict) or ref.get("type") in (None, "prometheus")


def _variable_query(variable: dict[str, Any]) -> str | None:
    """The PromQL inside a query variable's Grafana function, if it has one."""
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    if not isinstance(query, str):
        return None
    for pattern in (_LABEL_VALUES, _QUERY_RESULT):
        match = pattern.match(query)
        if match:
            return match.group(1)
    return None


def run(ctx: CheckContext) -> Iterator[Problem]:
    for dash in dashboards(ctx):
        interval_vars = {v["name"] for v in variables(dash.data) if v.get("type") == "interval" and v.get("name")}
        for panel in panels(dash.data):
            for target in targets(panel):
                if "expr" not in target or not _is_prometheus(target.get("datasource")):
                    continue
                expr = target["expr"]
                field = f"targets[{target.get('refId')}].expr"
                if not isinstance(expr, str) or not expr.strip():
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=field, message="query is empty; write a PromQL expression or remove the target")
                    continue
                error = parse_error(expr, interval_vars)
                if error:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=field, message=f"PromQL does not parse: {error} (query: {expr})")
        for variable in variables(dash.data):
            if variable.get("type") != "query" or not _is_prometheus(variable.get("datasource")):
                continue
            inner = _variable_query(variable)
            error = parse_error(inner, interval_vars) if inner is not None else None
            if error:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path,
                              obj=f"{dash.label} variable {variable.get('name')}", field="query",
                              message=f"PromQL does not parse: {error} (query: {inner})")
