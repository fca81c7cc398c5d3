"""A dashboard's grid as SVG: one box per panel with its title and type, as Grafana places
them (24 columns; a grid row is 30 px). Output is deterministic, so it can be a golden file."""

from __future__ import annotations

from typing import Any, Literal
from xml.sax.saxutils import escape

from obscode.diff.dashboards import panels, title_of

Status = Literal["same", "added", "removed", "changed"]

COLUMN = 40
ROW = 30
MARGIN = 16
HEADER = 40
CHAR_WIDTH = 7.2
_FILL = {"same": "#f4f5f5", "added": "#d8f3dc", "removed": "#fde2e1", "changed": "#fff1c2"}
_STROKE = {"same": "#8e9aa6", "added": "#2b8a3e", "removed": "#c92a2a", "changed": "#e67700"}


def _fit(text: str, width: float) -> str:
    room = max(int((width - 16) / CHAR_WIDTH), 1)
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


def dashboard_svg(board: dict[str, Any], status: dict[int, Status] | None = None, caption: str = "") -> str:
    """SVG of ``board``'s layout. ``status`` colours panels by their index in
    :func:`obscode.diff.dashboards.panels` (added, removed, changed; default same)."""
    items = panels(board)
    bottom = max((_grid(p)["y"] + _grid(p)["h"] for p in items), default=1)
    width = 24 * COLUMN + 2 * MARGIN
    height = HEADER + bottom * ROW + 2 * MARGIN
    title = str(board.get("title") or board.get("uid") or "dashboard")
    heading = f"{title} — {caption}" if caption else title
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 18}" font-size="18" font-weight="bold" fill="#1f2328">'
        f"{escape(_fit(heading, width - 2 * MARGIN))}</text>",
    ]
    for index, panel in enumerate(items):
        out.append(_panel(panel, (status or {}).get(index, "same")))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _grid(panel: dict[str, Any]) -> dict[str, int]:
    grid = panel.get("gridPos") or {}
    return {k: int(grid.get(k, d)) for k, d in (("x", 0), ("y", 0), ("w", 12), ("h", 8))}


def _panel(panel: dict[str, Any], status: Status) -> str:
    grid = _grid(panel)
    x = MARGIN + grid["x"] * COLUMN + 2
    y = MARGIN + HEADER + grid["y"] * ROW + 2
    w = grid["w"] * COLUMN - 4
    h = grid["h"] * ROW - 4
    kind = str(panel.get("type") or "panel")
    title = escape(_fit(title_of(panel), w))
    dash = ' stroke-dasharray="6 4"' if status == "removed" else ""
    parts = [
        f'<g class="panel {status}">',
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{_FILL[status]}" '
        f'stroke="{_STROKE[status]}" stroke-width="{1 if status == "same" else 2}"{dash}/>',
        f'<text x="{x + 8}" y="{y + 18}" font-size="13" font-weight="bold" fill="#1f2328">{title}</text>',
    ]
    if kind != "row" and h > 40:
        label = kind if status == "same" else f"{kind} · {status}"
        parts.append(f'<text x="{x + 8}" y="{y + 36}" font-size="11" fill="#57606a">{escape(_fit(label, w))}</text>')
    parts.append("</g>")
    return "\n".join(parts)


def svg_size(svg: str) -> tuple[int, int]:
    """Width and height declared on an SVG this module wrote."""
    head = svg.split(">", 1)[0]
    width = int(head.split('width="', 1)[1].split('"', 1)[0])
    height = int(head.split('height="', 1)[1].split('"', 1)[0])
    return width, height
