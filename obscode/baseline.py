"""Baseline files: the findings an existing configuration had when it was adopted.

``obscode check --write-baseline FILE`` writes every current finding of the checked stacks
(keeping the entries FILE already holds for other stacks) as a stable key
(check, stack, output file, object, field and cause: no line numbers, so editing above a
finding does not change its key), sorted. ``obscode check --baseline FILE`` hides the
findings it lists and counts the entries that no longer match any finding, so the file
can shrink as the configuration is fixed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obscode.errors import UsageError

VERSION = 1
KEYS = ("check", "stack", "file", "object", "field", "cause")
#: Findings a baseline never holds: they say the committed output is out of date.
NEVER = ("generated/stale",)


def key(problem: Any) -> tuple[str, ...]:
    """The stable key of a finding."""
    return (problem.check, problem.stack, problem.file, problem.obj, problem.field or "", problem.reason)


def _entry(k: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(KEYS, k))


def render(problems: Iterable[Any], kept: Iterable[tuple[str, ...]] = ()) -> str:
    """The baseline file text for ``problems`` (and the entries ``kept``): deterministic, one
    entry per distinct key."""
    keys = sorted({key(p) for p in problems if p.check not in NEVER} | set(kept))
    body = {"version": VERSION, "findings": [_entry(k) for k in keys]}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, problems: Iterable[Any], stacks: Iterable[str]) -> int:
    """Write the baseline of ``problems`` of ``stacks`` to ``path``, keeping the entries an
    existing file holds for other stacks; the number of entries of ``stacks`` written."""
    names = set(stacks)
    kept: set[tuple[str, ...]] = set()
    if path.is_file():
        try:
            kept = {k for k in load(path).keys if k[1] not in names}
        except UsageError:
            kept = set()  # not a baseline: replaced whole
    text = render(problems, kept)
    path.write_text(text, encoding="utf-8")
    return sum(entry["stack"] in names for entry in json.loads(text)["findings"])


@dataclass
class Baseline:
    path: Path
    keys: set[tuple[str, ...]]

    def matches(self, problem: Any) -> bool:
        return key(problem) in self.keys

    def stale(self, problems: Iterable[Any], stacks: Iterable[str]) -> list[dict[str, str]]:
        """Entries of the checked stacks that match none of ``problems``."""
        present = {key(p) for p in problems}
        names = set(stacks)
        return [_entry(k) for k in sorted(self.keys - present) if k[1] in names]


def load(path: Path) -> Baseline:
    """The baseline at ``path``; a UsageError (exit 2) saying what is wrong otherwise."""
    hint = f"write one with `obscode check --write-baseline {path}`"
    if not path.is_file():
        raise UsageError(f"baseline {path} does not exist; {hint}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"baseline {path} is not valid JSON ({exc}); {hint}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("findings"), list):
        raise UsageError(f"baseline {path} is not an obscode baseline (expected an object with \"version\": "
                         f"{VERSION} and a \"findings\" list); {hint}")
    keys: set[tuple[str, ...]] = set()
    for index, entry in enumerate(data["findings"]):
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k, ""), str) for k in KEYS) \
                or not entry.get("check") or not entry.get("stack"):
            raise UsageError(f"baseline {path}: finding {index} must be an object with string fields "
                             f"{', '.join(KEYS)} (check and stack required); {hint}")
        keys.add(tuple(entry.get(k) or "" for k in KEYS))
    return Baseline(path, keys)
