"""rules of the SLOs (stub)."""

from __future__ import annotations

from typing import Any


def rule_files(stack: Any) -> list[Any]:
    return []
