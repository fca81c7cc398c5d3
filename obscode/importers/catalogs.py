"""Which shipped catalogs describe the jobs an imported stack queries.

A job is named by a selector's ``job`` matcher (``job="kube-state-metrics"``, or each name of
``job=~"node-exporter|node"``); the metrics selected with it point at a catalog when exactly
one shipped catalog owns them: by one of its ``namespaces`` (name prefixes the exporter owns)
or, when no catalog claims the prefix, by listing the series. Series Prometheus writes itself
(``up``, ``scrape_*``, ``ALERTS``) are evidence of nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from obscode.catalog_index import PER_TARGET_SERIES
from obscode.model.catalog import Catalog, shipped, shipped_names
from obscode.promql import UNKNOWN, analyse, parse, selectors
from obscode.queries import VARIABLE_VALUE, substitute

_JOB_NAMES = re.compile(r"^[\w.:-]+(\|[\w.:-]+)*$")
#: Labels that service discovery and relabelling conventionally put on every target of a
#: cluster (Kubernetes SD, multi-cluster setups): published mixins query them on metrics
#: whose exporters never emit them. An import that sees them used declares them as the
#: stack's target_labels, so they are not reported as missing; the user removes those their
#: relabelling does not add.
CONVENTIONAL_TARGET_LABELS = frozenset({
    "cluster", "namespace", "pod", "container", "node", "service", "endpoint",
    "region", "zone", "env", "environment", "datacenter", "tenant",
})
_PROMETHEUS_OWN = frozenset(PER_TARGET_SERIES) | {"ALERTS", "ALERTS_FOR_STATE"}


@dataclass(frozen=True)
class _ShippedCatalog:
    name: str
    namespaces: tuple[str, ...]
    series: frozenset[str]


def _summary(catalog: Catalog) -> _ShippedCatalog:
    return _ShippedCatalog(catalog.name, tuple(catalog.namespaces), frozenset(catalog.series()))


@functools.cache
def _shipped() -> tuple[_ShippedCatalog, ...]:
    return tuple(_summary(shipped(name)) for name in shipped_names())


def owners(metric: str, catalogs: tuple[_ShippedCatalog, ...] | None = None) -> list[str]:
    """The catalogs that can emit ``metric``: those owning its prefix, else those listing it."""
    if metric in _PROMETHEUS_OWN:
        return []
    known = _shipped() if catalogs is None else catalogs
    by_namespace = [c.name for c in known if any(metric.startswith(p) for p in c.namespaces)]
    if by_namespace:
        return by_namespace
    return [c.name for c in known if metric in c.series]


def _jobs(selector: Any) -> list[str]:
    names: list[str] = []
    for matcher in selector.matchers:
        if matcher.label != "job":
            continue
        if matcher.op == "=" and matcher.value:
            names.append(matcher.value)
        elif matcher.op == "=~" and _JOB_NAMES.match(matcher.value):
            names.extend(matcher.value.split("|"))
    return names


@dataclass
class Suggestion:
    """Catalogs per job, and the jobs no shipped catalog matched (sorted)."""

    job_catalogs: dict[str, list[str]] = field(default_factory=dict)
    without: list[str] = field(default_factory=list)
    #: Conventional target labels the queries use (see CONVENTIONAL_TARGET_LABELS), sorted.
    target_labels: list[str] = field(default_factory=list)


def suggest(expressions: list[str], catalogs: list[Catalog] | None = None) -> Suggestion:
    """Catalog suggestions from PromQL expressions (Grafana variables allowed), among
    ``catalogs`` (default: the shipped ones)."""
    known = None if catalogs is None else tuple(_summary(c) for c in catalogs)
    metrics: dict[str, set[str]] = {}
    used_labels: set[str] = set()
    for expr in expressions:
        try:
            tree = parse(substitute(expr))
        except (ValueError, TypeError):
            continue
        used_labels |= {use.label for use in analyse(tree, lambda _selector: UNKNOWN).uses}
        for selector in selectors(tree):
            used_labels |= {matcher.label for matcher in selector.matchers}
            for job in _jobs(selector):
                if "$" in job or VARIABLE_VALUE in job:  # a Grafana variable: no job named
                    continue
                metrics.setdefault(job, set())
                if selector.name:
                    metrics[job].add(selector.name)
    result = Suggestion(target_labels=sorted(used_labels & CONVENTIONAL_TARGET_LABELS))
    for job in sorted(metrics):
        found = sorted({only[0] for m in metrics[job] if len(only := owners(m, known)) == 1})
        if found:
            result.job_catalogs[job] = found
        else:
            result.without.append(job)
    return result
