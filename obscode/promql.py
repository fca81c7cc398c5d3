"""PromQL AST helpers for the catalog checks: the selectors an expression reads, and which
labels each step of it keeps, drops or produces.

Label flow follows Prometheus' evaluation rules: ``sum by (a)`` keeps ``a``; ``without (a)``
drops it; ``label_replace`` adds its destination; one-to-one binary matching with
``on (l)`` keeps only ``l``, ``ignoring (l)`` drops ``l``; ``group_left (x)`` copies ``x``
from the right-hand side; ``histogram_quantile`` drops ``le``. The metric name
``__name__`` is a label of a plain selector; functions, arithmetic, ``bool`` comparisons
and aggregations drop it (``label_replace``, ``sort``, ``last_over_time``, filtering
comparisons, set operators and ``topk``-style aggregations keep it). A :class:`LabelSet` is
*open* when it may hold labels nobody can list (a metric missing from every catalog, or
a job whose relabelling maps labels in from service discovery); its *partial* labels are
carried by some of its series only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import promql_parser as pp

from obscode.model.rules import parseable

_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}

#: Functions whose output carries no labels of their argument.
_LABELLESS = {"vector", "time", "scalar", "pi", "day_of_month", "day_of_week", "day_of_year",
              "days_in_month", "hour", "minute", "month", "year"}
#: Aggregations whose output keeps every input label (they select series, not combine them).
_SELECTING_AGGREGATIONS = {"topk", "bottomk", "limitk", "limit_ratio"}
_SET_OPS = {"and", "or", "unless"}
_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
NAME = "__name__"
#: Functions whose output keeps the metric name (every other function drops it).
_KEEP_NAME = {"label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc",
              "last_over_time", "first_over_time", "timestamp"}


@functools.lru_cache(maxsize=65536)
def parse(expr: str) -> Any:
    """The promql-parser AST of ``expr`` (cached: stacks repeat expressions a lot), in the
    grammar of every target Prometheus (``holt_winters`` read as its Prometheus 3 name)."""
    return pp.parse(parseable(expr))


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'

    def matches(self, value: str) -> bool:
        """Whether a series whose label has ``value`` is selected (``""``: the label is absent).
        Regexes are anchored, as in Prometheus; one Python cannot compile matches nothing."""
        if self.op in ("=", "!="):
            return (value == self.value) == (self.op == "=")
        try:
            found = re.fullmatch(self.value, value) is not None
        except re.error:
            return False
        return found == (self.op == "=~")


@dataclass(frozen=True)
class Selector:
    """One vector or matrix selector: ``name{matchers}[range]``."""

    name: str | None
    matchers: tuple[Matcher, ...]
    range_seconds: float | None
    text: str
    #: The function directly applied to it (``rate`` in ``rate(x[5m])``), if any.
    function: str | None = None
    #: True when the range comes from a subquery (``rate(x[5m:1m])``).
    subquery: bool = False

    def equals(self, label: str) -> str | None:
        """The value an ``=`` matcher asks ``label`` to have, if any."""
        for m in self.matchers:
            if m.label == label and m.op == "=":
                return m.value
        return None


@dataclass(frozen=True)
class LabelSet:
    """Labels a vector may carry. ``open``: it may carry others nobody can list.
    ``scalar``: the expression is a number, not a vector. ``partial``: labels among ``names``
    that some of the series lack (a static label of one of the jobs a selector reads)."""

    names: frozenset[str] = frozenset()
    open: bool = False
    scalar: bool = False
    partial: frozenset[str] = frozenset()

    def has(self, label: str) -> bool:
        return self.open or label in self.names

    def keep(self, labels: list[str]) -> "LabelSet":
        return LabelSet(frozenset(labels), open=False, partial=self.partial & set(labels))

    def drop(self, labels: list[str]) -> "LabelSet":
        return LabelSet(self.names - set(labels), open=self.open, partial=self.partial - set(labels))

    def add(self, labels: list[str]) -> "LabelSet":
        return LabelSet(self.names | set(labels), open=self.open, partial=self.partial - set(labels))

    def union(self, other: "LabelSet") -> "LabelSet":
        """The labels of ``self or other``: a label only one side has is partial."""
        partial = set(self.partial | other.partial)
        if not other.open:
            partial |= self.names - other.names
        if not self.open:
            partial |= other.names - self.names
        return LabelSet(self.names | other.names, open=self.open or other.open, partial=frozenset(partial))

    def unnamed(self) -> "LabelSet":
        """Without the metric name, as after a function or arithmetic."""
        return self.drop([NAME]) if NAME in self.names else self


SCALAR = LabelSet(scalar=True)
UNKNOWN = LabelSet(open=True)


@dataclass(frozen=True)
class LabelUse:
    """A label an expression relies on, and the labels available where it is used."""

    label: str
    where: str
    available: LabelSet
    #: The selector whose labels ``available`` describes, for matcher uses.
    selector: Selector | None = None
    #: The matcher, for matcher uses.
    matcher: Matcher | None = None
    #: "matcher", "grouping" (by), "dropping" (without), "matching" (on, against both sides),
    #: "ignoring" (ignoring, against both sides),
    #: "include" (group_left/group_right), "source" (label_replace/label_join).
    kind: str = ""


@dataclass
class Analysis:
    labels: LabelSet
    uses: list[LabelUse] = field(default_factory=list)


Resolver = Callable[[Selector], LabelSet]


def _matchers(vs: Any) -> tuple[Matcher, ...]:
    found = [Matcher(m.name, _OPS.get(str(m.op), str(m.op)), m.value) for m in vs.matchers.matchers]
    for group in vs.matchers.or_matchers or []:
        found.extend(Matcher(m.name, _OPS.get(str(m.op), str(m.op)), m.value) for m in group)
    return tuple(found)


def _name(vs: Any) -> str | None:
    if vs.name:
        return vs.name
    for m in vs.matchers.matchers:
        if m.name == "__name__" and str(m.op) == "MatchOp.Equal":
            return m.value
    return None


def _selector(node: Any, function: str | None = None) -> Selector | None:
    if isinstance(node, pp.VectorSelector):
        return Selector(_name(node), _matchers(node), None, str(node), function)
    if isinstance(node, pp.MatrixSelector):
        vs = node.vector_selector
        return Selector(_name(vs), _matchers(vs), node.range.total_seconds(), str(node), function)
    return None


def children(node: Any) -> list[Any]:
    """The direct sub-expressions of an AST node."""
    if isinstance(node, pp.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, pp.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, pp.Call):
        return list(node.args)
    if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        return [node.expr]
    return []


def walk(node: Any) -> Iterator[Any]:
    """Every node of the AST, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def selectors(node: Any) -> list[Selector]:
    """Every selector in the expression, with the function directly applied to it."""
    found: list[Selector] = []

    def visit(current: Any, function: str | None) -> None:
        sel = _selector(current, function)
        if sel is not None:
            found.append(sel)
            return
        if isinstance(current, pp.SubqueryExpr):
            for inner in selectors(current.expr):
                found.append(inner)
            return
        name = current.func.name if isinstance(current, pp.Call) else None
        for child in children(current):
            visit(child, name)

    visit(node, None)
    return found


