"""The Quantis Grafana dashboards, one module each, built with grafanalib.

Selectors and thresholds come from ``config.py``; obscode normalises the dashboards
and writes them to ``generated/quantis/grafana/dashboards/<uid>.json``.
"""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from . import (
    api_performance, data_quality, database, infrastructure, mlops, model_performance, security,
    system_overview, user_activity,
)

#: One module per dashboard, each with ``build(config) -> grafanalib Dashboard``.
MODULES = (system_overview, api_performance, database, infrastructure, model_performance,
           data_quality, mlops, security, user_activity)


def dashboards(config=CONFIG) -> list[g.Dashboard]:
    built = (module.build(config) for module in MODULES)
    return [dashboard for dashboard in built if dashboard is not None]
