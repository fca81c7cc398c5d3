"""``catalog/label``: every label a query relies on exists where it is used.

Checked: label matchers (``{mode="idle"}``, and their values where the catalog lists a
label's values), ``by``/``without``, ``on``/``ignoring``, ``group_left``/``group_right``,
``label_replace``/``label_join`` sources, Grafana legends (``{{path}}``), ``label_values``
variables, and ``$labels.x`` in alert labels. A label is known when the metric's catalog
lists it, the scrape job attaches it (``job``, ``instance``, static and relabelled
labels), or an earlier step of the expression produces it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator

from obscode.catalog_index import StackCatalog, index
from obscode.checks import CheckContext, Problem
from obscode.promql import LabelSet, LabelUse, analyse
from obscode.queries import VARIABLE_VALUE, Query, collect, display

CHECK_ID = "catalog/label"

_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
TEMPLATE_LABEL = re.compile(
    r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|\.Labels\.([a-zA-Z_][a-zA-Z0-9_]*)"
    r"|index\s+\$labels\s+\"([a-zA-Z_][a-zA-Z0-9_]*)\"")


def template_labels(text: str) -> list[str]:
    """Labels an alert template reads: ``$labels.x``, ``.Labels.x``, ``index $labels "x"``."""
    return [next(g for g in m.groups() if g) for m in TEMPLATE_LABEL.finditer(text)]


def closest(word: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return close[0] if close else None


def missing_label(label: str, available: LabelSet, what: str) -> tuple[str, str] | None:
    """(message, severity) when ``label`` is not in ``available``, else None."""
    if label in available.names:
        return None
    suggestion = closest(label, available.names)
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    listed = ", ".join(sorted(available.names)) or "none"
    if available.open:
        if not suggestion:
            return None
        return (f"label {label} ({what}) is not in any catalog; relabelling could add it, but it looks "
                f"like a typo{hint} (known labels: {listed})", "warning")
    return f"label {label} ({what}) does not exist there{hint} (labels available: {listed})", "error"


def _problem(ctx: CheckContext, query: Query, message: str, severity: str = "error",
             field: str | None = None) -> Problem:
    return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj,
                   field=field or query.field, message=message, severity=severity,  # type: ignore[arg-type]
                   source=query.source)


def _value_problem(catalog: StackCatalog, use: LabelUse) -> str | None:
    sel = use.selector
    if sel is None or sel.name is None:
        return None
    series = catalog.lookup(sel.name)
    known = series.label_values.get(use.label) if series else None
    if not known:
        return None
    for matcher in sel.matchers:
        if matcher.label != use.label or VARIABLE_VALUE in matcher.value or "$" in matcher.value:
            continue
        if matcher.op == "=" and matcher.value not in known:
            suggestion = closest(matcher.value, known)
            hint = f"did you mean {suggestion}? " if suggestion else ""
            return (f"{sel.name} never has {matcher}: {hint}"
                    f"({use.label} is one of {', '.join(known)})")
        if matcher.op == "=~":
            try:
                pattern = re.compile(matcher.value)
            except re.error:
                continue
            if not any(pattern.fullmatch(v) for v in known):
                return (f"{sel.name}: {matcher} matches none of the values {use.label} takes "
                        f"({', '.join(known)})")
    return None


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query) -> Iterator[Problem]:
    if query.ast is None:
        return
    analysis = analyse(query.ast, catalog.resolve)
    seen: set[tuple[str, str]] = set()
    for use in analysis.uses:
        if (use.label, use.where) in seen:
            continue
        seen.add((use.label, use.where))
        found = missing_label(use.label, use.available, use.where)
        if found:
            yield _problem(ctx, query, display(found[0]), found[1])
            continue
        bad_value = _value_problem(catalog, use)
        if bad_value:
            yield _problem(ctx, query, bad_value)
    output = analysis.labels
    if query.legend and not output.scalar:
        for label in dict.fromkeys(_LEGEND.findall(query.legend)):
            found = missing_label(label, output, f"legend {query.legend!r}; the query's result does not keep it")
            if found:
                yield _problem(ctx, query, found[0], found[1], field="legendFormat")
    for label in query.required_labels:
        found = missing_label(label, output, "label_values variable; the query's result does not carry it")
        if found:
            yield _problem(ctx, query, found[0], found[1])
    if query.kind == "alert" and query.rule is not None:
        for name, value in sorted(query.rule.labels.items()):
            for label in dict.fromkeys(template_labels(value)):
                found = missing_label(label, output, f"$labels.{label} in label {name}; the expression's "
                                                     "result does not keep it")
                if found:
                    yield _problem(ctx, query, found[0], found[1], field=f"labels.{name}")


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = index(ctx)
    for query in collect(ctx):
        yield from check_query(ctx, catalog, query)
