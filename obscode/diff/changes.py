"""What a semantic diff is made of: changes to named objects, each with field-level before → after."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Action = Literal["added", "removed", "changed"]

#: Sections in the order a reviewer reads them.
SECTIONS = (
    "alerts", "recording rules", "rule groups", "alert tests", "scrape", "routes", "receivers",
    "inhibit rules", "alertmanager", "dashboards", "kubernetes", "files",
)

#: The outputs a change can come from, in the order they are named (``Change.outputs``).
OUTPUT_ORDER = ("prometheus", "alertmanager", "grafana", "kubernetes", "thanos", "mimir")


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
    """An object (alert, scrape job, receiver, dashboard...) that was added, removed or changed.
    ``outputs`` names the forms it changed in when a stack writes the same definitions in
    several (``("prometheus", "kubernetes")``); empty when only the base form exists."""

    section: str
    action: Action
    name: str
    fields: tuple[FieldChange, ...] = ()
    outputs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [{k: v for k, v in f.items() if v is not None or k in ("before", "after")}
                          for f in data["fields"]]
        if not self.outputs:
            del data["outputs"]
        else:
            data["outputs"] = list(self.outputs)
        return data


def _output_rank(output: str) -> tuple[int, str]:
    base = output.split(" ", 1)[0]
    return (OUTPUT_ORDER.index(base) if base in OUTPUT_ORDER else len(OUTPUT_ORDER), output)


def merge_outputs(per_output: dict[str, list[Change]], base: str) -> list[Change]:
    """One list from the changes each output form shows: a change every form shows alike is
    listed once, naming the forms; where forms disagree, each version is listed, next to
    the others of the same object. When ``base`` is the only form, nothing is named."""
    forms = sorted(per_output, key=_output_rank)
    named = forms != [base] and bool(forms)
    merged: list[tuple[Change, list[str]]] = []
    for output in forms:
        for change in per_output[output]:
            found = next((entry for entry in merged if entry[0] == change), None)
            if found is not None:
                found[1].append(output)
                continue
            same_object = [i for i, (c, _) in enumerate(merged) if (c.section, c.name) == (change.section, change.name)]
            position = same_object[-1] + 1 if same_object else len(merged)
            merged.insert(position, (change, [output]))
    return [replace(change, outputs=tuple(outputs) if named else ()) for change, outputs in merged]


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
