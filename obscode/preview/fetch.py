"""Query results for a dashboard's panels, fetched once when the preview is built."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from obscode.diff.dashboards import panels
from obscode.errors import UsageError
from obscode.grafana_vars import substitute

#: Points per series the preview asks Prometheus for.
POINTS = 200
TIMEOUT_SECONDS = 10.0
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_RANGE = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_range(text: str) -> int:
    """``"1h"`` → 3600 seconds."""
    match = _RANGE.match(text.strip())
    if not match:
        raise UsageError(f"--range {text!r} is not a duration like 15m, 1h or 2d")
    return int(match.group(1)) * _UNIT[match.group(2)]


def variable_values(board: dict[str, Any]) -> dict[str, str]:
    """What each template variable stands for in the preview: its current value, or a
    regex matching anything when it has none (or is "All")."""
    values = {}
    for variable in (board.get("templating") or {}).get("list") or []:
        current = (variable.get("current") or {}).get("value")
        if isinstance(current, list):
            current = "|".join(str(v) for v in current)
        values[str(variable.get("name"))] = ".*" if current in (None, "", "$__all") else str(current)
    return values


def expand(expr: str, values: dict[str, str]) -> str:
    """``expr`` with the dashboard's variables replaced by their preview values."""
    for name, value in values.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"[[{name}]]", value)
        expr = re.sub(rf"\${name}\b", lambda _m: value, expr)
    return substitute(expr, ".*")


def legend(metric: dict[str, str], fmt: str | None) -> str:
    if fmt:
        return _LEGEND.sub(lambda m: metric.get(m.group(1), ""), fmt)
    name = metric.get("__name__", "")
    labels = ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{name}{{{labels}}}" if labels else (name or "value")


def fetch_board(client: httpx.Client, board: dict[str, Any], seconds: int, end: float | None = None) -> dict[str, Any]:
    """``{panel id: {"series": [{"name", "points": [[t, v]...]}], "errors": [...]}}``."""
    end = end if end is not None else time.time()
    start = end - seconds
    step = max(seconds / POINTS, 1.0)
    values = variable_values(board)
    results: dict[str, Any] = {}
    for index, panel in enumerate(panels(board)):
        targets = [t for t in panel.get("targets") or [] if t.get("expr") and not t.get("hide")]
        if not targets:
            continue
        found: dict[str, Any] = {"series": [], "errors": []}
        for target in targets:
            expr = expand(str(target["expr"]), values)
            data = _query(client, expr, start, end, step)
            if "error" in data:
                found["errors"].append(f"{target.get('refId', '?')}: {data['error']}")
                continue
            for series in data["result"]:
                points = [[float(t), float(v)] for t, v in series.get("values") or []]
                found["series"].append({"name": legend(series.get("metric") or {}, target.get("legendFormat")),
                                        "points": points})
        results[str(index)] = found
    return results


def _query(client: httpx.Client, expr: str, start: float, end: float, step: float) -> dict[str, Any]:
    try:
        response = client.get("/api/v1/query_range",
                              params={"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"})
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot reach Prometheus at {client.base_url} ({exc}); "
                         "check --prometheus (e.g. http://127.0.0.1:9090)") from None
    try:
        body = response.json()
    except ValueError:
        raise UsageError(f"{client.base_url} answered /api/v1/query_range with HTTP {response.status_code} "
                         "and no JSON: is --prometheus the Prometheus server's URL?") from None
    if body.get("status") != "success":
        return {"error": str(body.get("error") or f"HTTP {response.status_code}")}
    return {"result": body["data"]["result"]}


def client_for(url: str) -> httpx.Client:
    if not re.match(r"^https?://", url):
        raise UsageError(f"--prometheus {url!r} must be an http:// or https:// URL, e.g. http://127.0.0.1:9090")
    return httpx.Client(base_url=url.rstrip("/"), timeout=TIMEOUT_SECONDS)
