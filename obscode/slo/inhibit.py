"""inhibit of the SLOs (stub)."""

from __future__ import annotations

from typing import Any


def inhibit_rules(stack: Any) -> list[Any]:
    return []
