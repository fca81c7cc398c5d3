"""What is known of the numbers a PromQL expression returns, from the catalog: their bounds
(a rate is never negative, a share of requests is between 0 and 1, ``up`` is 0 or 1), their
unit (a latency in seconds), and whether they are a counter's raw values (so ``rate()`` over a
recording rule that stores them makes sense).

Only what is certain is said: a bound that a metric could cross (a clock offset in seconds
may be negative, redis' ``mem_fragmentation_ratio`` is above 1) is left unknown, so the
checks built on it (``alerts/threshold``, ``promql/rate``) report only what cannot work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import promql_parser as pp

from obscode.promql import Selector, selectors

#: Series types whose raw values rate() reads correctly.
COUNTER, GAUGE, UNTYPED = "counter", "gauge", "untyped"
_RATES = {"rate", "irate", "increase"}
#: Functions whose result has the bounds and unit of their (first vector) argument.
_KEEP = {"avg_over_time", "min_over_time", "max_over_time", "last_over_time", "first_over_time",
         "quantile_over_time", "label_replace", "label_join", "sort", "sort_desc", "sort_by_label",
         "sort_by_label_desc", "scalar", "vector", "mad_over_time"}
#: Aggregations that pick or average values: the result stays within the inputs' bounds.
_WITHIN = {"avg", "min", "max", "quantile", "topk", "bottomk", "limitk", "limit_ratio"}
#: Functions of the evaluation time (or a timestamp) with fixed ranges.
_CALENDAR = {"minute": (0, 59), "hour": (0, 23), "day_of_week": (0, 6), "day_of_month": (1, 31),
             "day_of_year": (1, 366), "days_in_month": (28, 31), "month": (1, 12)}
_NON_NEGATIVE_FUNCTIONS = {"abs", "sqrt", "exp", "changes", "resets", "count_over_time",
                           "stddev_over_time", "stdvar_over_time", "time", "timestamp", "year"}


@dataclass(frozen=True)
class Rated:
    """``sum by (grouping) (function(selector[window]))`` over a counter of ``family``."""

    function: str
    #: The range, offset and @ of the selector.
    window: tuple[Any, ...]
    family: str
    #: ``bucket``, ``sum``, ``count`` or "".
    part: str
    unit: str
    selector: Selector
    #: None: no aggregation; else ("by" or "without", labels).
    grouping: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Value:
    """The numbers an expression returns, as far as the catalog says."""

    #: Certain bounds (None: unknown).
    low: float | None = None
    high: float | None = None
    #: "seconds", "bytes", "ratio" or "" (unknown or none).
    unit: str = ""
    #: A duration of requests or operations (a histogram's quantile or mean in seconds, a
    #: ``*_duration_seconds`` gauge): not a timestamp, nor seconds since something.
    latency: bool = False
    #: Certainly a fraction between 0 and 1 (a share of a counter's rate in its total rate,
    #: a catalog unit "ratio", histogram_fraction()).
    ratio: bool = False
    #: Only 0 or 1 (``up``, a ``bool`` comparison, ``absent()``).
    boolean: bool = False
    #: COUNTER: a counter's raw values (rate() over them is right); GAUGE: anything else
    #: certain (a rate, a ratio, a gauge); UNTYPED: unknown.
    kind: str = UNTYPED
    #: Why ``kind`` is GAUGE, for messages ("rate() returns a gauge").
    why: str = ""
    #: What the values are of, for messages: a metric name, or a short phrase.
    what: str = ""
    #: For a counter read through rate()/increase() (and a sum of that), so a division can
    #: tell a share (errors / all requests) from any other ratio.
    rated: Rated | None = None
    #: No selector at all (``vector(1)``, a number).
    constant: bool = False

    def non_negative(self) -> bool:
        return self.low is not None and self.low >= 0


UNKNOWN = Value()
BOOLEAN = Value(low=0, high=1, boolean=True, kind=GAUGE, why="it is 0 or 1")


class Lookup:
    """What :func:`infer` needs to know of series: ``series(name)`` (a catalog_index.Series
    or None) and ``recorded(name)`` (the :class:`Value` of a recording rule's output)."""

    def __init__(self, series: Callable[[str], Any], recorded: Callable[[str], Value | None]) -> None:
        self.series = series
        self.recorded = recorded


def as_selector(node: Any) -> Selector | None:
    """The selector ``node`` is, if it is one."""
    return selectors(node)[0] if isinstance(node, (pp.VectorSelector, pp.MatrixSelector)) else None


def family_of(series: Any) -> str:
    return series.name[: -len(series.part) - 1] if series.part else series.name


def name_unit(name: str) -> str:
    """The unit a series name ends with, its histogram part and ``_total`` set aside."""
    for suffix in ("_bucket", "_sum", "_count", "_total"):
        name = name.removesuffix(suffix)
    return next((unit for unit in ("seconds", "bytes") if name.endswith("_" + unit)), "")


#: Words of the names of durations that requests and calls take: a threshold in minutes on
#: them is a mistake. Durations of long operations (a backup, a compaction, a job) and
#: times until something (a certificate's expiration) may well be minutes, so they are not
#: latencies here.
LATENCY_WORDS = frozenset({"latency", "request", "requests", "rpc", "http", "grpc", "handling", "response",
                           "rtt", "lookup", "dns", "query", "queries", "prediction", "predictions", "inference",
                           "call", "calls", "api", "probe"})


def is_latency(family: str, unit: str) -> bool:
    """A family in seconds whose name says it measures requests or calls."""
    return unit == "seconds" and bool(LATENCY_WORDS & set(family.lower().split(":")[-1].split("_")))


def _unlisted_value(name: str) -> Value:
    """A series no catalog lists: only its name's unit is known (``foo_seconds_bucket``)."""
    unit = name_unit(name)
    words = name.split("_")
    latency = not name.endswith(("_sum", "_count", "_bucket", "_total")) and is_latency(name, unit) and \
        ("duration" in words or "latency" in words)
    return Value(unit=unit, latency=latency, what=name)


def _series_value(series: Any, lookup: Lookup) -> Value:
    name = series.name
    if series.type == "recorded":
        found = lookup.recorded(name)
        # A recorded share (errors over requests) stays comparable with the rule next to it.
        return replace(found, what=name) if found is not None else Value(what=name)
    unit = getattr(series, "unit", "")
    words = name.split("_")
    if name == "up":
        return replace(BOOLEAN, what="up", why="up is a gauge")
    if name in ("ALERTS", "ALERTS_FOR_STATE"):
        return Value(what=name, kind=GAUGE, why=f"{name} is a gauge")
    if series.counter_like:
        low = 0.0 if series.part != "sum" or unit in ("seconds", "bytes") else None
        return Value(low=low, unit=unit, kind=COUNTER, what=name)
    kind = GAUGE if series.type in ("gauge", "info", "summary", "histogram") else UNTYPED
    why = f"{name} is a {series.type}" if kind == GAUGE else ""
    if series.type == "info":
        return Value(low=1, high=1, kind=kind, why=why, what=name)
    if unit == "ratio":
        return Value(low=0, high=1, unit=unit, ratio=True, kind=kind, why=why, what=name)
    if unit == "bytes":
        return Value(low=0, unit=unit, kind=kind, why=why, what=name)
    if unit == "seconds" and (series.type == "summary" or "duration" in words or "latency" in words):
        return Value(low=0, unit=unit, latency=is_latency(name, unit), kind=kind, why=why, what=name)
    if unit == "seconds" and ("timestamp" in words or name.endswith("_time_seconds")):
        return Value(low=0, unit=unit, kind=kind, why=why, what=name)  # a time since 1970
    return Value(unit=unit, kind=kind, why=why, what=name)


def number(node: Any) -> float | None:
    """The value of ``node`` when it is a number written in the query (``5``, ``-5``, ``(5)``)."""
    if isinstance(node, pp.NumberLiteral):
        return float(node.val)
    if isinstance(node, pp.ParenExpr):
        return number(node.expr)
    if isinstance(node, pp.UnaryExpr):
        inner = number(node.expr)
        return -inner if inner is not None else None
    return None


def _vector_args(node: Any) -> list[Any]:
    return [a for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]


def infer(node: Any, lookup: Lookup) -> Value:
    """What is known of the values ``node`` returns."""
    sel = as_selector(node)
    if sel is not None:
        series = lookup.series(sel.name) if sel.name else None
        if series is None:
            return _unlisted_value(sel.name) if sel.name else UNKNOWN
        return _series_value(series, lookup)
    value = number(node)
    if value is not None:
        return Value(low=value, high=value, constant=True, kind=GAUGE, why="it is a number")
    if isinstance(node, (pp.ParenExpr, pp.SubqueryExpr)):
        return infer(node.expr, lookup)
    if isinstance(node, pp.UnaryExpr):
        inner = infer(node.expr, lookup)
        return Value(low=_neg(inner.high), high=_neg(inner.low), constant=inner.constant, kind=GAUGE,
                     why="a negated value is a gauge", what=inner.what)
    if isinstance(node, pp.Call):
        return _call(node, lookup)
    if isinstance(node, pp.AggregateExpr):
        return _aggregate(node, lookup)
    if isinstance(node, pp.BinaryExpr):
        return _binary(node, lookup)
    return UNKNOWN


def _neg(value: float | None) -> float | None:
    return -value if value is not None else None


def _call(node: Any, lookup: Lookup) -> Value:
    name = node.func.name
    args = _vector_args(node)
    inner = infer(args[0], lookup) if args else Value(constant=True)
    gauge = f"{name}() returns a gauge"
    if name in _RATES:
        rated = None
        sel = as_selector(args[0]) if args else None
        series = lookup.series(sel.name) if sel is not None and sel.name else None
        if sel is not None and series is not None and series.counter_like:
            vs = args[0].vector_selector
            rated = Rated(name, (sel.range_seconds, str(vs.offset), str(vs.at)), family_of(series), series.part,
                          series.unit, sel)
        return Value(low=0 if inner.kind == COUNTER else None, kind=GAUGE, why=gauge, what=inner.what,
                     rated=rated)
    if name in ("absent", "absent_over_time", "present_over_time"):
        return replace(BOOLEAN, low=1, why=gauge, what=f"{name}({inner.what})")
    if name == "histogram_quantile":
        family, unit = _buckets(node, lookup)
        return Value(low=0 if unit in ("seconds", "bytes") else None, unit=unit, latency=is_latency(family, unit),
                     kind=GAUGE, why=gauge, what=family)
    if name == "vector" and node.args:
        return replace(infer(node.args[0], lookup), kind=GAUGE, why=gauge)
    if name == "histogram_fraction":
        return Value(low=0, high=1, ratio=True, kind=GAUGE, why=gauge, what=f"histogram_fraction() of {inner.what}")
    if name in _CALENDAR:
        low, high = _CALENDAR[name]
        return Value(low=low, high=high, kind=GAUGE, why=gauge, what=f"{name}()")
    if name in _NON_NEGATIVE_FUNCTIONS:
        return Value(low=0, kind=GAUGE, why=gauge, what=inner.what, constant=inner.constant and name == "time")
    if name in ("clamp", "clamp_min", "clamp_max"):
        numbers = [float(a.val) for a in node.args if isinstance(a, pp.NumberLiteral)]
        low, high = inner.low, inner.high
        if name in ("clamp", "clamp_min") and numbers:
            low = numbers[0] if low is None else max(low, numbers[0])
        if name == "clamp" and len(numbers) > 1:
            high = numbers[1] if high is None else min(high, numbers[1])
        if name == "clamp_max" and numbers:
            high = numbers[0] if high is None else min(high, numbers[0])
        return Value(low=low, high=high, kind=GAUGE, why=gauge, what=inner.what)
    if name in ("ceil", "floor", "round"):
        return Value(low=inner.low if inner.non_negative() else None, kind=GAUGE, why=gauge, what=inner.what)
    if name in _KEEP:
        keeps_kind = name in ("label_replace", "label_join", "sort", "sort_desc", "sort_by_label",
                              "sort_by_label_desc", "last_over_time", "first_over_time")
        kind, why = (inner.kind, inner.why) if keeps_kind else (GAUGE, gauge)
        return replace(inner, kind=kind, why=why, rated=inner.rated if keeps_kind else None)
    if name in ("sum_over_time",):
        return Value(low=0 if inner.non_negative() else None, unit=inner.unit, kind=GAUGE, why=gauge,
                     what=inner.what)
    return Value(kind=GAUGE, why=gauge, what=inner.what) if args or name in ("pi",) else UNKNOWN


def _buckets(node: Any, lookup: Lookup) -> tuple[str, str]:
    """(family, unit) of the buckets ``histogram_quantile`` reads; ("", "") when they are not
    of one family, or are a recording rule's (whose value says what it is)."""
    if len(node.args) < 2:
        return "", ""
    families = set()
    for sel in selectors(node.args[1]):
        series = lookup.series(sel.name) if sel.name else None
        if series is not None and series.type == "recorded":
            inner = lookup.recorded(sel.name)
            rated = inner.rated if inner is not None else None
            return (rated.family, rated.unit) if rated is not None and rated.part == "bucket" else ("", "")
        if series is not None and series.part == "bucket":
            families.add((family_of(series), series.unit))
        elif series is None and sel.name and sel.name.endswith("_bucket"):
            families.add((sel.name.removesuffix("_bucket"), name_unit(sel.name)))
    return families.pop() if len(families) == 1 else ("", "")


def _aggregate(node: Any, lookup: Lookup) -> Value:
    inner = infer(node.expr, lookup)
    op = str(node.op)
    grouping = _grouping(node)
    if op == "sum":
        rated = replace(inner.rated, grouping=grouping) if inner.rated is not None and \
            inner.rated.grouping is None else None
        kind, why = (COUNTER, "") if inner.kind == COUNTER else (inner.kind, inner.why)
        return Value(low=0 if inner.non_negative() else None, unit=inner.unit, latency=False, kind=kind, why=why,
                     what=inner.what, rated=rated, constant=inner.constant)
    if op in _WITHIN:
        keeps = op in ("topk", "bottomk", "limitk", "limit_ratio", "max", "min")
        kind, why = (inner.kind, inner.why) if keeps or inner.kind != COUNTER else (UNTYPED, "")
        return replace(inner, kind=kind, why=why, rated=None)
    if op in ("count", "count_values"):
        return Value(low=0, kind=GAUGE, why=f"{op}() returns a gauge", what=inner.what)
    if op == "group":
        return replace(BOOLEAN, low=1, why="group() returns a gauge", what=f"group({inner.what})")
    if op in ("stddev", "stdvar"):
        return Value(low=0, kind=GAUGE, why=f"{op}() returns a gauge", what=inner.what)
    return Value(kind=UNTYPED, what=inner.what)


def _grouping(node: Any) -> tuple[str, tuple[str, ...]]:
    modifier = node.modifier
    if modifier is None:
        return ("by", ())
    kind = "by" if modifier.type == pp.AggModifierType.By else "without"
    return (kind, tuple(sorted(modifier.labels)))


_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}


