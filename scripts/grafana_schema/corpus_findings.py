"""Count dashboard/schema findings over a folder of Grafana dashboard JSON files.

Usage: python scripts/grafana_schema/corpus_findings.py [CORPUS_DIR] [--verbose]
(default CORPUS_DIR: ../shared/corpus/mixins next to the project). Each file is wrapped in a
stack of its own, generated and checked like any stack's dashboards; findings are grouped by
severity and by message with the quoted key or value kept and numbers blurred.
"""

from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

from obscode.checks import CheckContext
from obscode.checks import dashboard_schema
from obscode.emit.grafana import emit
from obscode.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def findings(path: Path) -> list[dashboard_schema.Problem]:
    raw = json.loads(path.read_text())
    raw.setdefault("uid", "corpus")
    stack = Stack(name="corpus", dashboards=[raw])
    return list(dashboard_schema.run(CheckContext(stack, emit(stack))))


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus" / "mixins"
    files = sorted(p for p in corpus.glob("*/dashboards/*") if p.is_file())
    by_message: collections.Counter[tuple[str, str]] = collections.Counter()
    for path in files:
        for problem in findings(path):
            summary = re.sub(r"allowed here: .*", "allowed here: ...", problem.message)
            by_message[(problem.severity, f"{problem.field}: {summary}" if verbose else summary)] += 1
    print(f"{len(files)} dashboards")
    for severity in ("error", "warning"):
        total = sum(n for (s, _), n in by_message.items() if s == severity)
        print(f"{severity}: {total}")
        for (s, message), count in by_message.most_common():
            if s == severity:
                print(f"  {count:5d}  {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
