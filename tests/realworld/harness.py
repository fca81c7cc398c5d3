"""The real-world measurement: every mixin of the shared corpus (``../shared/corpus/mixins/``)
imported with ``obscode import``, generated, round-tripped and checked, in-process.

Used by ``tests/realworld/`` (figures may not regress) and by ``scripts/real_world.py``
(which writes the figures into ``docs/real-world.md``)."""

from __future__ import annotations

import functools
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from obscode import build
from obscode.checks import Problem, run_checks
from obscode.cli import main
from obscode.errors import DefinitionError, UsageError
from obscode.importers import roundtrip
from obscode.importers.dashboards import read_files
from obscode.importers.problems import Collector
from obscode.tools import write_tree

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "mixins"
CLASSIFICATION = Path(__file__).with_name("classification.yaml")


def mixins() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


def is_empty(path: Path) -> bool:
    """A published rule file that holds nothing: null, {} or groups: []."""
    return path.read_text(encoding="utf-8").strip() in ("null", "{}", "groups: []")


def rule_files(mixin: Path) -> list[Path]:
    """alerts.yaml and rules.yaml, unless they hold nothing."""
    return [p for p in (mixin / "alerts.yaml", mixin / "rules.yaml") if p.is_file() and not is_empty(p)]


def dashboard_files(mixin: Path) -> list[Path]:
    folder = mixin / "dashboards"
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def count_rules(paths: list[Path]) -> int:
    return sum(len(g.get("rules") or []) for path in paths for g in roundtrip.rule_groups(path))


@dataclass
class MixinResult:
    name: str
    rule_files: int = 0
    dashboards: int = 0
    rules_in_input: int = 0
    rules_imported: int = 0
    #: `obscode import` or `obscode generate` output when it failed, by input kind.
    failures: dict[str, str] = field(default_factory=dict)
    roundtrip: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The query of each (output file, object) the problems name, for reading them.
    queries: dict[tuple[str, str], str] = field(default_factory=dict)

    def findings(self, severity: str | None = None) -> dict[str, list[Problem]]:
        """Problems grouped by cause (one cause = one finding), optionally of one severity."""
        groups: dict[str, list[Problem]] = {}
        for problem in self.problems:
            if severity is None or problem.severity == severity:
                groups.setdefault(problem.group_key(), []).append(problem)
        return groups


def _import(kind: str, files: list[Path], stack: Path) -> str | None:
    result = CliRunner().invoke(main, ["import", kind, *map(str, files), "--stack", "corpus", "--out", str(stack)])
    return None if result.exit_code == 0 else result.output


def run_mixin(mixin: Path, workdir: Path, tools: bool = True) -> MixinResult:
    """Import, generate, round-trip and check one mixin in ``workdir``."""
    rules, boards = rule_files(mixin), dashboard_files(mixin)
    result = MixinResult(mixin.name, len(rules), len(boards), count_rules(rules))
    stack = workdir / mixin.name / "corpus"  # a stack's folder is named after it
    for kind, files in (("rules", rules), ("dashboard", boards)):
        if files:
            failure = _import(kind, files, stack)
            if failure:
                result.failures[kind] = failure
    if not (stack / "__init__.py").is_file():
        return result
    try:
        built = build.build(stack)
    except (DefinitionError, UsageError) as exc:
        result.failures["generate"] = str(exc)
        return result
    result.rules_imported = sum(len(g.rules) for f in built.loaded.stack.rule_files for g in f.groups)
    out = workdir / "out" / mixin.name
    write_tree(out, built.files)
    result.roundtrip = [line.replace(f"{mixin}/", "") for line in roundtrip.rules_round_trip(rules, out)]
    for board in read_files(boards, Collector()):
        written = json.loads((out / "grafana" / "dashboards" / board.file_name).read_text(encoding="utf-8"))
        result.roundtrip += [f"{board.source.name}: {d}" for d in roundtrip.dashboard_differences(board.data, written)]
    context = built.context()
    result.problems = run_checks(context)
    if tools:
        result.problems += built.run_tools()[0]
    result.queries = {(q.file, q.obj): q.expr for q in context.queries}
    return result


@functools.cache
def corpus_results() -> tuple[MixinResult, ...]:
    """Every mixin's result, computed once per process (the test modules share it)."""
    return tuple(run_corpus())


def run_corpus(tools: bool = True) -> Iterator[MixinResult]:
    with tempfile.TemporaryDirectory(prefix="obscode-corpus-") as tmp:
        for mixin in mixins():
            yield run_mixin(mixin, Path(tmp), tools=tools)


def load_classification() -> dict[tuple[str, str, str], dict[str, Any]]:
    """Hand classification of error findings: (mixin, check, cause) -> {verdict, why}."""
    if not CLASSIFICATION.is_file():
        return {}
    entries = yaml.safe_load(CLASSIFICATION.read_text(encoding="utf-8")) or []
    return {(e["mixin"], e["check"], e["cause"]): e for e in entries}


def key_of(mixin: str, problem: Problem) -> tuple[str, str, str]:
    return (mixin, problem.check, problem.reason)


@dataclass
class Figures:
    mixins: int = 0
    rule_files: int = 0
    dashboards: int = 0
    rules_in_input: int = 0
    rules_imported: int = 0
    import_failures: list[str] = field(default_factory=list)
    roundtrip_differences: list[str] = field(default_factory=list)
    problems: Counter[tuple[str, str]] = field(default_factory=Counter)
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: dict[tuple[str, str, str], Problem] = field(default_factory=dict)


def figures(results: list[MixinResult]) -> Figures:
    out = Figures(mixins=len(results))
    for result in results:
        out.rule_files += result.rule_files
        out.dashboards += result.dashboards
        out.rules_in_input += result.rules_in_input
        out.rules_imported += result.rules_imported
        out.import_failures += [f"{result.name} ({kind}): {text.strip().splitlines()[-1]}"
                                for kind, text in result.failures.items()]
        out.roundtrip_differences += [f"{result.name}: {line}" for line in result.roundtrip]
        for problem in result.problems:
            out.problems[(problem.check, problem.severity)] += 1
        for group in result.findings().values():
            out.findings[(group[0].check, group[0].severity)] += 1
        for group in result.findings("error").values():
            out.errors[key_of(result.name, group[0])] = group[0]
    return out
