"""A model object to build, described once: built to validate it (every object on its own,
so one run reports every bad object with its input line) and written as Python source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from obscode.errors import DefinitionError
from obscode.importers import pycode
from obscode.importers.problems import Collector


@dataclass
class Obj:
    """``cls(**kwargs)``, defined at ``line`` of ``file``; ``comment`` goes above it in the code."""

    cls: type
    kwargs: list[tuple[str, Any]]
    file: str
    line: int
    comment: str = ""
    #: The model object, once :func:`build` made it (set by the readers on the root object).
    built: Any = field(default=None, init=False)

    def code(self) -> Any:
        call = pycode.Call(self.cls.__name__, [(k, to_code(v)) for k, v in self.kwargs])
        return pycode.Commented(call, self.comment) if self.comment else call


@dataclass(frozen=True)
class Var:
    """A module-level variable holding ``value`` (written as a name where it is used)."""

    name: str
    value: Any


def to_code(value: Any) -> Any:
    if isinstance(value, Obj):
        return value.code()
    if isinstance(value, Var):
        return pycode.Raw(value.name)
    if isinstance(value, list):
        return [to_code(v) for v in value]
    if isinstance(value, dict):
        return {k: to_code(v) for k, v in value.items()}
    return value


_FAILED = object()


def build(value: Any, report: Collector) -> Any:
    """The built value, every failing object reported at its line; ``_FAILED`` inside on failure."""
    if isinstance(value, Var):
        return build(value.value, report)
    if isinstance(value, list):
        return [build(v, report) for v in value]
    if isinstance(value, dict):
        return {k: build(v, report) for k, v in value.items()}
    if not isinstance(value, Obj):
        return value
    kwargs = {k: build(v, report) for k, v in value.kwargs}
    if any(_contains_failure(v) for v in kwargs.values()):
        return _FAILED
    try:
        return value.cls(**kwargs)
    except DefinitionError as exc:
        field_ = f", field {exc.field!r}" if exc.field else ""
        report.error(value.file, value.line, f"{exc.obj}{field_}: {exc.message}")
        return _FAILED


def _contains_failure(value: Any) -> bool:
    if value is _FAILED:
        return True
    if isinstance(value, list):
        return any(_contains_failure(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_failure(v) for v in value.values())
    return False


def failed(value: Any) -> bool:
    return _contains_failure(value)
