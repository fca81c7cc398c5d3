"""How long `obscode generate` takes on the Quantis stack in a cold process.

Run: .venv/bin/python benchmarks/bench_generate.py [--runs N]
Writes docs/benchmarks/generate.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OBSCODE = ROOT / ".venv" / "bin" / "obscode"


def time_command(args: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        time_command([str(OBSCODE), "generate", "quantis", "--out", out], 2)  # warm the page cache
        generate = time_command([str(OBSCODE), "generate", "quantis", "--out", out], args.runs)
    interpreter = time_command([sys.executable, "-c", "pass"], args.runs)
    gen_ms, py_ms = statistics.median(generate) * 1000, statistics.median(interpreter) * 1000
    table = (
        "| what (cold process, median of %d) | wall time | ratio to bare `python -c pass` |\n"
        "| --- | ---: | ---: |\n"
        "| `obscode generate quantis` | %.0f ms (min %.0f, max %.0f) | %.1fx |\n"
        "| `python -c pass` | %.0f ms | 1.0x |\n"
    ) % (args.runs, gen_ms, min(generate) * 1000, max(generate) * 1000, gen_ms / py_ms, py_ms)
    doc = (
        "## `obscode generate` start-up\n\n"
        "Target: well under a second for the Quantis stack in a cold process.\n\n"
        f"Machine: {describe()}.\n\n{table}\n"
        "Reproduce: `.venv/bin/python benchmarks/bench_generate.py` (or `make bench`).\n"
    )
    (ROOT / "docs" / "benchmarks" / "generate.md").write_text(doc)
    print(doc)


if __name__ == "__main__":
    main()
