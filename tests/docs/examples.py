"""The Python examples of README.md and docs/: every ```python block, with its page and line.

A block that cannot run on its own is marked on the line before its fence (blank lines may
stand between) with ``<!-- not-run: why -->``; the blocks of a page run in order in one
namespace, so a fragment continues the blocks above it on the same page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.*?)\s*-->$")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")

#: Run before the first block of every page.
PREAMBLE = "from obscode import *\n"


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    #: Why the block is not run ("" = it is run).
    not_run: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """README.md and docs/, less docs/reference/ (generated: test_build.py runs its examples)."""
    reference = ROOT / "docs" / "reference"
    return [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if reference not in p.parents)]


def blocks(path: Path) -> list[Block]:
    """The ```python blocks of one page, in order."""
    page = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    lines = path.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, lang = fence.groups()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        if lang == "python":
            before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = NOT_RUN.match(before)
            code = "\n".join(line[len(indent):] for line in lines[i + 1:end]) + "\n"
            found.append(Block(page, i + 1, code, marker.group(1) if marker else ""))
        i = end + 1
    return found