def _binary(node: Any, lookup: Lookup) -> Value:
    op = str(node.op)
    lhs, rhs = infer(node.lhs, lookup), infer(node.rhs, lookup)
    modifier = node.modifier
    constant = lhs.constant and rhs.constant
    if op in _COMPARISONS:
        if modifier is not None and modifier.return_bool:
            return replace(BOOLEAN, why="a bool comparison returns a gauge", what=lhs.what, constant=constant)
        # A filter keeps the values of its vector side.
        return rhs if lhs.constant and not rhs.constant else lhs
    if op in ("and", "unless"):
        return lhs
    if op == "or":
        return union(lhs, rhs)
    return _arithmetic(op, lhs, rhs, modifier, constant)


def union(a: Value, b: Value) -> Value:
    """What is known of the values of ``a or b`` (or of two rules recording one name)."""
    low = min(a.low, b.low) if a.low is not None and b.low is not None else None
    high = max(a.high, b.high) if a.high is not None and b.high is not None else None
    kind = a.kind if a.kind == b.kind else UNTYPED
    return Value(low=low, high=high, unit=a.unit if a.unit == b.unit else "", latency=a.latency and b.latency,
                 ratio=a.ratio and b.ratio, boolean=a.boolean and b.boolean, kind=kind,
                 why=a.why if kind == GAUGE else "", what=a.what or b.what)


