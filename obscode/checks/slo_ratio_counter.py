"""``slo/ratio-counter``: a ratio SLO counts events with counters.

A ratio SLI's rules take ``increase()`` of its ``total`` and ``bad`` (or ``good``) selectors
over each window: the events in the window. That needs counters (``_total``, or a histogram's
``_count`` and ``_bucket``): over a gauge, ``increase()`` reads every drop as a counter reset
and the ratio means nothing. A recording rule's output counts when its expression keeps
counters (a sum of counters); a rate or ratio does not. A metric no catalog lists is reported
by ``catalog/metric``, one of unknown type not at all."""

from __future__ import annotations

from collections.abc import Iterator

from obscode import paths
from obscode.checks import CheckContext, Problem
from obscode.model.slo import RatioSLI
from obscode.promql import parse, selectors
from obscode.slo.names import rule_file_name

CHECK_ID = "slo/ratio-counter"


_KINDS = {"gauge": "a gauge", "info": "an info metric", "summary": "a summary's quantiles"}


def _kind(series_type: str, recorded_type: str) -> str | None:
    """What the series is when it is surely not a counter, else None (untyped: may be one)."""
    if series_type == "recorded":
        return "a recording rule's output that is not a counter (a rate, ratio or gauge)" \
            if recorded_type == "gauge" else None
    return _KINDS.get(series_type)


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = None
    for slo in ctx.stack.slos:
        sli = slo.sli
        if not isinstance(sli, RatioSLI):
            continue
        catalog = catalog or ctx.catalog_index
        for field in ("total", "bad", "good"):
            text = getattr(sli, field)
            if not text:
                continue
            selector = selectors(parse(text))[0]
            series = catalog.lookup(selector.name or "")
            if series is None or series.counter_like:
                continue
            kind = _kind(series.type, series.recorded_type)
            if kind is None:
                continue
            yield Problem(
                check=CHECK_ID, stack=ctx.name, file=paths.rule_file(rule_file_name(slo)), obj=f"SLO {slo.name}",
                field=f"sli.{field}", source=slo.source,
                message=f"{series.name} is {kind}, not a counter: a ratio SLI counts the events in each window with "
                        "increase(), which only counters support; select a counter of the events (a _total metric, "
                        "or a histogram's _count)",
                cause=f"{series.name} is {kind}, not a counter")
