"""User activity of the demo service, through instrumentation.activity."""

from __future__ import annotations

from typing import Any


def install(app: Any, monitor: Any, settings: Any, faults: Any) -> None:
    """Add this area's routes and instruments to the demo service ``app``."""