def calls(node: Any, name: str) -> list[Any]:
    """Every call of function ``name`` in the expression."""
    return [n for n in walk(node) if isinstance(n, pp.Call) and n.func.name == name]


def range_argument(call: Any) -> tuple[Selector | None, float | None, bool]:
    """For ``rate(x[5m])``-style calls: the selector, its range in seconds, and whether the
    range comes from a subquery."""
    for arg in call.args:
        if isinstance(arg, pp.MatrixSelector):
            sel = _selector(arg, call.func.name)
            return sel, sel.range_seconds if sel else None, False
        if isinstance(arg, pp.SubqueryExpr):
            inner = selectors(arg.expr)
            return (inner[0] if len(inner) == 1 else None), arg.range.total_seconds(), True
    return None, None, False


def _strings(call: Any) -> list[str]:
    return [a.val for a in call.args if isinstance(a, pp.StringLiteral)]


def _vector_arg(call: Any) -> Any | None:
    for arg in call.args:
        if not isinstance(arg, (pp.NumberLiteral, pp.StringLiteral)):
            return arg
    return None


def analyse(node: Any, resolve: Resolver) -> Analysis:
    """The labels ``node``'s result carries, and every label use along the way."""
    uses: list[LabelUse] = []
    labels = _labels(node, resolve, uses)
    return Analysis(labels, uses)


def output_labels(node: Any, resolve: Resolver) -> LabelSet:
    return analyse(node, resolve).labels


def _labels(node: Any, resolve: Resolver, uses: list[LabelUse]) -> LabelSet:
    sel = _selector(node)
    if sel is not None:
        available = resolve(sel)
        for m in sel.matchers:
            if m.label == NAME or (m.op == "=" and m.value == ""):
                continue
            uses.append(LabelUse(m.label, f"matcher {m} of {sel.text}", available, sel, m, "matcher"))
        return available.add([NAME]) if not available.scalar else available
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return SCALAR
    if isinstance(node, (pp.ParenExpr, pp.SubqueryExpr)):
        return _labels(node.expr, resolve, uses)
    if isinstance(node, pp.UnaryExpr):
        return _labels(node.expr, resolve, uses).unnamed()
    if isinstance(node, pp.AggregateExpr):
        return _aggregate(node, resolve, uses)
    if isinstance(node, pp.Call):
        return _call(node, resolve, uses)
    if isinstance(node, pp.BinaryExpr):
        return _binary(node, resolve, uses)
    return UNKNOWN


