"""``promql/rate``: ``rate``, ``irate`` and ``increase`` only over counters (or the
``_bucket``/``_sum``/``_count`` series of histograms and summaries), over a range of at
least twice the scrape interval of the job that writes the series (four times is safer).

A gauge goes up and down, so rate() over it reads every drop as a counter reset; use
``deriv()`` or ``delta()``. A recording rule's output has the type of what its expression
computes (:mod:`obscode.expr_types`): a counter selector, or a sum of counters, records a
counter; ``rate()``, a ratio, arithmetic or a gauge record a gauge, which rate() must not
read either (read the counter the rule reads instead); an expression whose type is unknown
is not reported. A range shorter than two scrapes often holds a single sample
and returns nothing. Ranges Grafana fills in (``$__rate_interval``) are not checked, nor
ranges over series whose scrape interval the stack does not know (a job of a Prometheus
configured elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.catalog_index import Series, StackCatalog
from obscode.checks import CheckContext, Problem
from obscode.grafana_vars import display, is_variable_range
from obscode.promql import Selector, calls, range_argument
from obscode.queries import Query

CHECK_ID = "promql/rate"
FUNCTIONS = ("rate", "irate", "increase")


def _seconds(value: float) -> str:
    if value >= 60 and value % 60 == 0:
        return f"{int(value // 60)}m"
    return f"{value:g}s"


def _not_a_counter(function: str, selector: Selector, series: Series, catalog: StackCatalog) -> str | None:
    alternative = "deriv()" if function != "increase" else "delta()"
    name = selector.name
    if series.type == "recorded":
        value = catalog.recorded_values.get(series.name)
        if series.recorded_type != "gauge" or value is None:
            return None
        return (f"{function}() over {name}, which recording rule {name} records as a gauge ({value.why}), not a "
                f"counter: {function}() treats every drop as a counter reset; apply {function}() to the counter "
                f"the rule reads, or use {alternative} (in {display(selector.text)})")
    if series.type == "untyped" or series.counter_like:
        return None
    return (f"{function}() over {name}, which is a {series.type}, not a counter: {function}() treats every drop "
            f"as a counter reset; use {alternative} (in {display(selector.text)})")


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query) -> Iterator[Problem]:
    if query.ast is None:
        return
    for function in FUNCTIONS:
        for call in calls(query.ast, function):
            selector, range_seconds, _subquery = range_argument(call)
            if selector is None or selector.name is None:
                continue
            series = catalog.lookup(selector.name)
            if series is None:
                continue  # catalog/metric reports it
            message = _not_a_counter(function, selector, series, catalog)
            if message:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=query.field,
                              message=message, source=query.source)
                continue
            if range_seconds is None or is_variable_range(range_seconds):
                continue
            interval = catalog.scrape_interval_seconds(series, selector)
            if interval is None or range_seconds >= 2 * interval:
                continue
            producer = "rule evaluation" if series.type == "recorded" else \
                f"job(s) {', '.join(sorted(catalog.providers(series, selector)))}"
            yield Problem(
                check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=query.field,
                message=f"{function}() over [{_seconds(range_seconds)}] of {selector.name}, written by {producer} "
                        f"every {_seconds(interval)}: the range needs at least two samples; "
                        f"use [{_seconds(4 * interval)}] or more (at least [{_seconds(2 * interval)}])",
                source=query.source)


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    for query in ctx.queries:
        yield from check_query(ctx, catalog, query)
