"""Turning parsed YAML/JSON into comparable, printable field paths."""

from __future__ import annotations

import json
from typing import Any

from obscode.diff.changes import FieldChange


def show(value: Any) -> str:
    """A value as a reviewer reads it: strings bare, lists comma-joined, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return format(value, "g") if isinstance(value, float) else str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(show(v) for v in value)
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": [x, y]}`` → ``{"a.b": 1, "c[0]": x, "c[1]": y}``; lists of
    scalars stay whole so they print as one field."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key in sorted(value, key=str):
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def field_changes(before: Any, after: Any, prefix: str = "") -> list[FieldChange]:
    """Every leaf path whose value differs between ``before`` and ``after``."""
    old, new = flatten(before, prefix), flatten(after, prefix)
    out = []
    for path in sorted(set(old) | set(new)):
        if old.get(path, _MISSING) != new.get(path, _MISSING):
            out.append(FieldChange(
                field=path,
                before=show(old[path]) if path in old else None,
                after=show(new[path]) if path in new else None,
            ))
    return out


_MISSING = object()