def _product(a: Value, b: Value) -> tuple[float | None, float | None]:
    if not (a.non_negative() and b.non_negative()):
        return None, None
    low = a.low * b.low  # type: ignore[operator]
    high = a.high * b.high if a.high is not None and b.high is not None else None
    return low, high


def _arithmetic(op: str, lhs: Value, rhs: Value, modifier: Any, constant: bool) -> Value:
    what = lhs.what if not lhs.constant else rhs.what
    why = "arithmetic returns a gauge"
    if op == "+":
        low = lhs.low + rhs.low if lhs.low is not None and rhs.low is not None else None
        high = lhs.high + rhs.high if lhs.high is not None and rhs.high is not None else None
        counter = (lhs.kind == COUNTER and (rhs.kind == COUNTER or rhs.constant)) or \
            (rhs.kind == COUNTER and lhs.constant)
        return Value(low=low, high=high, unit=lhs.unit if lhs.unit == rhs.unit else "", kind=COUNTER if counter
                     else GAUGE, why="" if counter else why, what=what, constant=constant)
    if op == "-":
        low = lhs.low - rhs.high if lhs.low is not None and rhs.high is not None else None
        high = lhs.high - rhs.low if lhs.high is not None and rhs.low is not None else None
        ratio = rhs.ratio and lhs.constant and lhs.low == 1
        return Value(low=low, high=high, ratio=ratio, unit="ratio" if ratio else "", kind=GAUGE, why=why,
                     what=rhs.what if ratio else what, constant=constant)
    if op == "*":
        low, high = _product(lhs, rhs)
        scaled = lhs if rhs.constant else rhs if lhs.constant else None
        factor = rhs.low if rhs.constant else lhs.low if lhs.constant else None
        counter = scaled is not None and scaled.kind == COUNTER and factor is not None and factor > 0
        return Value(low=low, high=high, kind=COUNTER if counter else GAUGE, why="" if counter else why,
                     what=what, constant=constant)
    if op == "/":
        return _division(lhs, rhs, modifier, constant)
    if op == "^" and lhs.non_negative():
        return Value(low=0, kind=GAUGE, why=why, what=what, constant=constant)
    return Value(kind=GAUGE, why=why, what=what, constant=constant)


