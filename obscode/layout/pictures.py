"""Layout pictures for a pull request: every dashboard of the head tree, and a before/after
pair (changed panels highlighted) for every dashboard that changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from obscode.diff.dashboards import dashboard_changes, dashboards, match_panels, panel_changes, panels
from obscode.layout.png import svg_to_png
from obscode.layout.svg import Status, dashboard_svg


def statuses(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[int, Status], dict[int, Status]]:
    """Panel colours for the before and after pictures of one dashboard."""
    before, after = panels(old), panels(new)
    pairs, removed, added = match_panels(before, after)
    old_status: dict[int, Status] = {_index(before, p): "removed" for p in removed}
    new_status: dict[int, Status] = {_index(after, p): "added" for p in added}
    for a, b in pairs:
        if panel_changes(a, b):
            old_status[_index(before, a)] = "changed"
            new_status[_index(after, b)] = "changed"
    return old_status, new_status


def _index(items: list[dict[str, Any]], panel: dict[str, Any]) -> int:
    return next(i for i, p in enumerate(items) if p is panel)


def write_pictures(base: dict[str, bytes], head: dict[str, bytes], out: Path, png: bool = True) -> dict[str, list[Path]]:
    """Write ``<uid>.svg`` for every head dashboard and ``<uid>.before.svg`` /
    ``<uid>.after.svg`` for changed ones (plus ``.png`` of each with ``png``).
    Returns the written pictures by dashboard uid, before/after first."""
    out.mkdir(parents=True, exist_ok=True)
    old, new = dashboards(base), dashboards(head)
    written: dict[str, list[Path]] = {}
    for uid, board in new.items():
        paths = []
        if uid in old:
            if dashboard_changes(old[uid], board):
                old_status, new_status = statuses(old[uid], board)
                paths.append(_write(out / f"{uid}.before.svg", dashboard_svg(old[uid], old_status, "before")))
                paths.append(_write(out / f"{uid}.after.svg", dashboard_svg(board, new_status, "after")))
        paths.append(_write(out / f"{uid}.svg", dashboard_svg(board)))
        written[uid] = paths
    if png:
        for paths in written.values():
            for svg in list(paths):
                target = svg.with_suffix(".png")
                svg_to_png(svg, target)
                paths.append(target)
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
