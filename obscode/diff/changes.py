"""What a semantic diff is made of: changes to named objects, each with field-level before → after."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Action = Literal["added", "removed", "changed"]

#: Sections in the order a reviewer reads them.
SECTIONS = (
    "alerts", "recording rules", "rule groups", "alert tests", "scrape", "routes", "receivers",
    "inhibit rules", "alertmanager", "dashboards", "files",
)


@dataclass(frozen=True)
class FieldChange:
    """One field of an object, before → after. ``None`` means absent on that side.
    ``subject`` names what the field is about when the field name alone does not
    (the left-hand side of a threshold comparison); ``note`` adds context (the alerts a
    routing change affects)."""

    field: str
    before: str | None
    after: str | None
    subject: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Change:
    """An object (alert, scrape job, receiver, dashboard...) that was added, removed or changed."""

    section: str
    action: Action
    name: str
    fields: tuple[FieldChange, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [{k: v for k, v in f.items() if v is not None or k in ("before", "after")}
                          for f in data["fields"]]
        return data


@dataclass
class StackDiff:
    """All changes of one stack's generated output between two revisions."""

    stack: str
    changes: list[Change] = field(default_factory=list)

    def section(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.section == name]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "changes": [c.as_dict() for c in self.changes]}
