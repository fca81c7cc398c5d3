"""The User Activity dashboard (issue 18)."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG, QuantisConfig


def build(config: QuantisConfig = CONFIG) -> g.Dashboard | None:
    return None  # not built yet
