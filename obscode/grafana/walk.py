"""Reading dashboards: files, panels, targets, and how to name them.

:func:`walk` is the one panel walker of obscode (checks, queries, normalisation, source
lines, diff, import, preview all read panels through it). It follows the nesting Grafana
reads, and only that:

- the dashboard's ``panels``, in reading order;
- the ``panels`` of a row panel (``type: "row"``) right after the row: a collapsed row keeps
  its children there; a row inside a row's children is walked too;
- in a dashboard without ``panels``, the ``panels`` of each legacy (pre-5) ``rows`` entry: the
  same panels normalisation lays out as row panels and writes
  (:func:`obscode.grafana.legacy.rows_to_panels`); it drops ``rows`` beside ``panels``, so the
  walk does too. A rendered dashboard has no ``rows``.

A ``panels`` list on any other panel is not walked: Grafana ignores it (``dashboard/schema``
reports the key), so its queries never run and its children are not panels. A library panel
(``libraryPanel: {uid, name}``) is a panel like any other, wherever it sits. Entries that are
not JSON objects are skipped.

Each panel comes as a :class:`Placed`: the panel, its JSON path (``panels[0].panels[1]``,
``rows[1].panels[0]``), the row holding it and that row's path, for callers that report paths
(:mod:`obscode.grafana.origins`) or lay out one grid per row (``dashboard/layout``);
:func:`panels` gives the panels alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from obscode import paths

if TYPE_CHECKING:
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


class Placed(NamedTuple):
    """One panel of a dashboard and where it sits."""

    panel: dict[str, Any]
    #: JSON path in the dashboard: ``panels[2]``, ``panels[0].panels[1]``, ``rows[1].panels[0]``.
    path: str
    #: The row holding the panel: a row panel or a legacy ``rows`` entry; None at the top level.
    row: dict[str, Any] | None
    #: JSON path of that row; ``""`` (the dashboard) at the top level.
    parent: str


def walk(dashboard: dict[str, Any]) -> Iterator[Placed]:
    """Every panel of ``dashboard``, rows and their children included, in reading order (see
    the module docstring for what is walked)."""
    top = dashboard.get("panels")
    if top:
        yield from _walk(top, "panels", None, "")
        return
    rows = dashboard.get("rows")
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(row, dict):
            yield from _walk(row.get("panels"), f"rows[{index}].panels", row, f"rows[{index}]")


def _walk(items: Any, path: str, row: dict[str, Any] | None, parent: str) -> Iterator[Placed]:
    for index, panel in enumerate(items if isinstance(items, list) else []):
        if not isinstance(panel, dict):
            continue
        here = f"{path}[{index}]"
        yield Placed(panel, here, row, parent)
        if panel.get("type") == "row":
            yield from _walk(panel.get("panels"), f"{here}.panels", panel, here)


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, the children of rows (or of legacy ``rows``) included, in reading order."""
    return (placed.panel for placed in walk(dashboard))


def targets(panel: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for target in panel.get("targets") or []:
        if isinstance(target, dict):
            yield target


def variables(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    templating = dashboard.get("templating")
    items = templating.get("list") if isinstance(templating, dict) else None
    return [v for v in items or [] if isinstance(v, dict)]
