"""Alert tests (promtool's, typed) of the issue-18 alerts the synthesiser cannot write: see ALERTS."""

from __future__ import annotations

from obscode import AlertTest

from .config import CONFIG, QuantisConfig

#: The alerts these tests name.
ALERTS: tuple[str, ...] = ()


def alert_tests(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    return []
