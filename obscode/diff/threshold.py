"""The threshold of an alert expression: ``metric > 15`` is the subject ``metric``, ``>`` and ``15``."""

from __future__ import annotations

from dataclasses import dataclass

import re

import promql_parser

_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
_MIRROR = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


_TRAILING = re.compile(r"^(?P<subject>.*?)\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?[-+]?[\w.]+\s*$", re.S)
_LEADING = re.compile(r"^\s*[-+]?[\w.]+\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?(?P<subject>.*?)\s*$", re.S)


@dataclass(frozen=True)
class Threshold:
    """``subject`` is the compared expression as written; ``key`` its parsed form, so a
    change of spacing alone is not a change of subject."""

    subject: str
    op: str
    value: float
    key: str = ""

    def condition(self) -> str:
        """``> 15``: the comparison as a reviewer reads it."""
        return f"{self.op} {format(self.value, 'g')}"


def threshold_of(expr: str) -> Threshold | None:
    """The top-level comparison of ``expr`` against a number, or ``None`` if it has none
    (or does not parse). ``15 < x`` reads as ``x > 15``."""
    try:
        node = promql_parser.parse(expr)
    except Exception:  # promql_parser raises plain exceptions for bad queries
        return None
    if not isinstance(node, promql_parser.BinaryExpr):
        return None
    op = str(node.op)
    if op not in _COMPARISONS:
        return None
    if isinstance(node.rhs, promql_parser.NumberLiteral) and not isinstance(node.lhs, promql_parser.NumberLiteral):
        return Threshold(_written(expr, _TRAILING, node.lhs), op, float(node.rhs.val), _subject(node.lhs))
    if isinstance(node.lhs, promql_parser.NumberLiteral) and not isinstance(node.rhs, promql_parser.NumberLiteral):
        return Threshold(_written(expr, _LEADING, node.rhs), _MIRROR[op], float(node.lhs.val), _subject(node.rhs))
    return None


def _written(expr: str, pattern: re.Pattern[str], node: object) -> str:
    match = pattern.match(expr)
    return " ".join(match.group("subject").split()) if match else _subject(node)


def _subject(node: object) -> str:
    return " ".join(str(node).split())


def threshold_change(before: str, after: str) -> tuple[Threshold, Threshold] | None:
    """Both thresholds when ``before`` and ``after`` compare the same subject and only the
    comparison or its number changed; otherwise ``None`` (the whole expression changed)."""
    old, new = threshold_of(before), threshold_of(after)
    if old is None or new is None or old.key != new.key or old == new:
        return None
    return old, new
