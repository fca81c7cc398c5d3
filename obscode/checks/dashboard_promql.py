"""``dashboard/promql``: every Prometheus query of a dashboard parses, and uses only PromQL
functions the targeted Prometheus has (``Stack.prometheus_version``; see docs/versions.md).

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
from obscode.model.rules import parseable
from obscode.versions import function_problems

CHECK_ID = "dashboard/promql"
_INTERVAL_VALUE = "1m"
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\s*\((.*)\)\s*$", re.S)
#: A variable as the number argument of an aggregation or function (``topk($k, ...)``).
_SCALAR_ARGUMENT = re.compile(
    r"\b(topk|bottomk|limitk|limit_ratio|quantile|quantile_over_time|histogram_quantile)"
    r"(\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(\s*)"
    r"(\$\{\w+(?::\w+)?\}|\[\[\w+\]\]|\$\w+)")
_VARIABLE_REF = re.compile(r"^\$\{?(\w+)\}?$|^\[\[(\w+)\]\]$")


def _with_values(expr: str, interval_vars: set[str]) -> str:
    expr = _SCALAR_ARGUMENT.sub(r"\g<1>\g<2>1", expr)
    for name in interval_vars:
        expr = re.sub(rf"\$\{{{name}(?::\w+)?\}}|\[\[{name}\]\]|\${name}\b", _INTERVAL_VALUE, expr)
    return substitute(expr)


def parse_error(expr: str, interval_vars: set[str], prometheus_version: str | None = None) -> str | None:
    """Why ``expr`` does not parse once variables are substituted (or, given the target
    version, why that Prometheus cannot run it), or None."""
    text = _with_values(expr, interval_vars)
    try:
        ast = promql_parser.parse(parseable(text))
    except ValueError as exc:
        return f"PromQL does not parse: {exc}"
    found = function_problems(text, prometheus_version, ast) if prometheus_version else []
    return found[0] if found else None


def _is_prometheus(ref: Any, datasource_vars: dict[str, str]) -> bool:
    """Whether a query with datasource ``ref`` goes to Prometheus. A ``$ds`` reference to a
    datasource variable goes to that variable's plugin type (its ``query``: "loki", ...)."""
    if not isinstance(ref, dict):
        return True
    if ref.get("type") not in (None, "prometheus"):
        return False
    match = _VARIABLE_REF.match(str(ref.get("uid", "")))
    if match and ref.get("type") is None:
        plugin = datasource_vars.get(match.group(1) or match.group(2))
        return plugin in (None, "prometheus")
    return True


def _datasource_variables(dashboard: dict[str, Any]) -> dict[str, str]:
    """Datasource variables by name, with the plugin type they choose among."""
    return {v["name"]: v.get("query") for v in variables(dashboard)
            if v.get("type") == "datasource" and isinstance(v.get("name"), str) and isinstance(v.get("query"), str)}


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
    version = ctx.stack.prometheus_version
    for dash in dashboards(ctx):
        datasource_vars = _datasource_variables(dash.data)
        interval_vars = {v["name"] for v in variables(dash.data) if v.get("type") == "interval" and v.get("name")}
        for panel in panels(dash.data):
            for target in targets(panel):
                if "expr" not in target or not _is_prometheus(target.get("datasource"), datasource_vars):
                    continue
                expr = target["expr"]
                field = f"targets[{target.get('refId')}].expr"
                if not isinstance(expr, str) or not expr.strip():
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=field, severity="warning",
                                  message="query is empty: Grafana runs nothing for it; write a PromQL expression "
                                          "or remove the target")
                    continue
                error = parse_error(expr, interval_vars, version)
                if error:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=field, message=f"{error} (query: {expr})")
        for variable in variables(dash.data):
            if variable.get("type") != "query" or not _is_prometheus(variable.get("datasource"), datasource_vars):
                continue
            inner = _variable_query(variable)
            error = parse_error(inner, interval_vars, version) if inner is not None else None
            if error:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path,
                              obj=f"{dash.label} variable {variable.get('name')}", field="query",
                              message=f"{error} (query: {inner})")
