"""The corpus figures of docs/alert-tests.md: every mixin of the shared corpus imported with
`obscode import rules`, its synthesised tests run by promtool.

    .venv/bin/python -m tests.alert_tests.corpus

Prints one line per mixin (alerts, synthesised, promtool problems), the time spent in
promtool, and the skip reasons by count. Takes minutes: it is a measurement, not part of the test suite."""

from __future__ import annotations

import collections
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from obscode import build
from obscode.alert_tests.run import run_alert_tests
from obscode.alert_tests.synthesis import synthesise
from obscode.cli import main
from tests.realworld import harness


def run() -> None:
    reasons: collections.Counter[str] = collections.Counter()
    alerts = synthesised = failed = 0
    seconds = 0.0
    for mixin in harness.mixins():
        rules = harness.rule_files(mixin)
        if not rules:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / mixin.name.replace("-", "_")
            result = CliRunner().invoke(main, ["import", "rules", *map(str, rules), "--stack", folder.name,
                                               "--out", str(folder)])
            if result.exit_code:
                print(f"{mixin.name}: import failed")
                continue
            built = build.build(folder)
            stack = built.loaded.stack
            synthesis = synthesise(stack)
            start = time.perf_counter()
            problems = run_alert_tests(stack.name, built.files, stack)
            seconds += time.perf_counter() - start
        alerts += len(stack.alerts())
        synthesised += len(synthesis.tests)
        failed += len(problems)
        reasons.update(skipped.reason.split(":")[0] for skipped in synthesis.skipped
                       if "rules are named" not in skipped.reason)
        reasons.update("several rules with one name" for s in synthesis.skipped if "rules are named" in s.reason)
        print(f"{mixin.name}: {len(stack.alerts())} alerts, {len(synthesis.tests)} synthesised, "
              f"{len(problems)} promtool problems", flush=True)
        for problem in problems:
            print(f"    {problem}")
    print(f"total: {alerts} alerts, {synthesised} synthesised, {failed} promtool problems, "
          f"{seconds:.1f} s in promtool test rules")
    for reason, count in reasons.most_common():
        print(f"{count:5d} {reason}")


if __name__ == "__main__":
    run()
