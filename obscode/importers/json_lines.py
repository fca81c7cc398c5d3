"""JSON read with the line of every object, for problems that name the input line.

Only used when a problem needs a line: it runs json's pure-Python scanner, slower than the
C one that reads dashboards otherwise."""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
from typing import Any


class LineObject(dict):  # type: ignore[type-arg]
    """A JSON object that knows the line its ``{`` is on."""

    line: int = 0


def loads(text: str) -> Any:
    """``json.loads(text)`` whose objects are :class:`LineObject`."""
    newlines = [i for i, c in enumerate(text) if c == "\n"]

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, object_hook: Any,
                     object_pairs_hook: Any, memo: Any = None) -> tuple[LineObject, int]:
        start = s_and_end[1] - 1
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        found = LineObject(pairs)
        found.line = bisect.bisect_left(newlines, start) + 1
        return found, end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)
