"""Writing readable Python: string literals chosen for the reader, calls with one keyword
argument per line when they are long, 4-space indents.

Values are plain Python data (str, int, float, bool, None, list, dict) or the nodes below;
:func:`render` turns one into source text at an indentation level.
"""

from __future__ import annotations

import ast
import keyword
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

INDENT = "    "
WIDTH = 100


@dataclass(frozen=True)
class Raw:
    """Source text written as it is (a variable name, an expression)."""

    code: str


@dataclass(frozen=True)
class Call:
    """``func(arg, key=value, ...)``; values are rendered recursively."""

    func: str
    kwargs: list[tuple[str, Any]] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Commented:
    """A value with a comment line above it (forces the enclosing call or list onto lines)."""

    value: Any
    comment: str


@dataclass(frozen=True)
class Query:
    """A PromQL expression: kept as the author laid it out when it spans lines."""

    text: str


_IDENT = re.compile(r"[^0-9a-zA-Z_]+")


def identifier(name: str, taken: set[str], fallback: str = "item") -> str:
    """A Python name for ``name`` (``kube-apiserver.rules`` -> ``kube_apiserver_rules``),
    distinct from every name in ``taken`` (which it joins)."""
    base = _IDENT.sub("_", name).strip("_").lower() or fallback
    if base[0].isdigit():
        base = f"{fallback}_{base}"
    if keyword.iskeyword(base):
        base += "_"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f\"']")


def _escape(text: str, quote: str) -> str:
    if not _NEEDS_ESCAPE.search(text):
        return text
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + quote)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def string(text: str) -> str:
    """A one-line literal: ``"..."``, or ``'...'`` when the text holds double quotes, and a
    raw string when it holds backslashes (PromQL regexes) and nothing that needs escaping."""
    quote = "'" if '"' in text and "'" not in text else '"'
    plain = not _CONTROL.search(text)
    if "\\" in text and plain and quote not in text and not text.endswith("\\"):
        return f"r{quote}{text}{quote}"
    return f"{quote}{_escape(text, quote)}{quote}"


def _lines_literal(text: str, level: int) -> str:
    """A multi-line text as parenthesised one-line pieces, one per line of the text."""
    pieces = text.splitlines(keepends=True)
    inner = INDENT * (level + 1)
    return "(\n" + "".join(f"{inner}{string(p)}\n" for p in pieces) + INDENT * level + ")"


def _query_literal(text: str, level: int) -> str:
    """``dedent(\"\"\"...\"\"\")`` keeping the author's layout, when it reads back to the same text."""
    body = text.strip("\n")
    if "\n" not in body.strip() or '"""' in body or body.endswith("\\"):
        return ""
    inner = INDENT * (level + 1)
    lines = [inner + line if line.strip() else "" for line in body.split("\n")]
    prefix = "r" if "\\" in body else ""
    code = f'dedent({prefix}"""\n' + "\n".join(lines) + "\n" + INDENT * level + '""")'
    literal = code[len("dedent("):-1]
    try:
        value = ast.literal_eval(literal)
    except (SyntaxError, ValueError):
        return ""
    return code if textwrap.dedent(value).strip() == text.strip() else ""


def uses_dedent(value: Any) -> bool:
    """Whether rendering ``value`` writes a ``dedent(...)`` call (the module then imports it)."""
    if isinstance(value, Query):
        return bool(_query_literal(value.text, 0))
    if isinstance(value, Commented):
        return uses_dedent(value.value)
    if isinstance(value, Call):
        return any(uses_dedent(v) for v in value.args) or any(uses_dedent(v) for _, v in value.kwargs)
    if isinstance(value, dict):
        return any(uses_dedent(v) for v in value.values())
    if isinstance(value, list):
        return any(uses_dedent(v) for v in value)
    return False


def _inline(value: Any) -> str | None:
    """``value`` on one line, or None when it cannot be (comments, multi-line texts)."""
    if isinstance(value, Raw):
        return value.code
    if isinstance(value, Query):
        return None if "\n" in value.text.strip() else string(value.text.strip())
    if isinstance(value, str):
        return None if "\n" in value else string(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Commented):
        return None
    if isinstance(value, Call):
        parts = [_inline(a) for a in value.args] + [
            None if (s := _inline(v)) is None else f"{k}={s}" for k, v in value.kwargs]
        return None if None in parts else f"{value.func}({', '.join(parts)})"  # type: ignore[arg-type]
    if isinstance(value, list):
        parts = [_inline(v) for v in value]
        return None if None in parts else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            inline = _inline(item)
            if inline is None:
                return None
            parts.append(f"{string(key)}: {inline}")
        return "{" + ", ".join(parts) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as Python")


def render(value: Any, level: int = 0, used: int = 0) -> str:
    """Source text of ``value``: first line unindented, later lines indented for ``level``.
    ``used`` is how many characters precede the value on its first line."""
    inline = _inline(value)
    if inline is not None and len(INDENT * level) + used + len(inline) <= WIDTH:
        return inline
    if isinstance(value, Query):
        text = value.text.strip()
        return _query_literal(text, level) or (string(text) if "\n" not in text else _lines_literal(text, level))
    if isinstance(value, str):
        return _lines_literal(value, level) if "\n" in value else string(value)
    if inline is not None and not isinstance(value, (Call, list, dict)):
        return inline
    if isinstance(value, Commented):
        return render(value.value, level, used)
    if isinstance(value, Call):
        items = [(None, a) for a in value.args] + list(value.kwargs)
        return value.func + "(" + _items(items, level, lambda k: f"{k}=") + ")"
    if isinstance(value, list):
        return "[" + _items([(None, v) for v in value], level, lambda k: "") + "]"
    if isinstance(value, dict):
        return "{" + _items(list(value.items()), level, lambda k: f"{string(k)}: ") + "}"
    raise TypeError(f"cannot write {type(value).__name__} as Python")


def _items(items: list[tuple[Any, Any]], level: int, head: Any) -> str:
    inner = INDENT * (level + 1)
    out = ["\n"]
    for key, item in items:
        if isinstance(item, Commented):
            out.extend(f"{inner}# {line}\n" for line in comment_lines(item.comment, WIDTH - len(inner) - 2))
        prefix = head(key) if key is not None else ""
        out.append(f"{inner}{prefix}{render(item, level + 1, len(prefix) + 1)},\n")
    out.append(INDENT * level)
    return "".join(out)


def assignment(name: str, value: Any) -> str:
    """``name = value`` at module level."""
    return f"{name} = {render(value, 0, len(name) + 3)}\n"


def docstring(text: str) -> str:
    body = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'"""{body}"""\n' if "\n" not in body else f'"""{body}\n"""\n'


def comment_lines(text: str, width: int) -> list[str]:
    """The comment's paragraphs (its own lines) wrapped to ``width``."""
    out: list[str] = []
    for paragraph in text.splitlines():
        out.extend(textwrap.wrap(paragraph, width=max(width, 40)) or [""])
    return out


def import_line(module: str, names: list[str] | set[str]) -> str:
    """``from module import a, b`` on one line, or one name per line in parentheses."""
    ordered = sorted(names)
    line = f"from {module} import {', '.join(ordered)}\n"
    if len(line) <= WIDTH + 1:
        return line
    return f"from {module} import (\n" + "".join(f"{INDENT}{n},\n" for n in ordered) + ")\n"
