"""``catalog/metric``: every metric an alert, recording rule or dashboard panel selects is
emitted by a catalog the stack uses, and by the job a ``job="..."`` matcher names.

A metric no catalog lists is an error only where the catalogs can be sure: the selector's
``job="x"`` names a job that has catalogs, the name starts with a prefix an exporter in use
owns (``node_``), or every job of the stack has catalogs. Otherwise it may come from a job
without a catalog: one warning per stack counts such metrics. A metric whose collector is
off, or that its collector emits only where a condition holds (hardware), is a warning.
A "did you mean" names a series only when it is very likely the one meant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from obscode.catalog_index import PER_TARGET_SERIES, Gate, Series, StackCatalog
from obscode.checks import CheckContext, Problem
from obscode.promql import Selector, selectors
from obscode.queries import VARIABLE_VALUE, Query, display

CHECK_ID = "catalog/metric"
#: Unchecked metric names the summary warning lists before "and N more".
LISTED = 5
#: How the exporters of the shipped catalogs turn a collector on, as their documentation says.
ENABLE_FLAGS = {"node-exporter": "--collector.{}", "postgres-exporter": "--collector.{}",
                "cadvisor": "-enable_metrics={}", "kube-state-metrics": "--resources={}"}


@dataclass
class Unchecked:
    """Metrics no catalog can vouch for, because a job without a catalog may emit them."""

    names: dict[str, None] = field(default_factory=dict)
    uses: int = 0
    first: Query | None = None
    #: Jobs that selectors name although a stack without Prometheus configuration does not.
    undeclared: set[str] = field(default_factory=set)

    def add(self, query: Query, selector: Selector, catalog: StackCatalog) -> None:
        self.names.setdefault(selector.name or "")
        self.uses += 1
        self.first = self.first or query
        job = selector.equals("job")
        if job is not None and VARIABLE_VALUE not in job and catalog.undeclared(job):
            self.undeclared.add(job)  # check_query called alone, without run's first pass


#: Where a message shows the selector; the finding's cause is the message without it, so the
#: same mistake in many queries is reported once with its locations.
_AT = "\x00"


def _problem(ctx: CheckContext, query: Query, message: str, severity: str = "error",
             selector: Selector | None = None) -> Problem:
    shown = f" (selector {display(selector.text)})" if selector is not None else ""
    return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj, field=query.field,
                   message=message.replace(_AT, shown), severity=severity,  # type: ignore[arg-type]
                   source=query.source, cause=message.replace(_AT, "") if _AT in message else "")


def _sources(series: Series) -> str:
    if series.jobs:
        return f"job(s) {', '.join(sorted(series.jobs))}"
    return ", ".join(sorted(series.catalogs))


def _renamed(catalog: StackCatalog, name: str) -> str | None:
    """The message for a name one known mistake away from a series: a counter without
    ``_total``, a histogram or summary by its bare name, ``_bucket`` of a summary, ``_total``
    on a gauge."""
    for part in ("_bucket", "_sum", "_count", "_total"):
        found = catalog.lookup(name + part)
        if found is None or (part != "_total" and not found.part):  # x_count may be a plain counter
            continue
        if part == "_total":
            return f"metric {name} does not exist; counters are exposed with _total: {name}_total"
        if found.type == "histogram":
            return (f"metric {name} does not exist: it is a histogram, query {name}_bucket, {name}_sum "
                    f"or {name}_count")
        return f"metric {name} does not exist: it is a {found.type}, query {name}, {name}_sum or {name}_count"
    base = name.removesuffix("_bucket")
    summary = catalog.lookup(base) if base != name else None
    if summary is not None and summary.type == "summary":
        return (f"metric {name} does not exist: {base} is a summary, which has no buckets; query {base} "
                f"(it has quantile), {base}_sum or {base}_count")
    base = name.removesuffix("_total")
    gauge = catalog.lookup(base) if base != name else None
    if gauge is not None and gauge.type in ("gauge", "info", "untyped"):
        return f"metric {name} does not exist: {base} is a {gauge.type}, without _total; query {base}"
    return None


def _certain(catalog: StackCatalog, selector: Selector, closed: bool) -> str | None:
    """Why no job can emit the unknown metric ``selector`` names ("" when every job has
    catalogs), or None when a job without a catalog may. A name with a colon is a recording
    rule's by convention, which no job's catalog would list."""
    job = selector.equals("job")
    undeclared = job is not None and catalog.undeclared(job)
    if ":" in (selector.name or ""):
        return "" if closed and not undeclared else None
    if job is not None and catalog.catalogued(job):
        listed = ", ".join(c.name for c in catalog.stack.job_catalogs[job])
        return f"job {job!r} has catalogs ({listed}) and none lists it"
    owner = catalog.owner(selector.name or "")
    if owner is not None:
        return f"names starting {owner[0]} belong to {owner[1]}, which does not list it"
    if closed and not undeclared:
        return ""
    return None


def _missing(catalog: StackCatalog, selector: Selector, reason: str) -> str:
    name = selector.name or ""
    message = f"metric {name} is not emitted by any catalog of this stack{_AT}"
    if reason:
        message += f": {reason}"
    suggestion = catalog.suggest(name)
    if suggestion:
        return message + f"; did you mean {suggestion}?"
    if reason:
        return message + "; check the name, and the exporter version its catalog describes"
    if ":" in name:
        return message + "; its name says it is a recording rule's: add the rule to the stack's rule_files"
    return message + "; add the catalog of the job that emits it to the stack's job_catalogs"


def _gate_message(name: str, gate: Gate) -> str:
    jobs = ", ".join(gate.jobs)
    if gate.reason == "newer":
        return (f"metric {name} first appears in {gate.catalog} {gate.condition} (as its catalog records it); "
                f"job {jobs} runs {gate.version} (Stack.job_versions): upgrade it, or query what {gate.version} emits")
    if gate.reason == "removed":
        return (f"metric {name} is gone after {gate.catalog} {gate.condition} (the last version its catalog "
                f"records it in); job {jobs} runs {gate.version} (Stack.job_versions): query the name that replaced it")
    example = f"job_collectors={{{gate.jobs[0]!r}: {{{gate.collector!r}: True}}}}"
    if gate.reason == "condition":
        return (f"metric {name} is emitted only when {gate.condition} (collector {gate.collector} of "
                f"{gate.catalog}, job {jobs}); if every target qualifies, say so with {example}")
    flag = ENABLE_FLAGS.get(gate.catalog)
    how = f"{gate.catalog} {flag.format(gate.collector)}" if flag else f"a collector of {gate.catalog}"
    message = f"metric {name} is emitted only when collector {gate.collector} is enabled on job {jobs} ({how})"
    if gate.reason == "disabled":
        return message + "; the stack's job_collectors disables it"
    return message + f"; it is off by default: if the job runs it, say so with {example}"


def _unknown(ctx: CheckContext, catalog: StackCatalog, query: Query, selector: Selector,
             unchecked: Unchecked, closed: bool) -> Iterator[Problem]:
    name = selector.name or ""
    renamed = _renamed(catalog, name)
    reason = _certain(catalog, selector, closed)
    if reason is not None:
        yield _problem(ctx, query, renamed or _missing(catalog, selector, reason), selector=selector)
        return
    suggestion = None if renamed else catalog.suggest(name)
    if renamed or suggestion:  # very likely a mistake, though a job without a catalog could emit it
        hint = renamed or f"metric {name} is not in any catalog of this stack{_AT}; did you mean {suggestion}?"
        yield _problem(ctx, query, f"{hint} (unless a job without a catalog emits it)", "warning", selector)
        return
    unchecked.add(query, selector, catalog)


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query,
                unchecked: Unchecked | None = None, closed: bool | None = None) -> Iterator[Problem]:
    """Findings of one query; ``unchecked`` collects what no catalog can vouch for, and
    ``closed`` says whether the catalogs cover every job (default: as the stack declares;
    :func:`run` also opens it when a query names a job the stack does not declare)."""
    unchecked = unchecked if unchecked is not None else Unchecked()
    closed = catalog.closed_world if closed is None else closed
    if query.ast is None:
        yield _problem(ctx, query, f"cannot parse {query.expr!r} as PromQL, so it was not checked "
                                   "against the catalogs", "warning")
        return
    seen: set[tuple[str, str | None]] = set()
    for selector in selectors(query.ast):
        if selector.name is None or VARIABLE_VALUE in selector.name:  # a name Grafana fills in
            continue
        if (selector.name, selector.equals("job")) in seen:
            continue  # the same metric twice in one query (x / x offset 1d) is one finding
        seen.add((selector.name, selector.equals("job")))
        series = catalog.lookup(selector.name)
        if series is None:
            yield from _unknown(ctx, catalog, query, selector, unchecked, closed)
            continue
        job = selector.equals("job")
        if job is not None and series.jobs and job not in series.jobs and VARIABLE_VALUE not in job:
            if catalog.undeclared(job) and selector.name in PER_TARGET_SERIES:
                continue  # Prometheus writes up and scrape_* for every job, declared or not
            if catalog.catalogued(job) or (closed and not catalog.undeclared(job)):
                yield _problem(ctx, query, f"metric {selector.name} is not emitted by job {job!r}{_AT}; "
                                           f"it comes from {_sources(series)}", selector=selector)
            else:
                unchecked.add(query, selector, catalog)
            continue
        for gate in catalog.gates(series, selector)[:1]:
            yield _problem(ctx, query, _gate_message(selector.name, gate), "warning")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _summary(ctx: CheckContext, catalog: StackCatalog, unchecked: Unchecked) -> Problem:
    names = list(unchecked.names)
    listed = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
    they, them, are = ("it", "it", "is") if len(names) == 1 else ("they", "them", "are")
    jobs = sorted(set(catalog.uncatalogued_jobs) | unchecked.undeclared)
    partial = sorted({c.name for cs in ctx.stack.job_catalogs.values() for c in cs if c.partial})
    if partial and not jobs:
        why = (f"catalog{'s' if len(partial) > 1 else ''} {', '.join(partial)} list{'' if len(partial) > 1 else 's'} "
               f"only part of what {'their exporters emit' if len(partial) > 1 else 'its exporter emits'}, "
               f"so {they} may exist")
    elif ctx.stack.unlisted_jobs and not jobs:
        why = (f"the stack's Prometheus has jobs job_catalogs does not list (unlisted_jobs=True), which may emit "
               f"{them}; list every job with its catalogs and drop unlisted_jobs to check {them}")
    elif len(jobs) == 1:
        why = f"job {jobs[0]} has no catalog and may emit {them}; give it one in job_catalogs to check {them}"
    elif jobs:
        why = (f"jobs {', '.join(jobs)} have no catalog and may emit {them}; give them catalogs in job_catalogs "
               f"to check {them}")
    else:
        why = (f"the stack names no scrape job, so {they} may come from any; name the jobs and their catalogs "
               f"in job_catalogs to check {them}")
    message = (f"{_plural(len(names), 'metric')} {are} not checked against a catalog "
               f"({_plural(unchecked.uses, 'use')}, the first here): {listed}; {why}")
    assert unchecked.first is not None
    return _problem(ctx, unchecked.first, message, "warning")


def undeclared_jobs(catalog: StackCatalog, queries: list[Query]) -> set[str]:
    """Jobs that ``job="x"`` matchers name although a stack without Prometheus configuration
    leaves them out of job_catalogs, which shows that list is not the whole Prometheus."""
    named = {s.equals("job") for q in queries if q.ast is not None for s in selectors(q.ast)}
    return {job for job in named if job is not None and VARIABLE_VALUE not in job and catalog.undeclared(job)}


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    queries = ctx.queries
    unchecked = Unchecked(undeclared=undeclared_jobs(catalog, queries))
    closed = catalog.closed_world and not unchecked.undeclared
    for query in queries:
        yield from check_query(ctx, catalog, query, unchecked, closed)
    if unchecked.names:
        yield _summary(ctx, catalog, unchecked)
