"""The shapes of alert expressions obscode synthesises tests for, read from the PromQL AST.

A comparison of a value side with a number; the value side a tree of :class:`Leaf`
(a selector, or rate/irate/increase of one), :class:`Aggregation` (sum, avg, min, max),
:class:`Ratio`, :class:`Quantile` (histogram_quantile), :class:`Scale` (times or divided by
a number) and :class:`Clamp` (clamp_min/clamp_max). Anything else raises :class:`Unsupported`
with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import promql_parser as pp

from obscode.promql import Selector, parse
from obscode.promql import _selector as selector_of  # the one place that builds a Selector

_COMPARISONS = {">", ">=", "<", "<=", "==", "!="}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_AGGREGATIONS = {"sum", "avg", "min", "max"}
_RATES = {"rate", "irate", "increase"}

class Unsupported(ValueError):
    """The alert is not of a shape obscode synthesises a test for (the message says why)."""

@dataclass
class Leaf:
    selector: Selector
    function: str | None  # None: the selector itself; else rate, irate or increase
    range_seconds: float
    bucket: bool = False  # under histogram_quantile: one series per bucket


@dataclass
class Aggregation:
    """``op by (by) (inner)`` or ``op without (without) (inner)``; neither: ``by=[]``."""

    op: str
    by: list[str] | None
    without: list[str] | None
    inner: Any


@dataclass
class Ratio:
    lhs: Any
    rhs: Any
    on: list[str] | None
    ignoring: list[str] | None


@dataclass
class Quantile:
    q: float
    inner: Any


@dataclass
class Scale:
    """``inner * factor`` (or divided by a number)."""

    factor: float
    inner: Any


@dataclass
class Clamp:
    """``clamp_min(inner, bound)`` / ``clamp_max``: the test keeps the value inside the bound."""

    function: str
    bound: float
    inner: Any


def _strip(node: Any) -> Any:
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    return node


def _leaf(node: Any, function: str | None) -> Leaf:
    target = node.vector_selector if isinstance(node, pp.MatrixSelector) else node
    if target.offset is not None or target.at is not None:
        raise Unsupported("a selector uses offset or @")
    if target.matchers.or_matchers:
        raise Unsupported("a selector uses 'or' matchers")
    sel = selector_of(node, function)
    if sel is None or sel.name is None:
        raise Unsupported("a selector has no metric name")
    return Leaf(sel, function, sel.range_seconds or 0.0)


def _value_shape(node: Any, under_quantile: bool = False) -> Any:
    node = _strip(node)
    if isinstance(node, pp.VectorSelector):
        return _leaf(node, None)
    if isinstance(node, pp.Call) and node.func.name in _RATES:
        args = list(node.args)
        if len(args) == 1 and isinstance(args[0], pp.MatrixSelector):
            return _leaf(args[0], node.func.name)
        raise Unsupported(f"{node.func.name}() of something other than a range selector")
    if isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        if op not in _AGGREGATIONS or node.param is not None:
            raise Unsupported(f"aggregation {op} (only sum, avg, min and max are synthesised)")
        modifier, inner = node.modifier, _value_shape(node.expr, under_quantile)
        if modifier is None:
            return Aggregation(op, [], None, inner)
        if modifier.type == pp.AggModifierType.By:
            return Aggregation(op, list(modifier.labels), None, inner)
        return Aggregation(op, None, list(modifier.labels), inner)
    if isinstance(node, pp.BinaryExpr) and str(node.op) == "/":
        modifier = node.modifier
        if modifier is not None and (modifier.return_bool or not str(modifier.card).endswith("OneToOne")):
            raise Unsupported("a ratio with group_left/group_right")
        matching = modifier.matching if modifier is not None else None
        on = list(matching.labels) if matching is not None and matching.type == pp.LabelModifierType.Include else None
        ignoring = (list(matching.labels) if matching is not None and matching.type != pp.LabelModifierType.Include
                    else None)
        right = _strip(node.rhs)
        if isinstance(right, pp.NumberLiteral):
            if not right.val or not math.isfinite(right.val):
                raise Unsupported("a division by 0")
            return Scale(1 / right.val, _value_shape(node.lhs, under_quantile))
        lhs, rhs = _value_shape(node.lhs, under_quantile), _value_shape(node.rhs, under_quantile)
        if any(isinstance(side, Ratio) for side in (lhs, rhs)):
            raise Unsupported("a ratio of ratios")
        return Ratio(lhs, rhs, on, ignoring)
    if isinstance(node, pp.BinaryExpr) and str(node.op) == "*" and node.modifier is None:
        left, right = _strip(node.lhs), _strip(node.rhs)
        number, other = (left, right) if isinstance(left, pp.NumberLiteral) else (right, left)
        if isinstance(number, pp.NumberLiteral) and not isinstance(other, pp.NumberLiteral):
            if not number.val or not math.isfinite(number.val):
                raise Unsupported("a multiplication by 0")
            return Scale(number.val, _value_shape(other, under_quantile))
    if isinstance(node, pp.Call) and node.func.name in ("clamp_min", "clamp_max"):
        inner, bound = (_strip(a) for a in node.args)
        if isinstance(bound, pp.NumberLiteral) and math.isfinite(bound.val):
            return Clamp(node.func.name, bound.val, _value_shape(inner, under_quantile))
    if isinstance(node, pp.Call) and node.func.name == "histogram_quantile" and not under_quantile:
        q, inner = (_strip(a) for a in node.args)
        if not isinstance(q, pp.NumberLiteral) or not 0 <= q.val <= 1:
            raise Unsupported("histogram_quantile with a quantile that is not a number in [0, 1]")
        shape = _value_shape(inner, under_quantile=True)
        if isinstance(shape, Ratio) or any(not leaf.selector.name.endswith("_bucket") or leaf.function != "rate"
                                           for leaf in leaves_of(shape)):
            raise Unsupported("histogram_quantile over something other than rate() of a _bucket series")
        if "le" not in labels_kept(shape, {"le": "1"}):
            raise Unsupported("histogram_quantile over an aggregation that drops le")
        for leaf in leaves_of(shape):
            leaf.bucket = True
        return Quantile(q.val, shape)
    raise Unsupported("the value side is not a selector, a rate, a ratio, a histogram_quantile or a number "
                      "times one of them")


def leaves_of(shape: Any) -> list[Leaf]:
    if isinstance(shape, Leaf):
        return [shape]
    if isinstance(shape, Ratio):
        return leaves_of(shape.lhs) + leaves_of(shape.rhs)
    return leaves_of(shape.inner)


def labels_kept(shape: Any, labels: dict[str, str]) -> dict[str, str]:
    """The labels ``shape``'s result carries when every series has ``labels`` (with __name__)."""
    if isinstance(shape, Leaf):
        return dict(labels) if shape.function is None else {k: v for k, v in labels.items() if k != "__name__"}
    if isinstance(shape, Aggregation):
        inner = labels_kept(shape.inner, labels)
        if shape.by is not None:
            return {k: v for k, v in inner.items() if k in shape.by}
        if shape.without is not None:
            return {k: v for k, v in inner.items() if k not in shape.without and k != "__name__"}
        return {}
    if isinstance(shape, Ratio):
        lhs = {k: v for k, v in labels_kept(shape.lhs, labels).items() if k != "__name__"}
        if shape.on is not None:
            return {k: v for k, v in lhs.items() if k in shape.on}
        if shape.ignoring is not None:
            return {k: v for k, v in lhs.items() if k not in shape.ignoring}
        return lhs
    inner = labels_kept(shape.inner, labels)
    if isinstance(shape, (Scale, Clamp)):
        return {k: v for k, v in inner.items() if k != "__name__"}
    return {k: v for k, v in inner.items() if k not in ("le", "__name__")}


