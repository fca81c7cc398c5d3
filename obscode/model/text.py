"""Control characters in names, label values and annotations: always a mistake.

A label value ``"payments\\n"`` is written as a YAML block scalar and never equals
``payments``; a tab or NUL in a name is invisible in every review. Annotations may span
lines (``\\n``, ``\\t``), nothing else."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL"}


def _named(char: str) -> str:
    return _NAMES.get(char, f"control character U+{ord(char):04X} ({unicodedata.name(char, 'control')})")


def check(value: str, what: str, multiline: bool = False) -> str:
    """``value`` unchanged, or ``ValueError`` naming the control character and where it is."""
    if not isinstance(value, str):
        return value
    found = (_CONTROL_IN_TEXT if multiline else _CONTROL).search(value)
    if found is None:
        return value
    stripped = _CONTROL.sub("", value).strip()
    hint = f"; did you mean {stripped!r}?" if stripped and stripped != value else ""
    return _raise(f"{what} {value!r} holds {_named(found.group())} at position {found.start()}: "
                  f"it would never match what you see{hint}")


def _raise(message: str) -> str:
    raise ValueError(message)


def check_all(values: object, what: str, multiline: bool = False) -> object:
    """``check`` on every string of a list or on the keys and values of a dict."""
    if isinstance(values, dict):
        for key, value in values.items():
            check(key, f"{what} name", False)
            check(value, f"{what} {key}", multiline)
    elif isinstance(values, (list, tuple)):
        for value in values:
            check(value, what, multiline)
    return values


def suggest(written: str, candidates: Iterable[str]) -> str:
    """``; did you mean X?`` for the candidate ``written`` most looks like (typos, swapped
    letters, case, a stray space or newline), or "" when none is close."""
    pool = sorted(set(candidates) - {written})
    for candidate in pool:
        if candidate.lower() == written.strip().lower():
            return f"; did you mean {candidate}?"
    close = difflib.get_close_matches(written, pool, n=1, cutoff=0.7)
    return f"; did you mean {close[0]}?" if close else ""
