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
from obscode.grafana.origins import where
from obscode.grafana.walk import dashboards, panels, targets, variables
from obscode.grafana_vars import name_of, substitute, variables_used
from obscode.model.rules import parseable
from obscode.versions import function_problems

CHECK_ID = "dashboard/promql"
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\s*\((.*)\)\s*$", re.S)
#: A variable as the number argument of an aggregation or function (``topk($k, ...)``).
_SCALAR_ARGUMENT = re.compile(
    r"\b(topk|bottomk|limitk|limit_ratio|quantile|quantile_over_time|histogram_quantile)"
    r"(\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(\s*)"
    r"(\$\{\w+(?::\w+)?\}|\[\[\w+\]\]|\$\w+)")


def _with_values(expr: str, interval_vars: set[str], custom: dict[str, str] | None = None) -> str:
    """``expr`` as Grafana sends it (:func:`obscode.grafana_vars.substitute`): a variable as a
    number argument by 1, interval variables by a duration, ``custom`` variables by their
    current value, the rest by a placeholder."""
    return substitute(_SCALAR_ARGUMENT.sub(r"\g<1>\g<2>1", expr), durations=interval_vars, values=custom)


def parse_error(expr: str, interval_vars: set[str], prometheus_version: str | None = None,
                custom: dict[str, str] | None = None) -> str | None:
    """Why ``expr`` does not parse once variables are substituted (or, given the target
    version, why that Prometheus cannot run it), or None. ``custom`` maps custom variables to
    their current value: a query that parses only with them written in (``x $op y`` where
    ``$op`` is ``or`` or ``unless``) parses as Grafana sends it."""
    text = _with_values(expr, interval_vars)
    try:
        ast = promql_parser.parse(parseable(text))
    except ValueError as exc:
        written = variables_used(expr)
        used = {n: v for n, v in (custom or {}).items() if n in written}
        if not used:
            return f"PromQL does not parse: {exc}"
        text = _with_values(expr, interval_vars, used)
        try:
            ast = promql_parser.parse(parseable(text))
        except ValueError:
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
    name = name_of(str(ref.get("uid", "")))
    if name and ref.get("type") is None:
        plugin = datasource_vars.get(name)
        return plugin in (None, "prometheus")
    return True


def _custom_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """Custom variables' current values (their first option when none is chosen)."""
    found = {}
    for variable in variables(dashboard):
        if variable.get("type") != "custom" or not isinstance(variable.get("name"), str):
            continue
        current = (variable.get("current") or {}).get("value")
        options = [o.get("value") for o in variable.get("options") or [] if isinstance(o, dict)]
        value = current if isinstance(current, str) and current not in ("", "$__all") else next(
            (o for o in options if isinstance(o, str) and o), None)
        if value is not None:
            found[variable["name"]] = value
    return found


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
        custom = _custom_values(dash.data)
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
                                          "or remove the target", source=where(ctx, dash.path, target))
                    continue
                error = parse_error(expr, interval_vars, version, custom)
                if error:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=field, message=f"{error} (query: {expr})",
                                  source=where(ctx, dash.path, target))
        for variable in variables(dash.data):
            if variable.get("type") != "query" or not _is_prometheus(variable.get("datasource"), datasource_vars):
                continue
            inner = _variable_query(variable)
            error = parse_error(inner, interval_vars, version, custom) if inner is not None else None
            if error:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path,
                              obj=f"{dash.label} variable {variable.get('name')}", field="query",
                              message=f"{error} (query: {inner})", source=where(ctx, dash.path, variable))
