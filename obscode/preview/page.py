"""One self-contained HTML page per dashboard: panels placed on Grafana's 24-column grid,
queries listed under each panel, and (when results were fetched) charts drawn by ``chart.js``."""

from __future__ import annotations

import json
import math
from html import escape
from importlib.resources import files
from typing import Any

from obscode.diff.dashboards import panels, title_of

ROW_PX = 30
_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 16px; background: #f4f5f5; color: #1f2328; }
header { margin-bottom: 12px; } header .meta { color: #57606a; font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(24, 1fr); grid-auto-rows: %dpx; gap: 6px; }
.panel { background: #fff; border: 1px solid #d0d7de; border-radius: 4px; padding: 6px; overflow: hidden;
         display: flex; flex-direction: column; min-height: 0; }
.panel.row { background: none; border: none; border-bottom: 1px solid #8e9aa6; border-radius: 0; }
.panel h2 { font-size: 13px; margin: 0 0 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.panel .type { color: #57606a; font-weight: normal; font-size: 11px; }
.body { flex: 1; min-height: 0; position: relative; }
.chart { display: block; }
.stat { font-size: 32px; font-weight: bold; text-align: center; padding-top: 8px; }
.legend { list-style: none; margin: 0; padding: 0; font-size: 10px; white-space: nowrap; overflow: hidden; }
.message { font-size: 12px; color: #57606a; white-space: pre-wrap; }
.message.error { color: #c92a2a; }
details { font-size: 11px; } code { font-size: 11px; word-break: break-all; }
""" % ROW_PX


def _script() -> str:
    return files("obscode.preview").joinpath("chart.js").read_text(encoding="utf-8")


def _finite(data: Any) -> Any:
    """``data`` with NaN and ±Inf floats as None: JSON has no literal for them."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def _json_for_script(data: Any) -> str:
    """Strict JSON (non-finite values as null) safe inside <script>: no "</script>" or "<!--"
    can end or confuse the element."""
    text = json.dumps(_finite(data), sort_keys=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _panel_html(index: int, panel: dict[str, Any]) -> str:
    grid = panel.get("gridPos") or {}
    x, y, w, h = (int(grid.get(k, d)) for k, d in (("x", 0), ("y", 0), ("w", 12), ("h", 8)))
    kind = str(panel.get("type") or "panel")
    queries = [t for t in panel.get("targets") or [] if t.get("expr")]
    style = f"grid-column: {x + 1} / span {w}; grid-row: {y + 1} / span {h};"
    attrs = f'class="panel {escape(kind)}" data-index="{index}" data-type="{escape(kind)}" style="{style}"'
    if queries:
        attrs += f' data-queries="{len(queries)}"'
    listing = "".join(f"<li><code>{escape(str(t.get('refId', '')))}: {escape(str(t['expr']))}</code></li>"
                      for t in queries)
    details = f"<details><summary>queries</summary><ul>{listing}</ul></details>" if queries else ""
    return (f'<section {attrs}><h2>{escape(title_of(panel))} <span class="type">{escape(kind)}</span></h2>'
            f'<div class="body"></div>{details}</section>')


def dashboard_page(board: dict[str, Any], results: dict[str, Any] | None, source: str) -> str:
    """The page for ``board``. ``results`` come from :func:`obscode.preview.fetch.fetch_board`
    (``None``: no Prometheus was given, panels show their queries only)."""
    title = str(board.get("title") or board.get("uid") or "dashboard")
    data = {"fetched": results is not None, "results": results or {}}
    body = "\n".join(_panel_html(i, p) for i, p in enumerate(panels(board)))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} — obscode preview</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{escape(title)}</h1><div class="meta">{escape(source)}</div></header>
<main class="grid">
{body}
</main>
<script type="application/json" id="obscode-data">{_json_for_script(data)}</script>
<script>{_script()}</script>
</body>
</html>
"""


def index_page(stack: str, boards: list[tuple[str, str]]) -> str:
    """Links to every dashboard page: ``boards`` is (file name, title)."""
    items = "\n".join(f'<li><a href="{escape(name)}">{escape(title)}</a></li>' for name, title in boards)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(stack)} dashboards — obscode preview</title></head>
<body><h1>Dashboards of stack {escape(stack)}</h1><ul>
{items}
</ul></body></html>
"""
