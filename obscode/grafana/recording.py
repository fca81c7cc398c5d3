"""Recording where grafanalib and Grafana Foundation SDK objects are built.

While a stack module runs (:func:`recording`, used by :mod:`obscode.loader`), every dashboard,
row, panel, target and template variable of grafanalib (any module of it) and of the Foundation
SDK's models keeps the user frames that built it (:func:`frames_of`, innermost first; frames in
obscode, pydantic and site-packages are skipped). ``__init__`` of those classes and
``attr.evolve`` (grafanalib's ``auto_panel_ids`` and row balancing build evolved copies, which
keep the original's frames) are wrapped for the duration and restored afterwards; a module a
stack imports for the first time is wrapped as it is imported.
:mod:`obscode.grafana.origins` turns the frames into the line of each written object."""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import importlib.machinery
import inspect
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from obscode.errors import SourceLocation, _is_internal

Frames = tuple[SourceLocation, ...]

#: Attribute holding the user frames that built an object.
_FRAMES = "_obscode_frames"
#: At most this many user frames are kept per object (innermost first).
_DEPTH = 16

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
