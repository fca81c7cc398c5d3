"""Where each dashboard, row, panel, target and variable of a stack was written.

While a stack module runs (:func:`recording`, used by :mod:`obscode.loader`), every grafanalib
or Grafana Foundation SDK object of those kinds remembers the user frames that built it. When
the emitter renders a dashboard it marks each object's JSON (:func:`mark`), normalises it, and
takes the marks back out (:func:`harvest`) as a map from the object's path in the written JSON
(``panels[2]``, ``panels[0].panels[1].targets[0]``, ``templating.list[1]``; ``""`` for the
dashboard) to those frames; :func:`record` keeps the chosen line of each per stack and output
file, and checks ask :func:`where` for the line of the panel, target or variable they report.

The line chosen is the innermost frame that built only this object among the stack's objects of
its kind, so a helper such as ``def target(expr): return g.Target(expr=expr, ...)`` reports the
line that called it with this expression, not its own ``return`` line shared by every target;
when no frame is the object's own, the innermost frame shared by fewer objects than the first,
else the first. A dashboard given as a dict, or built outside :func:`recording`, has the line
of the ``Stack(...)`` it was passed to; its panels and targets have the dashboard's line.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import importlib.machinery
import inspect
import sys
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from obscode.errors import SourceLocation, _is_internal

#: Key of the mark an object's JSON carries between :func:`mark` and :func:`harvest`; never written.
ORIGIN_KEY = "__obscode_origin__"
#: Attribute holding the user frames that built an object.
_FRAMES = "_obscode_frames"
#: At most this many user frames are kept per object (innermost first).
_DEPTH = 16

Frames = tuple[SourceLocation, ...]

#: Modules whose classes record where they are built: grafanalib's panels, rows, targets,
#: variables and dashboards; the Foundation SDK's dashboard models and queries.
_GRAFANALIB = "grafanalib"
_SDK_MODELS = "grafana_foundation_sdk.models"
_SDK_CLASSES = ("Dashboard", "Panel", "RowPanel", "VariableModel")
_GRAFANALIB_CLASSES = ("Dashboard", "Row", "Target", "Template", "AlertList")


def _user_frames() -> Frames:
    frames: list[SourceLocation] = []
    frame = sys._getframe(1)
    while frame is not None and len(frames) < _DEPTH:
        if not _is_internal(frame.f_code.co_filename):
            frames.append(SourceLocation(frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return tuple(frames)


def frames_of(obj: Any) -> Frames:
    """The user frames that built ``obj`` (innermost first), empty when not recorded."""
    try:
        return obj.__dict__.get(_FRAMES, ())
    except AttributeError:
        return ()


def _set_frames(obj: Any, frames: Frames) -> None:
    with contextlib.suppress(AttributeError, TypeError):
        object.__setattr__(obj, _FRAMES, frames)


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _recorded_classes(module: ModuleType) -> list[type]:
    """The classes of ``module`` whose instances record where they are built."""
    name = module.__name__
    classes = [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == name]
    if _in(name, _GRAFANALIB):
        panel = getattr(sys.modules.get(f"{_GRAFANALIB}.core"), "Panel", None)
        return [c for c in classes if c.__name__ in _GRAFANALIB_CLASSES or c.__name__.endswith(("Target", "Panel"))
                or (panel is not None and issubclass(c, panel))]
    query = getattr(sys.modules.get("grafana_foundation_sdk.cog.variants"), "Dataquery", None)
    return [c for c in classes if (name == f"{_SDK_MODELS}.dashboard" and c.__name__ in _SDK_CLASSES)
            or (query is not None and issubclass(c, query))]


def _watched(name: str) -> bool:
    return _in(name, _GRAFANALIB) or _in(name, _SDK_MODELS)


def _recording_init(init: Any) -> Callable[..., None]:
    @functools.wraps(init)
    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if not frames_of(self):
            _set_frames(self, _user_frames())

    return recording_init


class _Recorder:
    """Wraps ``__init__`` of the recorded classes and ``attr.evolve`` (an evolved copy keeps
    the original's frames); undoes it all on close."""

    def __init__(self) -> None:
        self.patched: list[tuple[type, Any]] = []
        self.done: set[str] = set()
        self.evolve: tuple[ModuleType, Any] | None = None

    def patch_module(self, module: ModuleType) -> None:
        if module.__name__ in self.done or self not in _ACTIVE:
            return
        self.done.add(module.__name__)
        for cls in _recorded_classes(module):
            init = cls.__dict__.get("__init__")
            if init is not None:
                self.patched.append((cls, init))
                cls.__init__ = _recording_init(init)  # type: ignore[misc]
        if module.__name__ == f"{_GRAFANALIB}.core" and self.evolve is None:
            self.evolve = keep_frames_on_evolve()

    def close(self) -> None:
        for cls, original in reversed(self.patched):
            cls.__init__ = original  # type: ignore[misc]
        self.patched.clear()
        if self.evolve is not None:
            restore_evolve(self.evolve)
            self.evolve = None


def keep_frames_on_evolve() -> tuple[ModuleType, Any] | None:
    """Make ``attr.evolve`` copy the frames of the object it evolves; undo with :func:`restore_evolve`."""
    attr = sys.modules.get("attr")
    if attr is None or not hasattr(attr, "evolve"):
        return None
    original = attr.evolve

    def evolve(inst: Any, *args: Any, **changes: Any) -> Any:
        new = original(inst, *args, **changes)
        frames = frames_of(inst)
        if frames:
            _set_frames(new, frames)
        return new

    attr.evolve = evolve
    return (attr, original)


def restore_evolve(saved: tuple[ModuleType, Any] | None) -> None:
    if saved is not None:
        module, original = saved
        module.evolve = original


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, recorder: _Recorder) -> None:
        self.loader = loader
        self.recorder = recorder

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.recorder.patch_module(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Patches grafanalib and SDK modules that a stack imports for the first time."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not _watched(fullname):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, self.recorder)
        return spec


_ACTIVE: list[_Recorder] = []


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """While inside, grafanalib and Foundation SDK objects remember the user frames that built them."""
    if _ACTIVE:
        yield
        return
    recorder = _Recorder()
    finder = _Finder(recorder)
    _ACTIVE.append(recorder)
    sys.meta_path.insert(0, finder)
    try:
        for name in sorted(n for n in sys.modules if _watched(n)):
            module = sys.modules[name]
            if isinstance(module, ModuleType):
                recorder.patch_module(module)
        yield
    finally:
        sys.meta_path.remove(finder)
        recorder.close()
        _ACTIVE.pop()


# -- rendering: marks in, marks out -------------------------------------------------------


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


def _children(node: dict[str, Any], path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, path, object) of the panels, targets and variables directly inside ``node``."""
    prefix = f"{path}." if path else ""
    panels = node.get("panels")
    for index, panel in enumerate(panels if isinstance(panels, list) else []):
        if isinstance(panel, dict):
            yield ("row" if panel.get("type") == "row" else "panel", f"{prefix}panels[{index}]", panel)
    targets = node.get("targets")
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        if isinstance(target, dict):
            yield "target", f"{prefix}targets[{index}]", target
    templating = node.get("templating") if not path else None
    items = templating.get("list") if isinstance(templating, dict) else None
    for index, variable in enumerate(items if isinstance(items, list) else []):
        if isinstance(variable, dict):
            yield "variable", f"templating.list[{index}]", variable


def walk(dashboard: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], str | None]]:
    """(kind, path, object, parent path) of the dashboard and every panel, target and variable in it."""
    yield "dashboard", "", dashboard, None
    pending = [("", dashboard)]
    while pending:
        path, node = pending.pop(0)
        for kind, child_path, child in _children(node, path):
            yield kind, child_path, child, path
            if kind in ("row", "panel"):
                pending.append((child_path, child))


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
    cache = ctx.cache.setdefault("origins", {})
    if path in cache:
        return cache[path]
    index: dict[int, SourceLocation | None] = {}
    origins = _recorded(ctx.stack, path)
    data = ctx.json(path) if path in ctx.files else None
    if origins is not None and ctx.files.get(path) == origins.content and isinstance(data, dict):
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
