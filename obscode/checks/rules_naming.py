"""``rules/naming``: recording rule names in Prometheus' ``level:metric:operations`` form,
and none that is the name of a metric a catalog lists.

Prometheus' naming practice (https://prometheus.io/docs/practices/rules/) names a recorded
series ``level:metric:operations``: the labels it keeps, the metric it is made from, and the
operations applied, newest first (``job:http_requests:rate5m``). Colons are what sets a
recorded series apart from a scraped one (exporters do not use them), so a name without one
is reported, with the severity ``Stack.recording_rule_naming`` gives ("warning" by default,
"error", or "off"). As published mixins write them, names of two parts (``instance:node_cpu``,
``apiserver_request:burnrate1h``), an empty level (``:node_memory_MemAvailable_bytes:sum``, kept
nothing) and empty operations (``node_namespace_pod:kube_pod_info:``) are accepted; an empty
metric (``job::rate5m``) is not.

A recording rule whose name is a metric a catalog lists is an error whatever that setting:
queries of the name then read the scraped series and the rule's output mixed, which no check
can make sense of (so the other checks take the name's labels as unknown instead of
reporting each consequence)."""

from __future__ import annotations

from collections.abc import Iterator

import promql_parser as pp

from obscode.catalog_index import StackCatalog
from obscode.checks import CheckContext, Problem
from obscode.model.rules import RecordingRule
from obscode.promql import parse

CHECK_ID = "rules/naming"
_RATES = {"rate": "rate", "irate": "irate", "increase": "increase"}


def _range(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def suggestion(expr: str) -> str | None:
    """A ``level:metric:operations`` name for the simple shapes: ``sum by (job) (rate(x_total[5m]))``
    is ``job:x:rate5m``; ``sum by (job) (x)`` is ``job:x:sum``."""
    try:
        node = parse(expr)
    except ValueError:
        return None
    level, operation = "", ""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.AggregateExpr):
        modifier = node.modifier
        if modifier is None or modifier.type != pp.AggModifierType.By or not modifier.labels:
            return None
        level, operation = "_".join(modifier.labels), str(node.op)
        node = node.expr
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.Call) and node.func.name in _RATES and node.args and \
            isinstance(node.args[0], pp.MatrixSelector):
        selector = node.args[0].vector_selector
        operation = f"{_RATES[node.func.name]}{_range(node.args[0].range.total_seconds())}"
        metric = (selector.name or "").removesuffix("_total")
    elif isinstance(node, pp.VectorSelector) and operation:
        metric = node.name or ""
    else:
        return None
    if not metric or ":" in metric:
        return None
    return f"{level or 'instance'}:{metric}:{operation}"


def naming_problem(name: str) -> str | None:
    """Why ``name`` is outside the ``level:metric:operations`` form, or None."""
    parts = name.split(":")
    if len(parts) == 1:
        return "has no colon"
    if not any(parts) or any(not part for part in parts[1:-1]):
        return "has an empty metric part"
    return None


def _shadow_message(record: str, catalog: StackCatalog) -> str:
    shadowed = catalog.shadowed[record]
    lists = ", ".join(c for c in shadowed.catalogs if c != "recording rules") or "a catalog"
    jobs = f" for job{'s' if len(shadowed.jobs) > 1 else ''} {', '.join(shadowed.jobs)}" if shadowed.jobs else ""
    return (f"recording rule {record} shadows metric {record} that catalog {lists} lists{jobs}: queries of "
            f"{record} read the scraped series and the rule's output mixed; give the rule a name of its own "
            "in the level:metric:operations form")


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    severity = ctx.stack.recording_rule_naming
    for rule_file in ctx.stack.rule_files:
        for group in rule_file.groups:
            for rule in group.rules:
                if not isinstance(rule, RecordingRule):
                    continue

                def problem(message: str, level: str) -> Problem:
                    return Problem(check=CHECK_ID, stack=ctx.name, file=f"prometheus/{rule_file.path}",
                                   obj=f"recording rule {rule.record} (group {group.name})", field="record",
                                   message=message, severity=level, source=rule.source)  # type: ignore[arg-type]

                if rule.record in catalog.shadowed:
                    yield problem(_shadow_message(rule.record, catalog), "error")
                    continue
                why = naming_problem(rule.record)
                if why is None or severity == "off":
                    continue
                example = suggestion(rule.expr) or "job:http_requests:rate5m"
                yield problem(f"record {rule.record} {why}: name recording rules level:metric:operations (the "
                              f"labels kept, the metric, the operations), e.g. {example}", severity)
