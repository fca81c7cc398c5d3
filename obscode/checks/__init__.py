"""Static checks. One module per check, named after its id (``promql_rate.py`` is
``promql/rate``); each defines ``CHECK_ID`` and ``run(ctx) -> Iterable[Problem]``.
Modules are discovered, so adding a check is adding a file."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from obscode.emit.rendered import Rendered
from obscode.errors import SourceLocation
from obscode.stack import Stack

if TYPE_CHECKING:
    from obscode.alert_labels import AlertShape
    from obscode.catalog_index import StackCatalog
    from obscode.queries import Query

#: error: the configuration cannot work; warning: it may not; info: worth knowing, never a failure.
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    """One finding, naming the stack, the output file, the object and the field.

    ``cause`` is the part of the message that does not depend on where the finding is
    ("label cluster is not emitted by job node"): findings of one check and stack with the
    same cause are one mistake, reported once with their locations. Empty: the whole
    message is the cause."""

    check: str
    stack: str
    file: str
    obj: str
    message: str
    field: str | None = None
    severity: Severity = "error"
    source: SourceLocation | None = None
    cause: str = ""

    def sort_key(self) -> tuple[str, ...]:
        return (self.stack, self.file, self.obj, self.check, self.field or "", self.message)

    @property
    def reason(self) -> str:
        """The cause, or the message when the check gives none."""
        return self.cause or self.message

    def group_key(self) -> str:
        """Findings with the same key have one cause: check, stack, severity and cause."""
        return f"{self.stack}:{self.check}:{self.severity}:{self.reason}"

    def location(self) -> str:
        """Where the finding is: output file, object, field and source line."""
        fld = f", field {self.field!r}" if self.field else ""
        src = f" ({self.source})" if self.source else ""
        return f"{self.file}: {self.obj}{fld}{src}"

    def __str__(self) -> str:
        fld = f", field {self.field!r}" if self.field else ""
        src = f" ({self.source})" if self.source else ""
        return f"{self.stack}: {self.severity}[{self.check}] {self.file}: {self.obj}{fld}: {self.message}{src}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "severity": self.severity, "stack": self.stack, "file": self.file,
            "object": self.obj, "field": self.field, "message": self.message,
            "source": str(self.source) if self.source else None,
            "cause": self.reason, "group": self.group_key(),
        }


@dataclass
class CheckContext:
    """What a check sees: the loaded stack and its rendered output (``output``, with typed
    accessors; ``files`` are its bytes), and what the shared helpers derive from them once per
    run: the catalog index, every query, the alerts' label shapes, the dashboards' source lines."""

    stack: Stack
    files: dict[str, bytes]
    output: Rendered = None  # type: ignore[assignment]
    #: Per written dashboard path: id() of each of its JSON objects -> its line in the stack's
    #: source (filled by :func:`obscode.grafana.origins.where` as dashboards are reported on).
    dashboard_lines: dict[str, dict[int, SourceLocation | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.output is None:
            self.output = Rendered(self.stack.name, self.files)

    def yaml(self, path: str) -> Any:
        return self.output.yaml(path)

    def json(self, path: str) -> Any:
        return self.output.json(path)

    @cached_property
    def name(self) -> str:
        return self.stack.name

    @cached_property
    def catalog_index(self) -> StackCatalog:
        """What each job emits and which job each query reads (:mod:`obscode.catalog_index`)."""
        from obscode.catalog_index import StackCatalog

        return StackCatalog(self.stack)

    @cached_property
    def queries(self) -> list[Query]:
        """Every query of the stack: rules first, then dashboards by uid (:mod:`obscode.queries`)."""
        from obscode.queries import stack_queries

        return stack_queries(self)

    @cached_property
    def alert_shapes(self) -> list[AlertShape]:
        """Every alert's label shape (:mod:`obscode.alert_labels`), labels resolved by the catalogs."""
        from obscode.alert_labels import shapes

        return shapes(self.stack, self.catalog_index.resolve)


def discover() -> list[ModuleType]:
    """Every check module in this package, ordered by id."""
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "CHECK_ID") and hasattr(module, "run"):
            modules.append(module)
    return sorted(modules, key=lambda m: m.CHECK_ID)


@dataclass
class Group:
    """Findings that share one cause, in report order."""

    problems: list[Problem]

    @property
    def first(self) -> Problem:
        return self.problems[0]


def group_problems(problems: Iterable[Problem]) -> list[Group]:
    """``problems`` grouped by :meth:`Problem.group_key`, each group where its first finding is."""
    groups: dict[str, Group] = {}
    for problem in problems:
        groups.setdefault(problem.group_key(), Group([])).problems.append(problem)
    return list(groups.values())


def run_checks(ctx: CheckContext, only: Iterable[str] | None = None) -> list[Problem]:
    wanted = set(only) if only else None
    problems: list[Problem] = []
    for module in discover():
        if wanted is None or module.CHECK_ID in wanted:
            problems.extend(module.run(ctx))
    return sorted(problems, key=Problem.sort_key)
