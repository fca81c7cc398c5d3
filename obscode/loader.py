"""Finding and importing stack definitions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from obscode.errors import DefinitionError, SourceLocation, UsageError, traceback_location
from obscode.grafana.recording import recording
from obscode.profiles import profiles_of
from obscode.stack import Stack

STACKS_DIR = Path("stacks")


@dataclass
class LoadedStack:
    stack: Stack
    path: Path
    module: ModuleType


def discover(root: Path = STACKS_DIR) -> list[Path]:
    """Every stack folder under ``root``: a package whose ``__init__.py`` defines ``stack``."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file())


def resolve(arg: str, root: Path = STACKS_DIR) -> Path:
    """A stack argument is a path (folder or .py file) or the name of a folder under stacks/."""
    path = Path(arg)
    if path.is_dir() and (path / "__init__.py").is_file():
        return path
    if path.is_file() and path.suffix == ".py":
        return path
    named = root / arg
    if named.is_dir() and (named / "__init__.py").is_file():
        return named
    known = ", ".join(p.name for p in discover(root)) or "none"
    raise UsageError(
        f"no stack {arg!r}: give a stack folder (with __init__.py), a .py file, or the name of a "
        f"folder under {root}/ (known: {known})"
    )


def _import(path: Path) -> ModuleType:
    name = path.stem if path.is_file() else path.name
    module_name = f"obscode_stacks.{name}"
    for loaded in [m for m in sys.modules if m == module_name or m.startswith(module_name + ".")]:
        del sys.modules[loaded]
    if path.is_dir():
        spec = importlib.util.spec_from_file_location(
            module_name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("obscode_stacks", ModuleType("obscode_stacks"))
    sys.modules[module_name] = module
    with recording():  # dashboards, panels and targets remember their line (obscode.grafana.recording)
        spec.loader.exec_module(module)
    return module


def load(arg: str | Path, profile: str | None = None) -> LoadedStack:
    """Import a stack; errors become DefinitionError (bad definition) or UsageError."""
    path = resolve(str(arg))
    label = path.stem if path.is_file() else path.name
    try:
        module = _import(path)
    except DefinitionError as exc:
        exc.stack = exc.stack or label
        exc.source = exc.source or traceback_location(exc.__traceback__)
        raise
    except Exception as exc:  # a stack is user code: any failure is a definition that does not load
        where = traceback_location(exc.__traceback__)
        if isinstance(exc, SyntaxError) and exc.filename:
            where = SourceLocation(exc.filename, exc.lineno or 0)
        suffix = f" ({where})" if where else ""
        raise UsageError(f"stack {label} does not load: {type(exc).__name__}: {exc}{suffix}") from None
    stack = getattr(module, "stack", None)
    if not isinstance(stack, Stack):
        raise UsageError(f"stack {label} ({path}) must define `stack = obscode.Stack(...)` at module level")
    if profile is not None:
        # The generic profiles (obscode.profiles) apply to every stack; the module's own win by name.
        profiles: dict[str, Callable[[Stack], Stack]] = profiles_of(module)
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise UsageError(f"stack {label} has no profile {profile!r} (profiles: {known})")
        try:
            with recording():
                stack = profiles[profile](stack)
        except DefinitionError as exc:
            exc.stack = exc.stack or label
            exc.source = exc.source or traceback_location(exc.__traceback__)
            raise
        except UsageError as exc:
            raise UsageError(f"stack {label}, profile {profile}: {exc}") from None
        except Exception as exc:  # a stack's own profile is user code, like the stack
            where = traceback_location(exc.__traceback__)
            suffix = f" ({where})" if where else ""
            raise UsageError(f"stack {label}, profile {profile} does not apply: {type(exc).__name__}: {exc}{suffix}") from None
    return LoadedStack(stack=stack, path=path, module=module)
