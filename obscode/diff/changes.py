"""What a semantic diff is made of: changes to named objects, each with field-level before → after."""

from __future__ import annotations

from collections.abc import Callable
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


def merge_outputs(per_output: dict[str, list[Change]], base: str,
                  same_as_base: Callable[[Change, str], bool] | None = None) -> list[Change]:
    """One list from the changes each output form shows: a change every form shows alike is
    listed once, naming the forms; where forms disagree, each version is listed, next to
    the others of the same object. When ``base`` is the only form, nothing is named.

    ``same_as_base(change, output)`` says whether the object ``change`` is about is, after the
    change, the same in ``output`` as in the ``base`` form: an object other forms start
    carrying exactly as the ``base`` form carries it reads "as in <base>" instead of
    repeating its fields (a stack that starts writing the kubernetes output)."""
    forms = sorted(per_output, key=_output_rank)
    named = forms != [base] and bool(forms)
    merged: dict[Change, list[str]] = {}
    first: dict[tuple[str, str], int] = {}
    for output in forms:
        for change in per_output[output]:
            merged.setdefault(change, []).append(output)
            first.setdefault((change.section, change.name), len(first))
    out = []
    for change, outputs in sorted(merged.items(), key=lambda item: first[item[0].section, item[0].name]):
        if (change.action == "added" and base not in outputs and change.fields and same_as_base is not None
                and all(same_as_base(change, output) for output in outputs)):
            change = replace(change, fields=(FieldChange(f"as in {base}", None, None),))
        out.append(replace(change, outputs=tuple(outputs) if named else ()))
    return out


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
