"""Benchmark ``obscode check`` on the whole shared corpus (about 100 imported mixins: 1,075
rules, 341 dashboards), beside ``promtool check rules`` on the corpus' rule files.

The mixins are imported once (`obscode import`, not timed) into a temporary folder; then both
commands run alternately, each pinned to one core (taskset), in one process each: obscode
loads, renders and checks every stack (all static checks, no tools). The table, the machine
and the command go to docs/benchmarks/corpus.md.

    .venv/bin/python benchmarks/bench_corpus.py [--runs 5] [--write]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.realworld import harness  # noqa: E402

OUT = ROOT / "docs" / "benchmarks" / "corpus.md"
OBSCODE = str(Path(sys.executable).parent / "obscode")


def _import_all(folder: Path) -> tuple[list[Path], list[Path]]:
    stacks, rule_files = [], []
    for mixin in harness.mixins():
        stack = folder / mixin.name.replace("-", "_")
        rules, boards = harness.rule_files(mixin), harness.dashboard_files(mixin)
        rule_files += rules
        for kind, files in (("rules", rules), ("dashboard", boards)):
            if files:
                subprocess.run([OBSCODE, "import", kind, *map(str, files), "--stack", "corpus", "--out", str(stack)],
                               check=True, capture_output=True)
        if (stack / "__init__.py").is_file():
            stacks.append(stack)
    return stacks, rule_files


def _timed(args: list[str], cwd: Path) -> tuple[float, str]:
    pinned = ["taskset", "-c", "0", *args] if shutil.which("taskset") else args
    started = time.perf_counter()
    proc = subprocess.run(pinned, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    return elapsed, (proc.stderr.strip().splitlines() or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    args = parser.parse_args()
    if not harness.mixins():
        sys.exit(f"the corpus is missing at {harness.CORPUS}")
    promtool = shutil.which("promtool")
    with tempfile.TemporaryDirectory(prefix="obscode-bench-corpus-") as tmp:
        stacks, rule_files = _import_all(Path(tmp))
        obscode_times, promtool_times, last = [], [], ""
        for _ in range(args.runs):
            elapsed, last = _timed([OBSCODE, "check", "--no-tools", *map(str, stacks)], Path(tmp))
            obscode_times.append(elapsed)
            if promtool:
                elapsed, _ = _timed([promtool, "check", "rules", "--lint=none", *map(str, rule_files)], Path(tmp))
                promtool_times.append(elapsed)
    rows = [("`obscode check --no-tools` (every imported mixin: "
             f"{len(stacks)} stacks, all checks)", obscode_times)]
    if promtool_times:
        rows.append((f"`promtool check rules --lint=none` (the corpus' {len(rule_files)} rule files)", promtool_times))
    lines = ["# Benchmark: `obscode check` on the shared corpus", "",
             f"{args.runs} runs each, alternating, each process pinned to one core with `taskset -c 0`; wall-clock "
             "time of the whole process (interpreter start, importing every stack's modules, rendering, every "
             "check). The import of the mixins (`obscode import`) runs once before and is not timed.", "",
             "| command | median | best |", "| --- | --- | --- |"]
    for label, times in rows:
        lines.append(f"| {label} | {statistics.median(times):.2f} s | {min(times):.2f} s |")
    if promtool_times:
        lines += ["", f"Ratio obscode / promtool (medians): **{statistics.median(obscode_times) / statistics.median(promtool_times):.1f}x**."]
    tool = subprocess.run([promtool, "--version"], capture_output=True, text=True).stdout.splitlines()[0] if promtool else "none"
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    lines += ["", f"obscode's last output line: `{last}`", "",
              f"Machine: {platform.processor() or platform.machine()}, {len(__import__('os').sched_getaffinity(0))} "
              f"logical CPUs (runs pinned to CPU 0); {platform.system()} {platform.release()}; Python "
              f"{platform.python_version()}; {tool}. Load average when the run ended: {', '.join(load)}.", "",
              "Reproduce:", "", "```sh", f".venv/bin/python benchmarks/bench_corpus.py --runs {args.runs} --write", "```"]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        OUT.write_text(text)


if __name__ == "__main__":
    main()
