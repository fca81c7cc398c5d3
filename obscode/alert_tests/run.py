"""Running a stack's alert tests with the real ``promtool test rules``."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from obscode import paths
from obscode.alert_tests.synthesis import FIRES, QUIET
from obscode.checks import Problem
from obscode.errors import SourceLocation
from obscode.stack import Stack

CHECK_ID = "tools/promtool-test"
#: Seconds one test file may take in promtool.
TIMEOUT = 300.0
TESTS_DIR = paths.ALERT_TESTS_DIR
SYNTHESISED = TESTS_DIR + "synthesised.yml"

_OF_SEVERAL = re.compile(r" \(\d+ of \d+\)$")
_FAILED = re.compile(r"^\s*FAILED:\s*$", re.MULTILINE)
_GROUP_NAME = re.compile(r"^\s*name: (.*),\s*$")
_ENTRY = re.compile(r"^\s*(?:alertname: (?P<alert>.*?)|expr: (?P<expr>\".*?\")), time: (?P<time>[^,]+),\s*(?P<rest>.*)$")


def test_files(files: dict[str, bytes]) -> list[str]:
    """The alert test files among rendered output, sorted (``tests/rules/`` holds rules)."""
    return sorted(p for p in files if p.startswith(TESTS_DIR) and p.endswith(".yml") and "/" not in p[len(TESTS_DIR):])


def run_alert_tests(stack_name: str, files: dict[str, bytes], stack: Stack | None = None) -> list[Problem]:
    """Run every ``prometheus/tests/*.yml`` of ``files`` (a stack's rendered output, as
    ``obscode.emit.render`` returns it) with ``promtool test rules``, and return one
    problem (check ``tools/promtool-test``) per failed expectation: the test, the alert or
    expression, the evaluation time and promtool's message. With ``stack``, a problem also
    carries the source line of the AlertTest (or, for a synthesised test, of the alert).

    Returns ``[]`` when there are no test files or promtool is not on PATH (callers report
    missing tools, see ``obscode.tools.missing_tools``). Nothing is written outside a
    temporary directory."""
    promtool = shutil.which("promtool")
    tests = test_files(files)
    if promtool is None or not tests:
        return []
    sources = _sources(stack) if stack is not None else {}
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="obscode-alert-tests-") as tmp:
        root = Path(tmp)
        for rel, content in files.items():
            if rel.startswith("prometheus/"):
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        for rel in tests:
            try:
                proc = subprocess.run([promtool, "test", "rules", Path(rel).name], cwd=root / TESTS_DIR,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(Problem(CHECK_ID, stack_name, rel, _test_object(rel, None, None),
                                        f"promtool test rules did not finish within {TIMEOUT:g} s; shorten the "
                                        "test's evaluation times or lengthen its interval",
                                        source=sources.get(rel)))
                continue
            if proc.returncode != 0:
                output = proc.stdout.replace(str(root) + "/", "")
                problems.extend(_problems(stack_name, rel, output, sources))
    return problems


def _sources(stack: Stack) -> dict[str, SourceLocation | None]:
    """Where each test was defined: ``tests/<name>.yml`` -> its AlertTest, alert name -> the alert."""
    found: dict[str, SourceLocation | None] = {f"{TESTS_DIR}{t.name}.yml": t.source for t in stack.alert_tests}
    for _file, alert in stack.alerts():
        found.setdefault(alert.alert, alert.source)
    return found


def _problems(stack: str, rel: str, output: str, sources: dict[str, SourceLocation | None]) -> list[Problem]:
    blocks = _FAILED.split(output)[1:]
    if not blocks:
        return [Problem(CHECK_ID, stack, rel, _test_object(rel, None, None), f"promtool test rules failed: "
                        f"{_flat(output)}", source=sources.get(rel))]
    problems = []
    for block in blocks:
        group, entries, loose = None, [], []
        for line in block.splitlines():
            named = _GROUP_NAME.match(line)
            entry = _ENTRY.match(line)
            if named and not entries:
                group = named.group(1)
            elif entry:
                entries.append([entry, line.strip()])
            elif entries:
                entries[-1].append(line.strip())
            elif line.strip():
                loose.append(line.strip())
        alert_of_group = _alert_of(group)
        if not entries:
            problems.append(Problem(CHECK_ID, stack, rel, _test_object(rel, group, alert_of_group),
                                    f"promtool test rules failed: {' '.join(loose)}",
                                    source=_source(rel, alert_of_group, sources)))
            continue
        for match, *lines in entries:
            alert = match.group("alert")
            what = f"alert {alert}" if alert else f"expression {match.group('expr')}"
            detail = " ".join(part for part in [match.group("rest"), *lines[1:]] if part)
            problems.append(Problem(
                CHECK_ID, stack, rel, _test_object(rel, group, alert_of_group or alert),
                f"{what} at eval_time {match.group('time')}: promtool: {detail}",
                field="alert_rule_test" if alert else "promql_expr_test",
                source=_source(rel, alert_of_group or alert, sources),
                cause=f"{what}: expectation not met"))
    return problems


def _alert_of(group: str | None) -> str | None:
    for suffix in (FIRES, QUIET):
        if group and group.endswith(suffix):
            return _OF_SEVERAL.sub("", group[: -len(suffix)])
    return None


def _test_object(rel: str, group: str | None, alert: str | None) -> str:
    if rel == SYNTHESISED:
        return f"synthesised test {group!r}" if group else f"synthesised test of alert {alert}"
    return f"alert test {Path(rel).stem}"


def _source(rel: str, alert: str | None, sources: dict[str, SourceLocation | None]) -> SourceLocation | None:
    if rel == SYNTHESISED:
        return sources.get(alert) if alert else None
    return sources.get(rel)


def _flat(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
