"""``slo/latency-bucket``: a latency SLO's threshold is a bucket bound of its histogram.

A latency SLI counts the good requests in the bucket ``le=<threshold>``. A histogram has no
bucket at any other bound, so with a threshold between two bounds (0.3 s when the buckets are
0.25 and 0.5) the SLI selects no bucket: every request counts as bad and the SLO's alerts fire
at once. The bounds are the catalog's (``Metric.buckets``; the instrumentation's histograms
record theirs). A catalog that records no bounds for the histogram cannot say: a note says the
threshold is unchecked. A histogram no catalog lists is reported by ``catalog/metric``."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from obscode import paths
from obscode.checks import CheckContext, Problem
from obscode.model.slo import LatencySLI
from obscode.promql import parse, selectors
from obscode.slo.names import rule_file_name
from obscode.slo.rules import decimal_text

CHECK_ID = "slo/latency-bucket"


def _bound(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = None
    for slo in ctx.stack.slos:
        sli = slo.sli
        if not isinstance(sli, LatencySLI):
            continue
        catalog = catalog or ctx.catalog_index
        selector = selectors(parse(sli.histogram))[0]
        series = catalog.lookup(f"{selector.name}_bucket")
        if series is None or series.type != "histogram":
            continue
        threshold = decimal_text(sli.threshold)
        where_defined = {"check": CHECK_ID, "stack": ctx.name, "file": paths.rule_file(rule_file_name(slo)),
                         "obj": f"SLO {slo.name}", "field": "sli.threshold", "source": slo.source}
        for job in sorted(catalog.providers(series, selector)):
            for source, metric in series.sources.get(job, []):
                where = f"{metric.name} (catalog {source.name}, job {job})"
                if not metric.buckets:
                    yield Problem(
                        **where_defined, severity="info",
                        message=f"the catalog records no bucket bounds of {where}, so threshold {threshold} s is "
                                "not checked: list them in the catalog's buckets")
                    continue
                bounds = sorted(_bound(b) for b in metric.buckets)
                if sli.threshold.normalize() in {b.normalize() for b in bounds}:
                    continue
                listed = ", ".join(decimal_text(b) for b in bounds)
                yield Problem(
                    **where_defined,
                    message=f"threshold {threshold} s is not a bucket bound of {where}: no bucket counts the requests "
                            f"under it, so every request would count as slow; its bounds are {listed}: pick one, or "
                            "add the bound to the histogram's buckets",
                    cause=f"threshold {threshold} s is not a bucket bound of {metric.name}")
