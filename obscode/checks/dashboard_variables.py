"""``dashboard/variables``: every template variable a dashboard uses is defined in its
``templating``, and every defined variable is used.

An undefined ``$instance`` in a query or datasource reaches Prometheus literally and matches
nothing, so the panel is silently empty (error); elsewhere (a title, a link) it shows as
written (warning). A variable nothing uses is a dropdown that changes nothing (warning). Uses are counted in queries, titles, repeats, datasource references
and other variables' queries (so a ``job`` that filters ``instance`` is used).

A variable name defined twice is an error: ``$name`` (and the URL's ``var-name``) can stand for
only one of the two, so one dropdown changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from obscode.checks import CheckContext, Problem
from obscode.grafana.origins import where
from obscode.grafana.walk import RenderedDashboard, dashboards, panels, variables
from obscode.grafana_vars import variables_used

CHECK_ID = "dashboard/variables"


def _strings(value: Any) -> Iterator[str]:
    """Every string value inside ``value``, keys apart (Grafana interpolates values only: a key
    such as Angular's ``$$hashKey`` is no variable)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _strings(value[key])
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _names(text: Any) -> list[str]:
    """Variables referenced anywhere in ``text`` (any JSON value); Grafana globals excluded."""
    names: list[str] = []
    for string in _strings(text):
        names += [n for n in variables_used(string) if not n.startswith("__") and not n.isdigit() and n not in names]
    return names


#: Panel keys whose variables decide what the panel queries.
_QUERY_KEYS = ("targets", "datasource")


def _panel_uses(panel: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Variables the panel's queries use, and those only its other text uses (titles, links)."""
    queried = _names({k: v for k, v in panel.items() if k in _QUERY_KEYS})
    if isinstance(panel.get("repeat"), str) and panel["repeat"]:
        queried.append(panel["repeat"])
    shown = [n for n in _names({k: v for k, v in panel.items() if k not in ("panels", "repeat") + _QUERY_KEYS})
             if n not in queried]
    return queried, shown


def _duplicates(ctx: CheckContext, dash: RenderedDashboard) -> Iterator[Problem]:
    """A name defined again: ``$name`` and the URL's ``var-name`` can stand for only one of them."""
    first: dict[str, int] = {}
    for position, variable in enumerate(variables(dash.data), start=1):
        name = variable.get("name")
        if not isinstance(name, str) or not name:
            continue
        if name not in first:
            first[name] = position
            continue
        yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=f"{dash.label} variable {name}",
                      field="name", source=where(ctx, dash.path, variable), cause=f"variable {name} is defined twice",
                      message=f"variable {name} is defined twice (variables {first[name]} and {position} of "
                              f"templating): ${name} and the URL's var-{name} can stand for only one of them, so "
                              "one dropdown changes nothing; rename or remove one")


def run(ctx: CheckContext) -> Iterator[Problem]:
    for dash in dashboards(ctx):
        yield from _duplicates(ctx, dash)
        defined = [v.get("name") for v in variables(dash.data) if isinstance(v.get("name"), str)]
        available = ", ".join(defined) or "none"
        used: set[str] = set()
        for panel in panels(dash.data):
            queried, shown = _panel_uses(panel)
            for name in queried + shown:
                used.add(name)
                if name in defined:
                    continue
                if name in queried:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=None, message=f"uses ${name}, which the dashboard does not define "
                                  f"(defined: {available}); add a Template(name={name!r}, ...) or fix the name",
                                  source=where(ctx, dash.path, panel))
                else:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=dash.panel_label(panel),
                                  field=None, severity="warning", source=where(ctx, dash.path, panel),
                                  message=f"shows ${name} in its title or links, which the dashboard does not "
                                  f"define (defined: {available}), so it appears as written; add a "
                                  f"Template(name={name!r}, ...) or fix the name")
        for variable in variables(dash.data):
            own = variable.get("name")
            for name in _names({k: v for k, v in variable.items() if k not in ("name", "current", "options")}):
                if name == own:
                    continue
                used.add(name)
                if name not in defined:
                    yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path,
                                  obj=f"{dash.label} variable {own}", field="query",
                                  message=f"uses ${name}, which the dashboard does not define (defined: {available})",
                                  source=where(ctx, dash.path, variable))
        for name in _names({k: v for k, v in dash.data.items() if k in ("title", "links", "description")}):
            used.add(name)
        for variable in variables(dash.data):
            name = variable.get("name")
            if isinstance(name, str) and name not in used:
                yield Problem(check=CHECK_ID, stack=ctx.name, file=dash.path, obj=f"{dash.label} variable {name}",
                              field="name", severity="warning", source=where(ctx, dash.path, variable),
                              message="no panel, title or other variable uses this variable; use it or remove it")
