"""Make one private OpenTelemetry name invisible to the instrumentation, as an upstream rename would.

A rename upstream changes the SDK's code and the name together, so the SDK keeps working and
only code that reads the old name from outside fails. :func:`hide` gives that: the name stays
where the SDK's own code finds it (module globals, instance ``__dict__``), but reads from a
module of the ``instrumentation`` package (``getattr``, ``hasattr``, ``from ... import``) raise
``AttributeError`` / ``ImportError``, exactly what they would meet after a rename.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

import pytest

_MISSING = object()


def _from_instrumentation(depth: int = 2) -> bool:
    return sys._getframe(depth).f_globals.get("__name__", "").startswith("instrumentation.")  # noqa: SLF001


class Hidden:
    """A class attribute that hides ``name`` from the instrumentation and serves everyone else
    the original class attribute or the instance's own value."""

    def __init__(self, name: str, original: Any = _MISSING) -> None:
        self.name = name
        self.original = original

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if _from_instrumentation():
            raise AttributeError(f"{owner.__name__ if owner else '?'} has no attribute {self.name!r} (renamed)")
        if self.original is not _MISSING:
            getter = getattr(type(self.original), "__get__", None)
            return getter(self.original, obj, owner) if getter is not None else self.original
        if obj is None:
            return self
        try:
            return obj.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value

    def __delete__(self, obj: Any) -> None:
        del obj.__dict__[self.name]


def _hiding_module_type(base: type, name: str, replacement: Any = _MISSING) -> type:
    def __getattribute__(self: types.ModuleType, attribute: str) -> Any:  # noqa: N807
        if attribute == name and _from_instrumentation():
            if replacement is not _MISSING:
                return replacement
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (renamed)")
        return base.__getattribute__(self, attribute)

    return type("RenamedModule", (base,), {"__getattribute__": __getattribute__})


def replace_for_instrumentation(monkeypatch: pytest.MonkeyPatch, module: types.ModuleType, name: str, value: Any) -> None:
    """The instrumentation reads ``value`` as ``module.name``; the library's own code still
    uses its original (as when a private function changes its signature upstream)."""
    monkeypatch.setattr(module, "__class__", _hiding_module_type(type(module), name, value))


def hide(monkeypatch: pytest.MonkeyPatch, spec: Any) -> None:
    """Hide ``spec`` (a ``compat.PrivateName``: owner, name, kind) from the instrumentation until
    ``monkeypatch`` undoes it. Imports nothing of the instrumentation, so it can run before it."""
    module_name, _, class_name = spec.owner.partition(":")
    module = importlib.import_module(module_name)
    if spec.kind == "module":
        submodule = f"{module_name}.{spec.name}"
        if submodule in sys.modules:  # a private module: its import fails too
            monkeypatch.setitem(sys.modules, submodule, None)
        monkeypatch.setattr(module, "__class__", _hiding_module_type(type(module), spec.name))
        return
    cls = getattr(module, class_name)
    original = cls.__dict__.get(spec.name, _MISSING)
    monkeypatch.setattr(cls, spec.name, Hidden(spec.name, original), raising=False)


def hide_before_import(owner: str, name: str, kind: str) -> None:
    """:func:`hide` in a fresh interpreter, before the instrumentation is imported (never undone)."""
    hide(pytest.MonkeyPatch(), types.SimpleNamespace(owner=owner, name=name, kind=kind))
