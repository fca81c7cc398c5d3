"""PrometheusRule (one per rule file), ServiceMonitor / PodMonitor (jobs in
``KubernetesSettings.monitors``) and ScrapeConfig (every other job)."""

from __future__ import annotations

from typing import Any

from obscode.stack import Stack


def objects(stack: Stack) -> list[dict[str, Any]]:
    return []
