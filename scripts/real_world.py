#!/usr/bin/env python3
"""Measure obscode on the shared corpus of public monitoring mixins and write the figures
into docs/real-world.md (between the `figures` markers), and the error findings to classify
into a YAML list.

    .venv/bin/python scripts/real_world.py            # rewrite the figures in docs/real-world.md
    .venv/bin/python scripts/real_world.py --check    # exit 1 if docs/real-world.md is stale
    .venv/bin/python scripts/real_world.py --unclassified FILE   # error findings not yet classified

Reads ../shared/corpus/mixins/ (see its README); the product never needs it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realworld import harness, report  # noqa: E402

DOC = harness.ROOT / "docs" / "real-world.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if docs/real-world.md differs from the figures")
    parser.add_argument("--unclassified", type=Path, help="write the unclassified error findings here (YAML)")
    args = parser.parse_args()
    if not harness.mixins():
        print(f"error: the corpus is missing at {harness.CORPUS}", file=sys.stderr)
        return 2
    started = time.monotonic()
    results = list(harness.run_corpus())
    figures = harness.figures(results)
    print(f"measured {figures.mixins} mixins in {time.monotonic() - started:.1f} s", file=sys.stderr)
    if args.unclassified:
        known = harness.load_classification()
        todo = [{"mixin": k[0], "check": k[1], "cause": k[2], "verdict": None, "why": "",
                 "where": f"{p.file}: {p.obj}"} for k, p in sorted(figures.errors.items()) if k not in known]
        args.unclassified.write_text(yaml.safe_dump(todo, sort_keys=False, allow_unicode=True, width=120))
        print(f"{len(todo)} unclassified error finding(s) written to {args.unclassified}", file=sys.stderr)
    text = DOC.read_text(encoding="utf-8")
    updated = report.replace_figures(text, report.render(figures, harness.load_classification()))
    if args.check:
        if updated != text:
            print("docs/real-world.md is stale: run scripts/real_world.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
