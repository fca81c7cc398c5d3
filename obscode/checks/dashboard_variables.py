"""``dashboard/variables``: every template variable a dashboard uses is defined in its
``templating``, and every defined variable is used.

An undefined ``$instance`` reaches Prometheus literally and matches nothing, so the
panel is silently empty (error). A variable nothing uses is a dropdown that changes
nothing (warning). Uses are counted in queries, titles, repeats, datasource references
and other variables' queries (so a ``job`` that filters ``instance`` is used)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from obscode.checks import CheckContext, Problem
from obscode.grafana.walk import dashboards, panels, variables
from obscode.grafana_vars import variables_used

CHECK_ID = "dashboard/variables"


def _names(text: Any) -> list[str]:
    """Variables referenced anywhere in ``text`` (any JSON value); Grafana globals excluded."""
    blob = text if isinstance(text, str) else json.dumps(text, sort_keys=True)
    return [n for n in variables_used(blob) if not n.startswith("__") and not n.isdigit()]


def _panel_uses(panel: dict[str, Any]) -> list[str]:
    used = _names({k: v for k, v in panel.items() if k not in ("panels", "repeat")})
    if isinstance(panel.get("repeat"), str) and panel["repeat"]:
        used.append(panel["repeat"])
    return used


def run(ctx: CheckContext) -> Iterator[Problem]:
    for dash in dashboards(ctx):
        defined = [v.get("name") for v in variables(dash.data) if isinstance(v.get("name"), str)]
        available = ", ".join(defined) or "none"
        used: set[str] = set()
        for panel in panels(dash.data):
            for name in _panel_uses(panel):
                used.add(name)
                if name not in defined:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=None, message=f"uses ${name}, which the dashboard does not define "
                                  f"(defined: {available}); add a Template(name={name!r}, ...) or fix the name")
        for variable in variables(dash.data):
            own = variable.get("name")
            for name in _names({k: v for k, v in variable.items() if k not in ("name", "current", "options")}):
                if name == own:
                    continue
                used.add(name)
                if name not in defined:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path,
                                  obj=f"{dash.label} variable {own}", field="query",
                                  message=f"uses ${name}, which the dashboard does not define (defined: {available})")
        for name in _names({k: v for k, v in dash.data.items() if k in ("title", "links", "description")}):
            used.add(name)
        for name in defined:
            if name not in used:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=f"{dash.label} variable {name}",
                              field="name", severity="warning",
                              message="no panel, title or other variable uses this variable; use it or remove it")
