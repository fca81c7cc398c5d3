"""Label values and sample values a synthesised test writes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

try:  # Python >= 3.11
    import re._parser as _sre  # type: ignore[import-not-found]
    from re._constants import (  # type: ignore[import-not-found]
        ANY, AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_SPACE, IN, LITERAL, MAX_REPEAT, MIN_REPEAT,
        NEGATE, NOT_LITERAL, RANGE, SUBPATTERN,
    )
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]
    from sre_constants import (  # type: ignore[no-redef]
        ANY, AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_SPACE, IN, LITERAL, MAX_REPEAT, MIN_REPEAT,
        NEGATE, NOT_LITERAL, RANGE, SUBPATTERN,
    )

from obscode.promql import Matcher


def regex_example(pattern: str) -> str | None:
    """A short string the (anchored) regex ``pattern`` matches, or None when none is found."""
    try:
        parsed = _sre.parse(pattern)
    except (re.error, RecursionError):
        return None
    try:
        text = _example(parsed)
    except _NoExample:
        return None
    return text if re.fullmatch(pattern, text) else None


class _NoExample(Exception):
    pass


def _example(items: Iterable[tuple[object, object]]) -> str:
    out = []
    for op, arg in items:
        if op is LITERAL:
            out.append(chr(arg))  # type: ignore[arg-type]
        elif op is NOT_LITERAL:
            out.append("a" if arg != ord("a") else "b")
        elif op is ANY:
            out.append("0")
        elif op is IN:
            out.append(_in(arg))  # type: ignore[arg-type]
        elif op is BRANCH:
            out.append(_example(arg[1][0]))  # type: ignore[index]
        elif op is SUBPATTERN:
            out.append(_example(arg[-1]))  # type: ignore[index]
        elif op in (MAX_REPEAT, MIN_REPEAT):
            low, _high, inner = arg  # type: ignore[misc]
            out.append(_example(inner) * low)
        elif op is AT:
            continue
        elif op is CATEGORY:
            out.append(_category(arg))
        else:
            raise _NoExample(str(op))
    return "".join(out)


def _category(category: object) -> str:
    if category is CATEGORY_DIGIT:
        return "0"
    if category is CATEGORY_SPACE:
        return " "
    return "a"


def _in(items: list[tuple[object, object]]) -> str:
    if items and items[0][0] is NEGATE:
        for candidate in "a0_xz":
            if re.fullmatch(_sre_class(items), candidate):
                return candidate
        raise _NoExample("negated class")
    op, arg = items[0]
    if op is LITERAL:
        return chr(arg)  # type: ignore[arg-type]
    if op is RANGE:
        return chr(arg[0])  # type: ignore[index]
    if op is CATEGORY:
        return _category(arg)
    raise _NoExample(str(op))


def _sre_class(items: list[tuple[object, object]]) -> str:
    parts = []
    for op, arg in items[1:]:
        if op is LITERAL:
            parts.append(re.escape(chr(arg)))  # type: ignore[arg-type]
        elif op is RANGE:
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")  # type: ignore[index]
        elif op is CATEGORY:
            parts.append({CATEGORY_DIGIT: r"\d", CATEGORY_SPACE: r"\s"}.get(arg, r"\w"))
    return f"[^{''.join(parts)}]"


#: RE2 syntax Python's re reads otherwise ([[:alpha:]] is a set of ':', 'a', ... there):
#: a value chosen by Python for such a regex may not match in Prometheus.
_RE2_ONLY = ("[:", "\\p", "\\P", "\\Q", "\\z", "\\C")


def label_value(matchers: list[Matcher], known: Iterable[str], default: str) -> str | None:
    """A value every matcher (all on one label) accepts (``""``: the label is left out), preferring
    the catalog's values, then ``default``; None when no value is found, or when a regex uses
    syntax Python reads differently from Prometheus (RE2)."""
    if any(m.op in ("=~", "!~") and any(token in m.value for token in _RE2_ONLY) for m in matchers):
        return None
    candidates = list(known)
    for m in matchers:
        if m.op == "=":
            candidates.insert(0, m.value)
        elif m.op == "=~":
            example = regex_example(m.value)
            if example is not None:
                candidates.append(example)
            candidates.extend(part for part in m.value.split("|") if re.fullmatch(r"[\w.:/-]+", part))
    candidates += [default, f"{default}-2", "x", ""]
    for value in candidates:
        if all(m.matches(value) for m in matchers):
            return value
    return None


def number(value: float, exact: bool = False) -> str:
    """``value`` as promtool's series notation reads it: shortest exact text when ``exact``,
    else rounded to 12 significant digits (so 0.18 * 15 is written 2.7)."""
    if exact:
        return repr(float(value)).removesuffix(".0")
    text = f"{value:.12g}"
    return text


def beside(threshold: float, above: bool, exact: bool) -> float:
    """A value just above (or below) ``threshold``: 10% of its size away (1 away from 0).
    ``exact``: a multiple of a power of two, so sums and divisions by a power-of-two-friendly
    interval stay exact and ``{{ $value }}`` can be predicted."""
    margin = abs(threshold) * 0.1 if threshold else 1.0
    target = threshold + margin if above else threshold - margin
    if exact:
        step = 2.0 ** math.floor(math.log2(margin / 8))
    else:
        step = 10.0 ** math.floor(math.log10(margin / 2))
    value = round(target / step) * step
    return float(f"{value:.12g}") if not exact else value
