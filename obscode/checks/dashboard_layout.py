"""``dashboard/layout``: every panel has a ``gridPos`` inside Grafana's 24-column grid,
and no two panels overlap.

Grafana silently moves overlapping or oversized panels when it loads a dashboard, so what
reviewers saw in the code is not what users see. What Grafana repairs that way (an overlap, a
panel past the right edge or wider than the grid, a missing gridPos) is a warning; a panel
Grafana cannot lay out as written (height below 1, a negative position) is an error. A row
is always drawn across the whole grid, one unit high, whatever its ``w`` and ``h`` say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from obscode.checks import CheckContext, Problem
from obscode.grafana.legacy import GRID_COLUMNS
from obscode.grafana.origins import where
from obscode.grafana.walk import RenderedDashboard, dashboards, walk

CHECK_ID = "dashboard/layout"
_FIELDS = ("h", "w", "x", "y")
#: What Grafana gives a panel whose gridPos lacks a member (PanelModel defaults).
_DEFAULTS = {"h": 3, "w": 6, "x": 0, "y": 0}


def _grid(panel: dict[str, Any], problem: Any) -> tuple[int, int, int, int] | None:
    grid = panel.get("gridPos")
    row = panel.get("type") == "row"
    if not isinstance(grid, dict):
        problem(panel, "gridPos", "has no gridPos: Grafana puts it at the top left, 6 columns wide and 3 units "
                "high; give every panel GridPos(h=..., w=..., x=..., y=...)", "warning")
        return None
    needed = ("y",) if row else _FIELDS
    values = {k: grid.get(k) for k in _FIELDS}
    bad = [k for k in needed if not isinstance(values[k], int) or isinstance(values[k], bool)]
    if bad:
        given = ", ".join(f"{k}={_DEFAULTS[k]}" for k in bad)
        problem(panel, "gridPos", f"gridPos needs integer {', '.join(needed)}; missing or not an integer: "
                f"{', '.join(bad)} (Grafana uses {given})", "warning")
        return None
    if row:
        return (0, values["y"], GRID_COLUMNS, 1)
    h, w, x, y = (values[k] for k in _FIELDS)
    ok = True
    if w < 1 or w > GRID_COLUMNS:
        problem(panel, "gridPos.w", f"width {w} is outside 1-{GRID_COLUMNS}; the grid has {GRID_COLUMNS} columns "
                "(Grafana resizes the panel)", "warning")
        ok = False
    if h < 1:
        problem(panel, "gridPos.h", f"height {h} must be at least 1", "error")
        ok = False
    if x < 0 or y < 0:
        problem(panel, "gridPos", f"position x={x}, y={y} must not be negative", "error")
        ok = False
    elif ok and x + w > GRID_COLUMNS:
        problem(panel, "gridPos.x", f"x={x} + w={w} runs past column {GRID_COLUMNS}; make x at most "
                f"{GRID_COLUMNS - w} (Grafana moves the panel left)", "warning")
        ok = False
    return (x, y, w, h) if ok else None


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def grids(dashboard: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The panels of each grid Grafana lays out: the top level, then the children of each
    collapsed row (an expanded row's children follow it on the top-level grid), in reading order."""
    laid_out: dict[str, list[dict[str, Any]]] = {"": []}
    for placed in walk(dashboard):
        if placed.parent not in laid_out:
            continue
        laid_out[placed.parent].append(placed.panel)
        if placed.panel.get("type") == "row" and placed.panel.get("collapsed"):
            laid_out[placed.path] = []
    return list(laid_out.values())


def _layer(panels: list[dict[str, Any]], problem: Any) -> None:
    """One grid: the top level, or the children of one collapsed row."""
    placed: list[tuple[dict[str, Any], tuple[int, int, int, int]]] = []
    for panel in panels:
        box = _grid(panel, problem)
        if box is None:
            continue
        for other, other_box in placed:
            if _overlap(box, other_box):
                x, y, w, h = box
                problem(panel, "gridPos", f"overlaps panel {other.get('title')!r} "
                        f"(x={x} y={y} w={w} h={h} against x={other_box[0]} y={other_box[1]} "
                        f"w={other_box[2]} h={other_box[3]}): Grafana pushes one of them down; move one of them",
                        "warning")
        placed.append((panel, box))


def run(ctx: CheckContext) -> Iterator[Problem]:
    found: list[Problem] = []
    for dash in dashboards(ctx):
        def problem(panel: dict[str, Any], field: str, message: str, severity: str,
                    dash: RenderedDashboard = dash) -> None:
            found.append(Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                 field=field, message=message, severity=severity,  # type: ignore[arg-type]
                                 source=where(ctx, dash.path, panel)))

        for grid in grids(dash.data):
            _layer(grid, problem)
    return iter(found)
