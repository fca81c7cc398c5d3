"""Suppressing findings while an existing configuration is migrated step by step.

Three ways, each documented in docs/suppression.md:

- an inline comment ``# obscode: ignore catalog/metric`` (ids comma-separated; no id: every
  check) on the line where the object is defined, or alone on the line above it, in a
  Python stack file or a YAML file a finding points into;
- ``ignore=["catalog/metric"]`` on a definition object (it covers the objects inside it
  too; on the Stack, every finding of the stack), and ``Stack.dashboard_ignore`` for
  dashboards, which are not obscode models: ``{"<dashboard uid>": ["catalog/label"]}``;
- a baseline file (:mod:`obscode.baseline`).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obscode import paths
from obscode.errors import SourceLocation

#: Check ids that are not check modules: the external tools and the staleness check.
EXTRA_CHECK_IDS = ("generated/stale", "tools/amtool", "tools/promtool", "tools/promtool-test")
DASHBOARDS_DIR = paths.DASHBOARDS_DIR
#: Fields ignore= is not looked for in: catalogs (large, findings never point at them) and
#: dashboards (JSON or grafanalib objects: Stack.dashboard_ignore names them).
_NOT_WALKED = ("ignore", "job_catalogs", "dashboards")

_COMMENT = re.compile(r"#\s*obscode:\s*ignore\b(?P<rest>[^\n]*)")


@functools.lru_cache(maxsize=1)
def known_check_ids() -> tuple[str, ...]:
    """Every check id a finding can carry."""
    from obscode.checks import discover

    return tuple(sorted({m.CHECK_ID for m in discover()} | set(EXTRA_CHECK_IDS)))


def unknown_id_message(check_id: str) -> str:
    known = known_check_ids()
    close = difflib.get_close_matches(check_id, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"{check_id!r} is not a check id; {hint}known checks: {', '.join(known)}"


def validate_check_ids(ids: list[str]) -> list[str]:
    """``ids`` when each is a known check id; otherwise a ValueError saying which is not."""
    for check_id in ids:
        if check_id not in known_check_ids():
            raise ValueError(unknown_id_message(check_id))
    return ids


@dataclass(frozen=True)
class Comment:
    """An ``# obscode: ignore`` comment: the ids it names (empty: every check)."""

    ids: tuple[str, ...]
    line: int

    def covers(self, check: str) -> bool:
        return not self.ids or check in self.ids


def parse_comment(text: str, line: int = 0) -> Comment | None:
    """The ignore comment in one source line, if any. Text after ``--`` is a reason."""
    match = _COMMENT.search(text)
    if match is None:
        return None
    rest = match.group("rest").split("--", 1)[0]
    ids = tuple(token for token in re.split(r"[,\s]+", rest) if token)
    return Comment(ids, line)


def read_lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def comment_at(source: SourceLocation, lines: tuple[str, ...] | None = None) -> Comment | None:
    """The ignore comment on ``source``'s line, or alone on the line just above it."""
    lines = read_lines(source.file) if lines is None else lines
    index = source.line - 1
    if 0 <= index < len(lines):
        found = parse_comment(lines[index], source.line)
        if found is not None:
            return found
    if 1 <= index <= len(lines) and lines[index - 1].lstrip().startswith("#"):
        return parse_comment(lines[index - 1], source.line - 1)
    return None


@dataclass
class _Ignored:
    """Where ``ignore=`` asks to hide findings: by source line, and the object's name."""

    source: SourceLocation
    described: str | None
    ids: frozenset[str]


def _object_ignores(value: Any, inherited: frozenset[str], described: str | None, out: list[_Ignored]) -> None:
    """Collect what ``ignore=`` covers. An object without a name (a webhook config) is known
    by its nearest named parent, so objects a factory builds on one line stay apart."""
    from obscode.model.base import Model

    if isinstance(value, Model):
        ids = inherited | frozenset(value.ignore)
        kind = type(value)
        if kind.name_field and getattr(value, kind.name_field, None):
            described = kind.describe(value)
        if ids and value.source is not None:
            out.append(_Ignored(value.source, described, ids))
        for name in kind.model_fields:
            if name not in _NOT_WALKED:
                _object_ignores(getattr(value, name), ids, described, out)
    elif isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            if isinstance(item, (Model, list, tuple, dict)):
                _object_ignores(item, inherited, described, out)


@dataclass
class Suppressor:
    """Decides which findings of one stack its inline comments and ``ignore=`` hide."""

    stack: Any
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.everywhere = frozenset(self.stack.ignore)
        self._objects: list[_Ignored] | None = None
        self.dashboards: dict[str, list[str]] = dict(getattr(self.stack, "dashboard_ignore", {}) or {})
        self._reported: set[tuple[str, int]] = set()
        self._files: dict[str, tuple[str, ...]] = {}

    def objects(self) -> list[_Ignored]:
        """What ignore= covers, collected from the stack's objects on first use."""
        if self._objects is None:
            self._objects = []
            for name in type(self.stack).model_fields:
                if name not in _NOT_WALKED:
                    _object_ignores(getattr(self.stack, name), frozenset(), None, self._objects)
        return self._objects

    def check_dashboards(self, files: Iterable[str]) -> None:
        """Note ``dashboard_ignore`` keys that name no dashboard of the stack."""
        present = set(files)
        for uid in sorted(self.dashboards):
            if f"{DASHBOARDS_DIR}{uid}.json" not in present:
                self.notes.append(f"warning: stack {self.stack.name}: dashboard_ignore names dashboard {uid!r}, "
                                  "which the stack does not have")

    def why(self, problem: Any) -> str | None:
        """How ``problem`` is suppressed ("inline comment", "ignore=", "dashboard_ignore"), or None."""
        if problem.check in self.everywhere:
            return "ignore="
        if problem.source is not None:
            if problem.source.file not in self._files:
                self._files[problem.source.file] = read_lines(problem.source.file)
            comment = comment_at(problem.source, self._files[problem.source.file])
            if comment is not None:
                self._note_unknown(problem.source, comment)
                if comment.covers(problem.check):
                    return "inline comment"
            for ignored in self.objects():
                if ignored.source == problem.source and problem.check in ignored.ids and (
                        ignored.described is None or problem.obj == ignored.described
                        or problem.obj.startswith(ignored.described + " ")):
                    return "ignore="
        if problem.file.startswith(DASHBOARDS_DIR):
            uid = problem.file[len(DASHBOARDS_DIR):].removesuffix(".json")
            if problem.check in self.dashboards.get(uid, ()):
                return "dashboard_ignore"
        return None

    def _note_unknown(self, source: SourceLocation, comment: Comment) -> None:
        key = (source.file, comment.line)
        if key in self._reported:
            return
        self._reported.add(key)
        for check_id in comment.ids:
            if check_id not in known_check_ids():
                where = SourceLocation(source.file, comment.line)
                self.notes.append(f"warning: {where}: # obscode: ignore names {unknown_id_message(check_id)}")

