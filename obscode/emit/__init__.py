"""Serialisers, one module per output format. Each declares ``FORMAT`` (the name
``Stack.outputs`` uses) and ``emit(stack) -> {relative path: bytes}`` under
``generated/<stack>/`` (paths from :mod:`obscode.paths`). Modules are discovered, so adding a
format is adding a module (docs/outputs.md)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from obscode.emit.rendered import Rendered
from obscode.errors import DefinitionError

if TYPE_CHECKING:
    from obscode.stack import Stack

Emitter = Callable[["Stack"], dict[str, bytes]]

#: The formats checks and tools read (every other format is derived from the same models):
#: rendered for checking even when a stack does not write them.
BASE_FORMATS = ("prometheus", "alertmanager", "grafana")


def _discover() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        name = getattr(module, "FORMAT", None)
        if name is not None:
            found[name] = module
    base = {name: found.pop(name) for name in BASE_FORMATS}
    return {**base, **dict(sorted(found.items()))}


#: ``{format name: serialiser module}``: the base formats first, then the others by name.
FORMATS: dict[str, ModuleType] = _discover()


def render_stack(stack: "Stack") -> Rendered:
    """Every output of ``stack``: the formats it writes, and the base formats for checking."""
    files: dict[str, bytes] = {}
    written: set[str] = set()
    for name, module in FORMATS.items():
        if name not in stack.outputs and name not in BASE_FORMATS:
            continue
        try:
            produced = module.emit(stack)
        except ValueError as exc:
            raise DefinitionError(obj="output", field=None, message=str(exc), stack=stack.name) from None
        for path, content in produced.items():
            if path in files:
                raise DefinitionError(obj="output", field=None, stack=stack.name,
                                      message=f"two outputs want the same path {path}")
            files[path] = content
            if name in stack.outputs:
                written.add(path)
    return Rendered(stack.name, dict(sorted(files.items())), written)


def render(stack: "Stack") -> dict[str, bytes]:
    """The files ``stack`` writes, sorted by path. Nothing is written."""
    return render_stack(stack).written
