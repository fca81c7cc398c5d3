"""What an import reports: problems that stop it (with the input file and line) and notes
that say what was done with something that is not copied one to one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from obscode.errors import _relative

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an input file, at the line where it is."""

    file: str
    line: int | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{_relative(self.file)}:{self.line}" if self.line else _relative(self.file)
        return f"{where}: {self.severity}: {self.message}"


class ImportFailed(Exception):
    """The input has errors: nothing is written. Every error of every file is in ``problems``."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Collector:
    """Gathers every problem of a run so that all of them are reported, not only the first."""

    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(ImportProblem(file, line, message))

    def warning(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(ImportProblem(file, line, message, "warning"))

    def note(self, message: str) -> None:
        self.notes.append(message)

    @property
    def errors(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ImportFailed(self.problems)
