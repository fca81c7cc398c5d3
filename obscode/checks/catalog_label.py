"""``catalog/label``: every label a query relies on exists where it is used.

Checked: label matchers (``{mode="idle"}``, and their values where the catalog lists a
label's values), ``by``/``without``, ``on``/``ignoring`` (on one side at least),
``group_left``/``group_right``, ``label_replace``/``label_join`` sources, Grafana legends
(``{{path}}``, ``{{__name__}}``), ``label_values`` variables, and ``$labels.x`` in alert
labels. A label is known when the metric's catalog lists it, the scrape job attaches it
(``job``, ``instance``, static and relabelled labels), or an earlier step of the
expression produces it.

A matcher that also matches the empty string (``=~".*"``, ``!="x"``, a Grafana variable
whose "All" value is ``.*``) selects series without the label too, so it is no evidence
that the label exists. A ``by``/``without`` label that only some of the selected series
carry (a static label of one of several jobs, a label whose catalog values include "") is a
warning: the others are grouped under an empty value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from obscode.catalog_index import StackCatalog, closest_series
from obscode.checks import CheckContext, Problem
from obscode.promql import NAME, LabelSet, LabelUse, Selector, analyse, selectors
from obscode.queries import VARIABLE_VALUE, Query, can_match_empty, display

CHECK_ID = "catalog/label"
_RULE_SERIES = ("ALERTS", "ALERTS_FOR_STATE")

_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
TEMPLATE_LABEL = re.compile(
    r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|\.Labels\.([a-zA-Z_][a-zA-Z0-9_]*)"
    r"|index\s+\$labels\s+\"([a-zA-Z_][a-zA-Z0-9_]*)\"")


def template_labels(text: str) -> list[str]:
    """Labels an alert template reads: ``$labels.x``, ``.Labels.x``, ``index $labels "x"``."""
    return [next(g for g in m.groups() if g) for m in TEMPLATE_LABEL.finditer(text)]


def closest(word: str, options: Iterable[str]) -> str | None:
    """The one option ``word`` very likely stands for: a likely misspelling of it, or else
    the only option holding all of ``word``'s words (``feature`` -> ``feature_name``); None
    when unsure."""
    names = sorted(o for o in options if o != NAME)
    found = closest_series(word, names)
    if found is not None:
        return found
    words = set(word.lower().split("_"))
    wider = [n for n in names if n != word and words < set(n.lower().split("_"))]
    return wider[0] if len(wider) == 1 else None


def _listed(available: LabelSet) -> str:
    return ", ".join(sorted(available.names - {NAME})) or "none"


def missing_label(label: str, available: LabelSet, what: str) -> tuple[str, str] | None:
    """(message, severity) when ``label`` is not in ``available``, else None."""
    if label in available.names:
        return None
    suggestion = closest(label, available.names)
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    listed = _listed(available)
    if available.open:
        if not suggestion:
            return None
        return (f"label {label} ({what}) is not in any catalog; relabelling could add it, but it looks "
                f"like a typo{hint} (known labels: {listed})", "warning")
    return f"label {label} ({what}) does not exist there{hint} (labels available: {listed})", "error"


def _problem(ctx: CheckContext, query: Query, message: str, severity: str = "error",
             field: str | None = None, cause: str = "") -> Problem:
    return Problem(check=CHECK_ID, stack=ctx.name, file=query.file, obj=query.obj,
                   field=field or query.field, message=message, severity=severity,  # type: ignore[arg-type]
                   source=query.source, cause=cause)


class _Resolver:
    """The catalog's labels of a selector, plus which of them only some series carry."""

    def __init__(self, catalog: StackCatalog) -> None:
        self.catalog = catalog
        #: (series, jobs) -> label some of those series lack -> why.
        self._partial: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}

    def __call__(self, selector: Selector) -> LabelSet:
        labels = self.catalog.resolve(selector)
        series = self.catalog.lookup(selector.name) if selector.name else None
        if series is None or labels.open or labels.scalar:
            return labels
        if not series.jobs and not series.catalogs & {"recording rules"} and series.name not in _RULE_SERIES:
            # Scraped (up, prometheus_*) by a job the stack does not declare: its Prometheus is
            # configured elsewhere, with target labels nobody here can list.
            return LabelSet(labels.names | {"job", "instance"}, open=True)
        partial = self._some_only(series, selector)
        return LabelSet(labels.names, labels.open, labels.scalar, frozenset(partial) & labels.names)

    def _some_only(self, series: object, selector: Selector) -> dict[str, str]:
        jobs = tuple(sorted(self.catalog.providers(series, selector)))  # type: ignore[arg-type]
        key = (series.name, jobs)  # type: ignore[attr-defined]
        if key in self._partial:
            return self._partial[key]
        found = {label: f"the catalog of {series.name} says it may be empty"  # type: ignore[attr-defined]
                 for label, values in getattr(series, "label_values", {}).items() if "" in values}
        if len(jobs) >= 2:
            per_job: dict[str, set[str]] = {}
            for job in jobs:
                names = set(self.catalog.job_labels[job].names) if job in self.catalog.job_labels else set()
                sources = getattr(series, "sources", {}).get(job)
                if sources:
                    for _catalog, metric in sources:
                        names |= set(metric.series_names().get(series.name, metric.labels))  # type: ignore[attr-defined]
                else:
                    names |= set(series.labels)  # type: ignore[attr-defined]
                per_job[job] = names
            for label in set.union(*per_job.values()) - set.intersection(*per_job.values()):
                have = [j for j in jobs if label in per_job[j]]
                lack = [j for j in jobs if label not in per_job[j]]
                found.setdefault(label, f"{series.name} of job{'s' if len(have) > 1 else ''} "  # type: ignore[attr-defined]
                                        f"{', '.join(have)} has it, of job{'s' if len(lack) > 1 else ''} "
                                        f"{', '.join(lack)} not")
        self._partial[key] = found
        return found

    def why_partial(self, label: str, ast: object) -> str:
        """Why some series ``ast`` selects lack ``label`` ("" if no selector says)."""
        for sel in selectors(ast):
            series = self.catalog.lookup(sel.name) if sel.name else None
            if series is not None and series.jobs:
                why = self._some_only(series, sel).get(label)
                if why:
                    return why
        return ""

    def jobs(self, selector: Selector | None) -> list[str]:
        series = self.catalog.lookup(selector.name) if selector is not None and selector.name else None
        return sorted(self.catalog.providers(series, selector)) if series is not None else []


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


