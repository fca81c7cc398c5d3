"""``catalog/metric``: every metric an alert, recording rule or dashboard panel selects is
emitted by a catalog the stack uses, and by the job a ``job="..."`` matcher names.

A miss names the closest series that exists ("did you mean http_requests_total?").
Catalogs come from the stack's ``job_catalogs``, Prometheus' own series (``up``,
``scrape_*``, ``ALERTS``) and the stack's recording rules."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.catalog_index import Series, StackCatalog, index
from obscode.checks import CheckContext, Problem
from obscode.promql import Selector, selectors
from obscode.queries import VARIABLE_VALUE, Query, collect, display

CHECK_ID = "catalog/metric"


def _problem(ctx: CheckContext, query: Query, message: str, severity: str = "error") -> Problem:
    return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=query.field,
                   message=message, severity=severity, source=query.source)  # type: ignore[arg-type]


def _sources(series: Series) -> str:
    if series.jobs:
        return f"job(s) {', '.join(sorted(series.jobs))}"
    return ", ".join(sorted(series.catalogs))


def _missing(catalog: StackCatalog, selector: Selector) -> str:
    name = selector.name or ""
    for part in ("_bucket", "_sum", "_count", "_total"):
        if catalog.lookup(name + part):
            kind = catalog.lookup(name + part).type  # type: ignore[union-attr]
            if part == "_total":
                return f"metric {name} does not exist; counters are exposed with _total: {name}_total"
            return (f"metric {name} does not exist: it is a {kind}, query {name}_bucket, {name}_sum "
                    f"or {name}_count" if kind == "histogram" else
                    f"metric {name} does not exist: it is a {kind}, query {name}, {name}_sum or {name}_count")
    message = f"metric {name} is not emitted by any catalog of this stack (selector {display(selector.text)})"
    suggestion = catalog.suggest(name)
    if suggestion:
        message += f"; did you mean {suggestion}?"
    else:
        message += "; add the catalog of the job that emits it to the stack's job_catalogs"
    return message


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query) -> Iterator[Problem]:
    if query.ast is None:
        yield _problem(ctx, query, f"cannot parse {query.expr!r} as PromQL, so it was not checked "
                                   "against the catalogs", "warning")
        return
    for selector in selectors(query.ast):
        if selector.name is None or selector.name == VARIABLE_VALUE:
            continue
        series = catalog.lookup(selector.name)
        if series is None:
            yield _problem(ctx, query, _missing(catalog, selector))
            continue
        job = selector.equals("job")
        if job is not None and series.jobs and job not in series.jobs and VARIABLE_VALUE not in job:
            yield _problem(ctx, query, f"metric {selector.name} is not emitted by job {job!r} "
                                       f"(selector {display(selector.text)}); it comes from {_sources(series)}")


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = index(ctx)
    for query in collect(ctx):
        yield from check_query(ctx, catalog, query)