def exact_value(shape: Any) -> bool:
    """Whether the expression's value equals the chosen value exactly (so $value renders)."""
    # rate() extrapolates over its window with a factor such as 300/285, which rounds:
    # only a selector's value (through sum, avg, min, max of one series) is exact.
    if isinstance(shape, Leaf):
        return shape.function is None
    if isinstance(shape, Aggregation):
        return exact_value(shape.inner)
    return False


def grouping_labels(shape: Any) -> list[str]:
    if isinstance(shape, Leaf):
        return []
    if isinstance(shape, Aggregation):
        return list(shape.by or []) + grouping_labels(shape.inner)
    if isinstance(shape, Ratio):
        return list(shape.on or []) + grouping_labels(shape.lhs) + grouping_labels(shape.rhs)
    return grouping_labels(shape.inner)


@dataclass(frozen=True)
class Comparison:
    op: str
    threshold: float
    shape: Any
    #: The value side was multiplied or divided by a number (folded into the threshold).
    scaled: bool = False


@dataclass(frozen=True)
class Absence:
    """``absent(v)`` / ``absent_over_time(v[r])``: fires while no series matches."""

    leaf: Leaf
    #: The labels absent() gives its result: the selector's ``=`` matchers (Prometheus'
    #: createLabelsForAbsentFunction; none when the argument is not a bare selector).
    labels: dict[str, str]
    #: ``absent(x == 1)``: what a present series must also satisfy.
    inner: Comparison | None


@dataclass(frozen=True)
class Presence:
    """An alert on a value side with no comparison: fires while any series exists."""

    shape: Any