def _cause(label: str, jobs: list[str], severity: str) -> str:
    """The location-free part of a finding on a label no selected series has, shared by every
    use of the label on those jobs' series ("label cluster is not emitted by jobs node, postgres")."""
    if not jobs or severity != "error":
        return ""
    return f"label {label} is not emitted by job{'s' if len(jobs) > 1 else ''} {', '.join(jobs)}"


class _Selected:
    """The labels and jobs of every series a query selects, to tell a label nobody emits (one
    cause, wherever it is used) from one an earlier step of the expression drops. Computed
    when a finding first asks."""

    def __init__(self, resolver: _Resolver, ast: object) -> None:
        self.resolver, self.ast = resolver, ast
        self._found: tuple[frozenset[str], bool, list[str]] | None = None

    def _labels(self) -> tuple[frozenset[str], bool, list[str]]:
        if self._found is None:
            names: set[str] = set()
            jobs: set[str] = set()
            opened = False
            for sel in selectors(self.ast):
                labels = self.resolver(sel)
                names |= labels.names
                opened = opened or labels.open
                jobs.update(self.resolver.jobs(sel))
            self._found = frozenset(names), opened, sorted(jobs)
        return self._found

    def cause(self, label: str, severity: str) -> str:
        if severity != "error":
            return ""
        names, opened, jobs = self._labels()
        if opened or label in names:
            return ""
        return _cause(label, jobs, severity)


