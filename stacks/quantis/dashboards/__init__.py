"""The five Quantis Grafana dashboards, one module each, built with grafanalib.

Selectors and thresholds come from ``config.py``; obscode normalises the dashboards
and writes them to ``generated/quantis/grafana/dashboards/<uid>.json``.
"""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from . import api_performance, database, infrastructure, model_performance, system_overview


def dashboards(config=CONFIG) -> list[g.Dashboard]:
    return [module.build(config) for module in
            (system_overview, api_performance, database, infrastructure, model_performance)]