def alert_shape(expr: str) -> Comparison | Absence | Presence:
    """What the alert ``expr`` is, or :class:`Unsupported`."""
    node = _strip(parse(expr))
    if isinstance(node, pp.Call) and node.func.name in ("absent", "absent_over_time"):
        return _absence(node)
    if isinstance(node, pp.BinaryExpr) and str(node.op) in _COMPARISONS:
        return comparison_of(node)
    try:
        shape = _value_shape(node)
    except Unsupported:
        raise Unsupported("the expression is not a comparison with a threshold") from None
    if any(leaf.function for leaf in leaves_of(shape)) or isinstance(shape, (Ratio, Quantile)):
        raise Unsupported("the expression is not a comparison with a threshold")
    return Presence(shape)


def _absence(node: Any) -> Absence:
    arg = node.args[0]
    inner = None
    target = _strip(arg)
    if isinstance(target, pp.BinaryExpr):
        inner = comparison_of(target)
        if not isinstance(inner.shape, Leaf) or inner.shape.function is not None or inner.scaled:
            raise Unsupported(f"{node.func.name}() of a comparison of something other than a selector")
        leaf = inner.shape
    elif isinstance(target, pp.VectorSelector) and node.func.name == "absent":
        leaf = _leaf(target, None)
    elif isinstance(target, pp.MatrixSelector) and node.func.name == "absent_over_time":
        leaf = _leaf(target, "absent_over_time")
    else:
        raise Unsupported(f"{node.func.name}() of something other than a selector")
    labels: dict[str, str] = {}
    if isinstance(arg, (pp.VectorSelector, pp.MatrixSelector)):
        dropped: set[str] = set()
        for m in leaf.selector.matchers:
            if m.label == "__name__":
                continue
            if m.op == "=" and m.label not in labels and m.label not in dropped:
                labels[m.label] = m.value
            else:
                labels.pop(m.label, None)
                dropped.add(m.label)
    return Absence(leaf, labels, inner)


def comparison(expr: str) -> Comparison:
    """The alert's comparison, or :class:`Unsupported`."""
    return comparison_of(_strip(parse(expr)))


def comparison_of(node: Any) -> Comparison:
    """The comparison ``node``, or :class:`Unsupported`."""
    if not isinstance(node, pp.BinaryExpr) or str(node.op) not in _COMPARISONS:
        raise Unsupported("the expression is not a comparison with a threshold")
    if node.modifier is not None and (node.modifier.return_bool or node.modifier.matching is not None):
        raise Unsupported("the comparison uses bool, on or ignoring")
    lhs, rhs, op = _strip(node.lhs), _strip(node.rhs), str(node.op)
    if isinstance(lhs, pp.NumberLiteral) and not isinstance(rhs, pp.NumberLiteral):
        lhs, rhs, op = rhs, lhs, _FLIPPED[op]
    if not isinstance(rhs, pp.NumberLiteral):
        raise Unsupported("the threshold is not a number")
    if not math.isfinite(rhs.val):
        raise Unsupported("the threshold is not finite")
    threshold, scaled = float(rhs.val), False
    # `V * 100 > 5` is `V > 0.05` and `100 - V >= 80` is `V <= 20`: a number multiplying,
    # dividing, adding to or subtracting the value side moves the threshold.
    while isinstance(lhs, pp.BinaryExpr) and str(lhs.op) in ("*", "/", "+", "-") and lhs.modifier is None:
        left, right = _strip(lhs.lhs), _strip(lhs.rhs)
        if str(lhs.op) in ("+", "-"):
            if isinstance(right, pp.NumberLiteral) and not isinstance(left, pp.NumberLiteral):
                threshold, lhs = threshold - right.val if str(lhs.op) == "+" else threshold + right.val, left
            elif isinstance(left, pp.NumberLiteral) and not isinstance(right, pp.NumberLiteral):
                if str(lhs.op) == "+":
                    threshold, lhs = threshold - left.val, right
                else:
                    threshold, lhs, op = left.val - threshold, right, _FLIPPED[op]
            else:
                break
            scaled = True
            continue
        if isinstance(right, pp.NumberLiteral) and not isinstance(left, pp.NumberLiteral):
            factor, lhs = (right.val if str(lhs.op) == "*" else 1 / right.val if right.val else 0.0), left
        elif isinstance(left, pp.NumberLiteral) and str(lhs.op) == "*" and not isinstance(right, pp.NumberLiteral):
            factor, lhs = left.val, right
        else:
            break
        if not factor or not math.isfinite(factor):
            raise Unsupported("the value side is multiplied by 0 or divided by 0")
        threshold, scaled = threshold / factor, True
        op = op if factor > 0 else _FLIPPED[op]  # both sides times a negative number
    return Comparison(op, threshold, _value_shape(lhs), scaled)