def _use_problem(ctx: CheckContext, query: Query, resolver: _Resolver, use: LabelUse,
                 selected: _Selected) -> Problem | None:
    if use.label.startswith(VARIABLE_VALUE):
        return None  # `by ($label)`: Grafana picks the label
    if use.kind == "matcher" and use.matcher is not None and use.label not in use.available.names:
        variables = {v.name: v for v in query.variables}
        if can_match_empty(use.matcher, variables):
            suggestion = None if use.available.open else closest(use.label, use.available.names)
            if suggestion is None:
                return None
            message = (f"label {use.label} ({use.where}) does not exist there; the matcher also matches series "
                       f"without it, so it selects all of them, but it looks like a typo: did you mean "
                       f"{suggestion}? (labels available: {_listed(use.available)})")
            return _problem(ctx, query, display(message), "warning")
    if use.kind in ("dropping", "ignoring") and use.label not in use.available.names:
        # without () or ignoring () of a label the series lack removes or ignores nothing; it is
        # a mistake only as a typo of a label they have (the match or grouping then differs).
        if use.available.open or closest(use.label, use.available.names) is None:
            return None
    found = missing_label(use.label, use.available, use.where)
    if found:
        cause = (_cause(use.label, resolver.jobs(use.selector), found[1]) if use.kind == "matcher"
                 else selected.cause(use.label, found[1]))
        return _problem(ctx, query, display(found[0]), found[1], cause=cause)
    if use.kind == "grouping" and use.label in use.available.partial and query.ast is not None:
        why = resolver.why_partial(use.label, query.ast) or "one side of an `or` has it"
        return _problem(ctx, query, display(
            f"label {use.label} ({use.where}) is carried by only some of the series it groups ({why}); the "
            f"others are grouped under an empty {use.label}"), "warning")
    bad_value = _value_problem(resolver.catalog, use)
    return _problem(ctx, query, display(bad_value)) if bad_value else None


def check_query(ctx: CheckContext, catalog: StackCatalog, query: Query,
                resolver: _Resolver | None = None) -> Iterator[Problem]:
    if query.ast is None:
        return
    resolver = resolver or _Resolver(catalog)
    analysis = analyse(query.ast, resolver)
    selected = _Selected(resolver, query.ast)
    seen: set[tuple[str, str]] = set()
    for use in analysis.uses:
        if (use.label, use.where) in seen:
            continue
        seen.add((use.label, use.where))
        found = _use_problem(ctx, query, resolver, use, selected)
        if found:
            yield found
    output = analysis.labels
    if any(name.startswith(VARIABLE_VALUE) for name in output.names):
        output = LabelSet(output.names, open=True)  # by ($grouping): Grafana picks the labels kept
    if query.legend and not output.scalar:
        for label in dict.fromkeys(_LEGEND.findall(query.legend)):
            found_label = missing_label(label, output, f"legend {query.legend!r}; the query's result does not keep it")
            if found_label:
                yield _problem(ctx, query, display(found_label[0]), found_label[1], field="legendFormat",
                               cause=selected.cause(label, found_label[1]))
    for label in query.required_labels:
        found_label = missing_label(label, output, "label_values variable; the query's result does not carry it")
        if found_label and query.defines is not None and query.defines.hidden:
            yield _problem(ctx, query, display(found_label[0]) + f"; the variable is hidden, so it stays empty and "
                           f"matchers on it ({label}=~\"${query.defines.name}\") also match series without {label}",
                           "warning")
        elif found_label:
            yield _problem(ctx, query, display(found_label[0]), found_label[1],
                           cause=selected.cause(label, found_label[1]))
    if query.kind == "alert" and query.rule is not None:
        for name, value in sorted(query.rule.labels.items()):
            for label in dict.fromkeys(template_labels(value)):
                found_label = missing_label(label, output, f"$labels.{label} in label {name}; the expression's "
                                                           "result does not keep it")
                if found_label:
                    yield _problem(ctx, query, found_label[0], found_label[1], field=f"labels.{name}",
                                   cause=selected.cause(label, found_label[1]))


def run(ctx: CheckContext) -> Iterator[Problem]:
    catalog = ctx.catalog_index
    resolver = _Resolver(catalog)
    for query in ctx.queries:
        yield from check_query(ctx, catalog, query, resolver)