def _aggregate(node: Any, resolve: Resolver, uses: list[LabelUse]) -> LabelSet:
    inner = _labels(node.expr, resolve, uses)
    if node.param is not None:
        _labels(node.param, resolve, uses)
    op = str(node.op)
    modifier = node.modifier
    grouping = list(modifier.labels) if modifier is not None else []
    by = modifier is not None and modifier.type == pp.AggModifierType.By
    clause = f"{'by' if by else 'without'} ({', '.join(grouping)})"
    for label in grouping:
        uses.append(LabelUse(label, f"{op} {clause}", inner, kind="grouping" if by else "dropping"))
    if op in _SELECTING_AGGREGATIONS:
        return inner
    if modifier is None:
        out = LabelSet()
    elif by:
        out = inner.keep(grouping)
    else:
        out = inner.drop(grouping).unnamed()
    if op == "count_values" and isinstance(node.param, pp.StringLiteral):
        out = out.add([node.param.val])
    return out


def _call(node: Any, resolve: Resolver, uses: list[LabelUse]) -> LabelSet:
    name = node.func.name
    results = [_labels(arg, resolve, uses) for arg in node.args
               if not isinstance(arg, (pp.NumberLiteral, pp.StringLiteral))]
    vectors = [r for r in results if not r.scalar]
    if name in _LABELLESS or str(node.func.return_type) == "ValueType.Scalar":
        return SCALAR if name != "vector" else LabelSet()
    inner = vectors[0] if vectors else LabelSet()
    if name not in _KEEP_NAME:
        inner = inner.unnamed()
    strings = _strings(node)
    if name == "label_replace" and len(strings) >= 3:
        destination, source = strings[0], strings[2]
        if source:
            uses.append(LabelUse(source, f"label_replace source label {source!r}", inner, kind="source"))
        return inner.add([destination])
    if name == "label_join" and strings:
        for source in strings[2:]:
            uses.append(LabelUse(source, f"label_join source label {source!r}", inner, kind="source"))
        return inner.add([strings[0]])
    if name == "histogram_quantile":
        return inner.drop(["le"])
    if name in ("absent", "absent_over_time"):
        arg = _vector_arg(node)
        sel = _selector(arg) if arg is not None else None
        equal = [m.label for m in sel.matchers if m.op == "=" and m.label != NAME] if sel else []
        return LabelSet(frozenset(equal))
    return inner


def _binary(node: Any, resolve: Resolver, uses: list[LabelUse]) -> LabelSet:
    lhs = _labels(node.lhs, resolve, uses)
    rhs = _labels(node.rhs, resolve, uses)
    op = str(node.op)
    modifier = node.modifier
    if op not in _SET_OPS and not (op in _COMPARISONS and not (modifier is not None and modifier.return_bool)):
        lhs, rhs = lhs.unnamed(), rhs.unnamed()  # arithmetic and `bool` comparisons drop the name
    if lhs.scalar and rhs.scalar:
        return SCALAR
    if lhs.scalar:
        return rhs
    if rhs.scalar:
        return lhs
    matching = modifier.matching if modifier is not None else None
    on = matching is not None and matching.type == pp.LabelModifierType.Include
    match_labels = list(matching.labels) if matching is not None else []
    if matching is not None:
        # Matching reads the label's value on both sides, "" where it is absent: it must
        # exist on one side at least.
        clause = f"{'on' if on else 'ignoring'} ({', '.join(match_labels)}) of {op}"
        for label in match_labels:
            uses.append(LabelUse(label, f"{clause}, on either side", lhs.union(rhs),
                                 kind="matching" if on else "ignoring"))
    if op in _SET_OPS:
        return lhs.union(rhs) if op == "or" else lhs
    card = str(modifier.card) if modifier is not None else "VectorMatchCardinality.OneToOne"
    include = list(modifier.group_labels or []) if modifier is not None else []
    if card.endswith("ManyToOne"):
        for label in include:
            uses.append(LabelUse(label, f"group_left ({', '.join(include)}) of {op}", rhs, kind="include"))
        return lhs.add(include)
    if card.endswith("OneToMany"):
        for label in include:
            uses.append(LabelUse(label, f"group_right ({', '.join(include)}) of {op}", lhs, kind="include"))
        return rhs.add(include)
    if matching is None:
        return lhs
    return lhs.keep(match_labels) if on else lhs.drop(match_labels)
