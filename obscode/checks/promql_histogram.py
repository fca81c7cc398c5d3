"""``promql/histogram``: ``histogram_quantile(q, v)`` reads the ``_bucket`` series of a
histogram, through ``rate()``, and every aggregation on the way keeps ``le``.

Without ``le`` the buckets are summed into one series and the quantile is NaN; over a
gauge or a ``_sum``/``_count`` series there are no buckets at all; without ``rate()`` the
quantile is over everything since the process started, not over recent requests."""

from __future__ import annotations

from collections.abc import Iterator

import promql_parser as pp

from obscode.catalog_index import StackCatalog
from obscode.checks import CheckContext, Problem
from obscode.promql import calls, output_labels, selectors, walk
from obscode.queries import Query

CHECK_ID = "promql/histogram"
_RATES = ("rate", "irate", "increase")


def _problem(ctx: CheckContext, query: Query, message: str, severity: str = "error") -> Problem:
    return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=query.field,
                   message=message, severity=severity, source=query.source)  # type: ignore[arg-type]


def _dropping_aggregation(arg: object, catalog: StackCatalog) -> str | None:
    """The innermost aggregation whose result has no ``le``."""
    found = None
    for node in walk(arg):
        if isinstance(node, pp.AggregateExpr):
            labels = output_labels(node, catalog.resolve)
            if not labels.has("le"):
                modifier = node.modifier
                grouping = f" {'by' if modifier.type == pp.AggModifierType.By else 'without'} " \
                           f"({', '.join(modifier.labels)})" if modifier is not None else ""
                found = f"{node.op}{grouping}"
    return found


def _value_side(node: object) -> object:
    """The part of ``node`` whose series make its result: a binary operation's result series
    are its left side's (its right side's under group_right; both sides' for ``or``), the other
    side only filters or scales them (kubernetes' ``buckets * on (instance) group_left (node)
    kubelet_node_name``)."""
    if isinstance(node, pp.ParenExpr):
        return _value_side(node.expr)
    if isinstance(node, pp.BinaryExpr):
        if str(node.op) == "or":
            return node
        modifier = node.modifier
        if modifier is not None and str(modifier.card).endswith("OneToMany"):
            return _value_side(node.rhs)
        if isinstance(node.lhs, pp.NumberLiteral):
            return _value_side(node.rhs)
        return _value_side(node.lhs)
    return node


def _buckets(arg: object) -> list[object]:
    """The selectors whose series ``histogram_quantile`` reads as buckets: those on the value
    side of every binary operation down to the functions (aggregations pass through)."""
    side = _value_side(arg)
    if isinstance(side, pp.BinaryExpr):  # or: both sides
        return _buckets(side.lhs) + _buckets(side.rhs)
    if isinstance(side, pp.AggregateExpr):
        return _buckets(side.expr)
    return list(selectors(side))  # a function call or selector: as written, so rate() is seen


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query) -> Iterator[Problem]:
    if query.ast is None:
        return
    for call in calls(query.ast, "histogram_quantile"):
        if len(call.args) < 2:
            continue
        arg = call.args[1]
        not_buckets = False
        for selector in _buckets(arg):
            series = catalog.lookup(selector.name) if selector.name else None
            if series is None:
                continue
            if series.type == "recorded":
                if "le" not in series.labels and not catalog.open_labels.get(series.name):
                    yield _problem(ctx, query, f"histogram_quantile() over recorded series {selector.name}, "
                                               "which has no le label: record the buckets by le")
                continue
            if not (series.type == "histogram" and series.part == "bucket"):
                what = f"the {series.part} of a histogram" if series.type == "histogram" else f"a {series.type}"
                buckets = f"{selector.name[:-len(series.part) - 1]}_bucket" if series.part else None
                hint = f"; use {buckets}" if buckets and catalog.lookup(buckets) else ""
                not_buckets = True
                yield _problem(ctx, query, f"histogram_quantile() over {selector.name}, which is {what}, "
                                           f"not a histogram's _bucket series{hint}")
                continue
            if selector.function not in _RATES:
                yield _problem(ctx, query, f"histogram_quantile() over {selector.name} without rate(): the "
                                           "buckets are counters, so this is the quantile since the process "
                                           f"started; use rate({selector.name}[5m])", "warning")
        labels = output_labels(arg, catalog.resolve)
        if not not_buckets and not labels.scalar and not labels.has("le"):
            where = _dropping_aggregation(arg, catalog)
            fix = f"{where} drops le: add le to its by (...)" if where else "the expression drops le"
            yield _problem(ctx, query, f"histogram_quantile() needs the le label, but {fix} "
                                       "(e.g. sum by (le, path) (rate(x_bucket[5m])))")


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    for query in ctx.queries:
        yield from check_query(ctx, catalog, query)