def _division(lhs: Value, rhs: Value, modifier: Any, constant: bool) -> Value:
    why = "a division returns a gauge"
    if rhs.constant and rhs.low is not None and rhs.low > 0:
        low = lhs.low / rhs.low if lhs.low is not None else None
        high = lhs.high / rhs.low if lhs.high is not None else None
        counter = lhs.kind == COUNTER
        return Value(low=low, high=high, kind=COUNTER if counter else GAUGE, why="" if counter else why,
                     what=lhs.what, constant=constant)
    low = 0.0 if lhs.non_negative() and rhs.non_negative() else None
    plain = modifier is None or (modifier.matching is None and not modifier.return_bool)
    if plain and lhs.rated is not None and rhs.rated is not None:
        share = _share(lhs.rated, rhs.rated)
        if share == "ratio":
            return Value(low=0, high=1, ratio=True, unit="ratio", kind=GAUGE, why=why,
                         what=f"the share of {_without_range(lhs.rated.selector.text)} in {rhs.what}")
        if share == "mean":
            family, unit = lhs.rated.family, lhs.rated.unit
            return Value(low=low, unit=unit, latency=is_latency(family, unit), kind=GAUGE, why=why,
                         what=f"the mean of {family} (_sum / _count)")
    return Value(low=low, kind=GAUGE, why=why, what=lhs.what, constant=constant)


def _without_range(text: str) -> str:
    return text[: text.rindex("[")] if text.endswith("]") and "[" in text else text


def _share(num: Rated, den: Rated) -> str | None:
    """"ratio" when the numerator counts a subset of what the denominator counts, the same
    way (same function, window and grouping): errors of a counter over all its requests, a
    histogram's bucket over its count. "mean" for a family's _sum over its _count."""
    if (num.function, num.window, num.grouping, num.family) != (den.function, den.window, den.grouping, den.family):
        return None
    if not set(den.selector.matchers) <= set(num.selector.matchers):
        return None
    if num.part == "sum" and den.part == "count":
        return "mean" if set(den.selector.matchers) == set(num.selector.matchers) else None
    if num.part == den.part or (num.part == "bucket" and den.part == "count"):
        return "ratio"
    return None
