"""``alerts/threshold``: thresholds and conditions that make sense for what they compare.

Using the catalog's types and units (:mod:`obscode.expr_types`), a comparison in an alert or
recording rule is an error when

* it compares a latency in seconds (a histogram's quantile or mean, a ``*_duration_seconds``
  gauge) with a number that looks like milliseconds (``> 300``: 5 minutes);
* it compares a ratio that is certainly between 0 and 1 (a share of a counter's rate in its
  total, a catalog unit ``ratio``) with a number above 1 (``> 2``: meant 2%);
* it is always true or always false for the values the expression can take (``> -0.02`` on a
  rate, ``< 0`` on a counter, ``up > 1``);

a quantile outside [0, 1] (``histogram_quantile(99, ...)``, ``quantile(1.5, ...)``,
``quantile_over_time``) is an error anywhere, dashboards included; and an alert whose
expression has no condition (``up``, ``rate(x[5m])``, a ``bool`` comparison) is an error: it
fires for every series it returns, at once. ``absent()``, ``absent_over_time()``, ``and`` and
``unless`` (which keep a subset) are conditions; an expression that reads no series at all
(``vector(1)``, a dead man's switch) fires on purpose and is not reported."""

from __future__ import annotations

import re
from collections.abc import Iterator

import promql_parser as pp

from obscode.catalog_index import PER_TARGET_SERIES, StackCatalog
from obscode.checks import CheckContext, Problem
from obscode.expr_types import Value, as_selector, number
from obscode.promql import walk
from obscode.queries import Query, display

CHECK_ID = "alerts/threshold"
#: A latency threshold of this many seconds or more looks like milliseconds: requests and
#: operations measured in seconds rarely take minutes, and never on purpose.
MILLISECONDS_FROM = 100.0
_ORDERING = {">", "<", ">=", "<="}
_COMPARISONS = _ORDERING | {"==", "!="}
_FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
_QUANTILE_FUNCTIONS = ("histogram_quantile", "quantile_over_time")
#: The parser prints ``up`` as ``up{}``.
_EMPTY_MATCHERS = re.compile(r"(?<=[\w:])\{\}")


def _problem(ctx: CheckContext, query: Query, message: str) -> Problem:
    return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=query.field,
                   message=message, source=query.source)


