"""Grafana template variables in queries: substituted so PromQL parsers can read them."""

from __future__ import annotations

import re

#: Grafana's built-in interval/range variables, replaced by a representative duration.
BUILTIN_DURATIONS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__interval_ms": "60000",
    "__range_s": "3600",
    "__range_ms": "3600000",
}

_VARIABLE = re.compile(r"\$\{(\w+)(?::[\w]+)?\}|\[\[(\w+)(?::[\w]+)?\]\]|\$(\w+)")


def variables_used(expr: str) -> list[str]:
    """Names of the template variables ``expr`` references, in order, built-ins excluded."""
    names = []
    for match in _VARIABLE.finditer(expr):
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in BUILTIN_DURATIONS and name not in names:
            names.append(name)
    return names


def substitute(expr: str, value: str = "placeholder") -> str:
    """``expr`` with every variable replaced: built-in durations by a duration, user
    variables by ``value`` (they usually sit inside a quoted matcher value)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return BUILTIN_DURATIONS.get(name, value)

    return _VARIABLE.sub(replace, expr)
