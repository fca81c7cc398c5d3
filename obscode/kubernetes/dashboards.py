"""Dashboards as ConfigMaps carrying the Grafana sidecar's label, or as grafana-operator
GrafanaDashboards."""

from __future__ import annotations

from typing import Any

from obscode.stack import Stack


def objects(stack: Stack, dashboards: dict[str, bytes]) -> list[dict[str, Any]]:
    """``dashboards``: ``{file name (<uid>.json): dashboard JSON bytes}`` as the grafana output writes them."""
    return []
