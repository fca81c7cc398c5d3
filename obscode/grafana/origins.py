"""Where each dashboard, row, panel, target and variable of a stack was written.

While a stack module runs, every grafanalib or Grafana Foundation SDK object of those kinds
remembers the user frames that built it (:mod:`obscode.grafana.recording`). When
the emitter renders a dashboard it marks each object's JSON (:func:`mark`), normalises it, and
takes the marks back out (:func:`harvest`) as a map from the object's path in the written JSON
(``panels[2]``, ``panels[0].panels[1].targets[0]``, ``templating.list[1]``; ``""`` for the
dashboard) to those frames; :func:`record` keeps the chosen line of each per stack and output
file, and checks ask :func:`where` for the line of the panel, target or variable they report.

The line chosen is the innermost frame that built only this object among the stack's objects of
its kind, so a helper such as ``def target(expr): return g.Target(expr=expr, ...)`` reports the
line that called it with this expression, not its own ``return`` line shared by every target;
when no frame is the object's own, the innermost frame shared by fewer objects than the first,
else the first. A dashboard given as a dict, or built outside a stack module's loading, has the line
of the ``Stack(...)`` it was passed to; its panels and targets have the dashboard's line.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from obscode.errors import SourceLocation
from obscode.grafana.recording import Frames, frames_of
from obscode.grafana.walk import walk as walk_panels

#: Key of the mark an object's JSON carries between :func:`mark` and :func:`harvest`; never written.
ORIGIN_KEY = "__obscode_origin__"


@dataclass
class Marks:
    """The frames of the objects :func:`mark` marked in one dashboard's JSON, by mark number."""

    frames: list[Frames]

    def __call__(self, obj: Any, data: Any) -> Any:
        frames = frames_of(obj)
        if not frames or not isinstance(data, dict):
            return data
        self.frames.append(frames)
        return {**data, ORIGIN_KEY: len(self.frames) - 1}


def mark() -> Marks:
    """A fresh marker for :func:`obscode.grafana.source.dashboard_json`."""
    return Marks([])


def walk(dashboard: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], str | None]]:
    """(kind, path, object, parent path) of the dashboard and every variable, panel and target
    in it: the panels :func:`obscode.grafana.walk.walk` visits, each followed by its targets."""
    yield "dashboard", "", dashboard, None
    templating = dashboard.get("templating")
    items = templating.get("list") if isinstance(templating, dict) else None
    for index, variable in enumerate(items if isinstance(items, list) else []):
        if isinstance(variable, dict):
            yield "variable", f"templating.list[{index}]", variable, ""
    for placed in walk_panels(dashboard):
        panel = placed.panel
        yield "row" if panel.get("type") == "row" else "panel", placed.path, panel, placed.parent
        items = panel.get("targets")
        for index, target in enumerate(items if isinstance(items, list) else []):
            if isinstance(target, dict):
                yield "target", f"{placed.path}.targets[{index}]", target, placed.path


def _strip(value: Any) -> None:
    if isinstance(value, dict):
        value.pop(ORIGIN_KEY, None)
        for item in value.values():
            _strip(item)
    elif isinstance(value, list):
        for item in value:
            _strip(item)


@dataclass(frozen=True)
class Built:
    """One object of a rendered dashboard and the frames that built it."""

    kind: str
    path: str
    frames: Frames


def harvest(dashboard: dict[str, Any], marks: Marks) -> list[Built]:
    """Take the marks out of normalised ``dashboard`` (in place): the objects that carried one."""
    if not marks.frames:
        return []
    found = []
    for kind, path, node, _parent in list(walk(dashboard)):
        number = node.get(ORIGIN_KEY)
        if isinstance(number, int) and 0 <= number < len(marks.frames):
            found.append(Built(kind, path, marks.frames[number]))
    _strip(dashboard)
    return found


def choose(objects: list[Built]) -> list[SourceLocation]:
    """The line of each object: see the module docstring."""
    counts: dict[str, Counter[SourceLocation]] = {}
    for built in objects:
        counts.setdefault(built.kind, Counter()).update(set(built.frames))
    chosen = []
    for built in objects:
        count = counts[built.kind]
        own = next((f for f in built.frames if count[f] == 1), None)
        fewer = next((f for f in built.frames if count[f] < count[built.frames[0]]), None)
        chosen.append(own or fewer or built.frames[0])
    return chosen


def lines(built: list[list[Built]], fallback: SourceLocation | None) -> list[dict[str, SourceLocation]]:
    """The line of each object of each dashboard (``built``: one list per dashboard of a stack), by
    JSON path; a dashboard with no line of its own has ``fallback`` (the ``Stack(...)`` line)."""
    chosen = iter(choose([b for dashboard in built for b in dashboard]))
    out = []
    for dashboard in built:
        found = {b.path: next(chosen) for b in dashboard}
        if "" not in found and fallback is not None:
            found[""] = fallback
        out.append(found)
    return out


# -- lookup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileOrigins:
    """Lines of one written dashboard file: its bytes (to know the file checked is this one)
    and the line of each object by path."""

    content: bytes
    lines: dict[str, SourceLocation]


_BY_STACK: dict[int, tuple[weakref.ref[Any], dict[str, FileOrigins]]] = {}


def record(stack: Any, files: dict[str, FileOrigins]) -> None:
    """Keep the lines of ``stack``'s written dashboards for :func:`where` (until the stack is gone)."""
    key = id(stack)
    try:
        ref = weakref.ref(stack, lambda _ref, key=key: _BY_STACK.pop(key, None))
    except TypeError:
        return
    _BY_STACK[key] = (ref, files)


def _recorded(stack: Any, path: str) -> FileOrigins | None:
    entry = _BY_STACK.get(id(stack))
    if entry is None or entry[0]() is not stack:
        return None
    return entry[1].get(path)


def source_of(stack: Any, path: str, json_path: str) -> SourceLocation | None:
    """The line recorded for the object at ``json_path`` of written dashboard ``path``, if any."""
    origins = _recorded(stack, path)
    return origins.lines.get(json_path) if origins else None


def _index(ctx: Any, path: str) -> dict[int, SourceLocation | None]:
    """id() of every object of ``ctx.json(path)`` -> its line, else its parent's, else the dashboard's."""
    cache = ctx.dashboard_lines
    if path in cache:
        return cache[path]
    index: dict[int, SourceLocation | None] = {}
    origins = _recorded(ctx.stack, path)
    data = ctx.json(path) if origins is not None and ctx.files.get(path) == origins.content else None
    if origins is not None and isinstance(data, dict):
        by_path: dict[str, SourceLocation | None] = {}
        for _kind, json_path, node, parent in walk(data):
            line = origins.lines.get(json_path)
            if line is None and parent is not None:
                line = by_path.get(parent)
            by_path[json_path] = index[id(node)] = line
    cache[path] = index
    return index


def where(ctx: Any, path: str, node: Any = None) -> SourceLocation | None:
    """The line of ``node`` (a panel, target or variable of ``ctx.json(path)``, or None for the
    dashboard itself) in the stack's source, for a finding about it."""
    index = _index(ctx, path)
    if not index:
        return None
    if node is not None and id(node) in index:
        return index[id(node)]
    data = ctx.json(path)
    return index.get(id(data))


def locator(ctx: Any, path: str) -> Callable[[Any], SourceLocation | None]:
    """``where(ctx, path, node)`` as a function of ``node``."""
    return lambda node=None: where(ctx, path, node)
