"""Errors a user can cause, carrying where they come from."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from types import TracebackType

# Frames inside these folders are never the user's definition site.
_INTERNAL_DIRS = (os.path.dirname(os.path.abspath(__file__)) + os.sep,)


@functools.lru_cache(maxsize=1024)
def _is_internal(filename: str) -> bool:
    if filename.startswith("<"):
        return True
    path = os.path.abspath(filename)
    if path.startswith(_INTERNAL_DIRS):
        return True
    return f"{os.sep}pydantic" in path or f"{os.sep}site-packages{os.sep}" in path


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{_relative(self.file)}:{self.line}"


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def caller_location() -> SourceLocation | None:
    """The first frame on the stack outside obscode and pydantic: where the user wrote the object."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _is_internal(frame.f_code.co_filename):
            return SourceLocation(frame.f_code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return None


def traceback_location(tb: TracebackType | None) -> SourceLocation | None:
    """The innermost user frame of a traceback (the line that built the bad object)."""
    found = None
    while tb is not None:
        if not _is_internal(tb.tb_frame.f_code.co_filename):
            found = SourceLocation(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


@dataclass
class DefinitionError(Exception):
    """A definition that does not validate. Exit code 2.

    ``context`` grows outward as the error passes through enclosing objects,
    e.g. ``["alert HighCpuUsage", "group system", "rule file system_alerts"]``.
    """

    obj: str
    field: str | None
    message: str
    context: list[str] = field(default_factory=list)
    stack: str | None = None
    source: SourceLocation | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def within(self, outer: str) -> "DefinitionError":
        self.context.append(outer)
        return self

    def __str__(self) -> str:
        where = [self.obj, *self.context]
        head = f"stack {self.stack}: " if self.stack else ""
        path = " in ".join(where)
        fld = f", field {self.field!r}" if self.field else ""
        src = f" ({self.source})" if self.source else ""
        return f"{head}{path}{fld}: {self.message}{src}"


class UsageError(Exception):
    """Bad command-line usage or a stack that cannot be found or imported. Exit code 2."""
