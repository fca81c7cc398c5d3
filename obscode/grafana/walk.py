"""Reading rendered dashboards for checks: files, panels, targets, and how to name them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from obscode import paths
from obscode.checks import CheckContext

DASHBOARDS_PREFIX = paths.DASHBOARDS_DIR


@dataclass(frozen=True)
class RenderedDashboard:
    path: str
    data: dict[str, Any]

    @property
    def uid(self) -> str:
        uid = self.data.get("uid")
        return uid if isinstance(uid, str) and uid else f"(no uid, title {self.data.get('title')!r})"

    @property
    def label(self) -> str:
        return f"dashboard {self.uid}"

    def panel_label(self, panel: dict[str, Any]) -> str:
        """``dashboard api-performance panel "API Request Rate"``."""
        title = panel.get("title") if isinstance(panel, dict) else None
        name = f'"{title}"' if title else f"#{panel.get('id', '?') if isinstance(panel, dict) else '?'} (untitled)"
        return f"{self.label} panel {name}"


def dashboards(ctx: CheckContext) -> list[RenderedDashboard]:
    """Every dashboard JSON file of the rendered output, by path."""
    return [RenderedDashboard(path, ctx.json(path)) for path in sorted(ctx.files)
            if path.startswith(DASHBOARDS_PREFIX) and path.endswith(".json")]


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, the children of collapsed rows included, in reading order."""
    for panel in dashboard.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        yield panel
        if panel.get("type") == "row":
            yield from (p for p in panel.get("panels") or [] if isinstance(p, dict))


def targets(panel: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for target in panel.get("targets") or []:
        if isinstance(target, dict):
            yield target


def variables(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    templating = dashboard.get("templating")
    items = templating.get("list") if isinstance(templating, dict) else None
    return [v for v in items or [] if isinstance(v, dict)]

