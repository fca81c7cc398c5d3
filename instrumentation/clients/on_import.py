"""Run a function once a module has been imported, without importing it first.

``instrument_http_clients()`` patches httpx and requests; importing a library only to patch
it would load it into every instrumented service, used or not (requests alone brings urllib3,
charset_normalizer, idna and certifi: with httpx, about 160 modules, 6 MiB of resident memory
and 0.15 s of start-up for a FastAPI app that uses neither). A library already imported is
patched at once; one that is installed but not imported yet is patched by :func:`when_imported`
the moment its import finishes, in the thread that imports it.

The hook is a finder at the front of ``sys.meta_path`` that answers only for the watched
top-level names: it asks the finders after it for the module's spec and wraps the loader so
the callback runs after the module's code has run. The module's ``__loader__`` and
``__spec__.loader`` are the original loader again once it has.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

Callback = Callable[[ModuleType], None]


class _Loader(importlib.abc.Loader):
    """The module's own loader, calling back once the module has executed."""

    def __init__(self, inner: Any, done: Callback) -> None:
        self.inner = inner
        self.done = done

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        module.__loader__ = self.inner
        if module.__spec__ is not None:
            module.__spec__.loader = self.inner
        self.done(module)

    def __getattr__(self, name: str) -> Any:  # is_package, get_resource_reader...: the module's loader's
        return getattr(self.inner, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of a watched module the other finders find."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: dict[str, Callback] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        with self.lock:
            callback = self.waiting.get(fullname)
        if callback is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec  # a namespace package or an old-style loader: imported as it is, not patched
        spec.loader = _Loader(spec.loader, lambda module: self._imported(fullname, module))
        return spec

    def take(self, fullname: str, only: Callback | None = None) -> Callback | None:
        """Remove and return the callback waiting for ``fullname`` (only if it is ``only``, when
        given); the finder leaves ``sys.meta_path`` once nothing waits."""
        with self.lock:
            callback = self.waiting.get(fullname)
            if callback is not None and (only is None or callback is only):
                del self.waiting[fullname]
            else:
                callback = None
            if not self.waiting:
                with contextlib.suppress(ValueError):
                    sys.meta_path.remove(self)
        return callback

    def _imported(self, fullname: str, module: ModuleType) -> None:
        _call(self.take(fullname), module)


_finder = _Finder()


def _call(callback: Callback | None, module: ModuleType) -> None:
    if callback is not None:
        callback(module)


def when_imported(name: str, callback: Callback) -> Callable[[], None]:
    """Call ``callback(module)`` once the top-level module ``name`` has been imported: now, if it
    is already; otherwise right after its first import completes. Returns a function that
    cancels a callback still waiting (it does nothing once the callback ran)."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return lambda: None
    with _finder.lock:
        _finder.waiting[name] = callback
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
    # Imported by another thread in between, its finders asked before this one was in place:
    # call back now (an import still running there finishes before the callback's own import of
    # the module returns, as Python's per-module import locks ensure).
    module = sys.modules.get(name)
    if module is not None:
        _call(_finder.take(name, only=callback), module)

    def cancel() -> None:
        _finder.take(name, only=callback)

    return cancel
