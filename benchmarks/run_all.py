"""`make bench`: run every benchmarks/bench_*.py, then assemble docs/benchmarks.md from
the sections they write to docs/benchmarks/*.md.

Run: .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--assemble-only]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ROOT / "docs" / "benchmarks"
ORDER = ["generate", "check", "corpus", "http", "monitor"]

HEADER = """# Benchmarks

Every figure here comes from a committed script in `benchmarks/`, run on the machine
described in its section; each section says how to reproduce it. `make bench` runs them
all and rebuilds this page from `docs/benchmarks/*.md`. Speed is measured here, never
asserted in the test suite.

"""


def _as_section(text: str) -> str:
    """A benchmark page nested under this page's title: its headings one level down, and its
    links to docs/ pages (``../x.md`` from docs/benchmarks/) made relative to docs/."""
    text = text.replace("](../", "](")
    if not text.startswith("# "):
        return text
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        lines.append("#" + line if line.startswith("#") and not fenced else line)
    return "\n".join(lines)


def assemble() -> None:
    sections = sorted(SECTIONS.glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    body = "\n".join(_as_section(p.read_text()).rstrip() + "\n" for p in sections)
    (ROOT / "docs" / "benchmarks.md").write_text(HEADER + body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=None, help="bench names, e.g. generate http")
    parser.add_argument("--assemble-only", action="store_true")
    args = parser.parse_args()
    if not args.assemble_only:
        for script in sorted(Path(__file__).parent.glob("bench_*.py")):
            name = script.stem.removeprefix("bench_")
            if args.only and name not in args.only:
                continue
            print(f"== {script.name}", flush=True)
            subprocess.run([sys.executable, str(script)], cwd=ROOT, check=True)
    assemble()
    print(f"wrote {ROOT / 'docs' / 'benchmarks.md'}")


if __name__ == "__main__":
    main()