def _duration(seconds: float) -> str:
    """300 -> '5 minutes', 5400 -> '1.5 hours'."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            amount = f"{seconds / size:.2g}"
            return f"{amount} {unit}{'' if amount == '1' else 's'}"
    return f"{seconds:g} seconds"


def _quantile_message(function: str, q: float) -> str | None:
    if 0 <= q <= 1:
        return None
    hint = f"did you mean {q / 100:g}?" if 1 < q <= 100 else "0.99 is the 99th percentile"
    result = "+Inf" if q > 1 else "-Inf"
    return f"{function}({q:g}, ...) asks for a quantile outside [0, 1], so it returns {result}; {hint}"


def _quantiles(query: Query) -> Iterator[str]:
    for node in walk(query.ast):
        if isinstance(node, pp.Call) and node.func.name in _QUANTILE_FUNCTIONS and node.args:
            q = number(node.args[0])
            message = _quantile_message(node.func.name, q) if q is not None else None
        elif isinstance(node, pp.AggregateExpr) and str(node.op) == "quantile" and node.param is not None:
            q = number(node.param)
            message = _quantile_message("quantile", q) if q is not None else None
        else:
            continue
        if message:
            yield message


def _range(value: Value) -> str:
    if value.low is not None and value.low == value.high:
        return f"always {value.low:g}"
    if value.boolean:
        return "0 or 1"
    if value.low is not None and value.high is not None:
        return f"between {value.low:g} and {value.high:g}"
    if value.low == 0:
        return "never negative"
    if value.low is not None:
        return f"at least {value.low:g}"
    return f"at most {value.high:g}"


def _always(value: Value, op: str, c: float) -> bool | None:
    """True or False when ``value op c`` holds for every value, or for none; None otherwise."""
    low, high = value.low, value.high
    if value.boolean and op in ("==", "!=") and c not in (0, 1):
        return op == "!="
    checks = {
        ">": (low is not None and low > c, high is not None and high <= c),
        ">=": (low is not None and low >= c, high is not None and high < c),
        "<": (high is not None and high < c, low is not None and low >= c),
        "<=": (high is not None and high <= c, low is not None and low > c),
        "==": (False, (low is not None and c < low) or (high is not None and c > high)),
        "!=": ((low is not None and c < low) or (high is not None and c > high), False),
    }
    true, false = checks[op]
    return True if true else False if false else None


def _comparison(node: object) -> tuple[object, str, float] | None:
    """(vector side, operator as if the vector were on the left, number) of ``x > 5`` or ``5 < x``."""
    if not isinstance(node, pp.BinaryExpr) or str(node.op) not in _COMPARISONS:
        return None
    right, left = number(node.rhs), number(node.lhs)
    if right is not None and left is None:
        return node.lhs, str(node.op), right
    if left is not None and right is None:
        return node.rhs, _FLIPPED[str(node.op)], left
    return None


def _what(value: Value, side: object) -> str:
    return value.what or _text(side)


def _text(side: object, limit: int = 120) -> str:
    """The compared expression as the user reads it, shortened."""
    text = _EMPTY_MATCHERS.sub("", display(" ".join(str(side).split())))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def comparison_problems(query: Query, catalog: StackCatalog) -> Iterator[str]:
    """The message of every comparison in ``query`` that cannot be meant."""
    for node in walk(query.ast):
        found = _comparison(node)
        if found is None:
            continue
        side, op, c = found
        value = catalog.value(side)
        what = _what(value, side)
        if value.latency and value.unit == "seconds" and op in _ORDERING and c >= MILLISECONDS_FROM:
            yield f"{what} is in seconds; {c:g} s is {_duration(c)} — did you mean {c / 1000:g}? ({op} {c:g})"
            continue
        always = _always(value, op, c)
        if value.ratio and c > 1 and always is not None:
            hint = f"; did you mean {c / 100:g} ({c:g}%)?" if c <= 100 else "; compare with a fraction, e.g. 0.05 for 5%"
            yield f"{what} is a fraction between 0 and 1, so {op} {c:g} is always {str(always).lower()}{hint}"
            continue
        if always is None or value.constant or (always and _fires(side, catalog) != "all"):
            continue  # true for all it returns, but it returns series only where a condition holds: harmless
        effect = ("so the alert fires for every series" if always else "so the alert never fires") \
            if query.kind == "alert" else ("so it keeps every series" if always else "so it keeps none")
        yield f"{op} {c:g} is always {str(always).lower()}: {_text(side)} is {_range(value)}, {effect}"


#: Matchers on these labels pick targets, not a condition: ``up{job="api"}`` is every target.
_TARGET_LABELS = {"job", "instance", "__name__"}


def _selected(node: object, catalog: StackCatalog) -> str:
    """What a bare selector returns as an alert. A counter (or a histogram's buckets) has a
    series all the time; so has a gauge selected by target only. A matcher on another label
    may be the condition itself: the series of an info metric (``iface_info{operstate="down"}``)
    or of a gauge (``endpoint_state{state="invalid"}``) may exist only where it holds, and
    ALERTS only while an alert is active."""
    selector = as_selector(node)
    if selector is None or selector.name in ("ALERTS", "ALERTS_FOR_STATE"):
        return "filter"
    series = catalog.lookup(selector.name) if selector.name else None
    if series is not None and (series.counter_like or series.name in PER_TARGET_SERIES):
        return "all"  # Prometheus writes up and scrape_* for every target at every scrape
    if any(m.label not in _TARGET_LABELS for m in selector.matchers):
        return "filter"
    return "all"


def _fires(node: object, catalog: StackCatalog) -> str:
    """What an alert expression returns: "filter" (only series meeting a condition), "all"
    (every series it reads, all the time) or "constant" (it reads no series)."""
    if isinstance(node, (pp.ParenExpr, pp.SubqueryExpr, pp.UnaryExpr)):
        return _fires(node.expr, catalog)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return "constant"
    if isinstance(node, (pp.VectorSelector, pp.MatrixSelector)):
        return _selected(node, catalog)
    if isinstance(node, pp.Call):
        if node.func.name in ("absent", "absent_over_time"):
            return "filter"
        return _combine([_fires(a, catalog) for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))])
    if isinstance(node, pp.AggregateExpr):
        return _fires(node.expr, catalog)
    if isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        sides = [_fires(node.lhs, catalog), _fires(node.rhs, catalog)]
        if op in _COMPARISONS:
            if node.modifier is not None and node.modifier.return_bool:
                return _combine(sides)
            return "constant" if sides == ["constant", "constant"] else "filter"
        if op in ("and", "unless"):
            return "filter"  # a subset of the left side
        if op == "or":
            return "all" if "all" in sides else _combine(sides)
        return _combine(sides)
    return "filter"  # a node this check does not know: say nothing


def _combine(kinds: list[str]) -> str:
    """Arithmetic and functions return series only where all their vector inputs have one."""
    if "filter" in kinds:
        return "filter"
    return "all" if "all" in kinds else "constant"


def _top_bool(node: object) -> bool:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return isinstance(node, pp.BinaryExpr) and node.modifier is not None and bool(node.modifier.return_bool)


def no_condition(query: Query, catalog: StackCatalog) -> str | None:
    """Why the alert ``query`` fires for every series it reads, or None."""
    if _fires(query.ast, catalog) != "all":
        return None
    if _top_bool(query.ast):
        return ("the alert compares with bool, which returns 0 or 1 for every series instead of keeping those "
                "that meet the condition, so it fires for all of them at once; drop bool")
    return (f"the alert expression has no condition, so it fires at once for every series "
            f"{display(query.expr.strip())} returns, and keeps firing; compare it with a threshold "
            "(e.g. up == 0, rate(errors_total[5m]) > 0.1)")


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query) -> Iterator[Problem]:
    if query.ast is None:
        return
    for message in dict.fromkeys(_quantiles(query)):
        yield _problem(ctx, query, message)
    if query.kind not in ("alert", "record"):
        return
    for message in dict.fromkeys(comparison_problems(query, catalog)):
        yield _problem(ctx, query, message)
    if query.kind == "alert":
        message = no_condition(query, catalog)
        if message:
            yield _problem(ctx, query, message)


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    for query in ctx.queries:
        yield from check_query(ctx, catalog, query)
