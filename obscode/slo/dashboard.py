"""dashboard of the SLOs (stub)."""

from __future__ import annotations

from typing import Any


def dashboards(stack: Any) -> list[Any]:
    return []
