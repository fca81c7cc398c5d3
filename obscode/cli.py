"""The ``obscode`` command. Exit codes: 0 ok, 1 checks found problems, 2 bad usage or a
definition that does not load."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

from dataclasses import dataclass, field

import click

from obscode import baseline as baselines
from obscode import build as pipeline
from obscode.checks import Problem, group_problems
from obscode.errors import DefinitionError, UsageError
from obscode.output import differences, read_tree, write_atomic
from obscode.suppression import Suppressor
from obscode.tools import missing_tools

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
DEFAULT_OUT = Path("generated")
#: Locations a grouped finding lists (the first in full) before "and N more".
SHOWN_LOCATIONS = 3


class _Group(click.Group):
    """Turns definition and usage errors into exit code 2 with one clear line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (DefinitionError, UsageError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="obscode")
def main() -> None:
    """Observability as code: compile typed stack definitions (stacks/<name>/) into
    Prometheus, Alertmanager and Grafana configuration (generated/<name>/), and check
    that every alert and panel queries only what the services emit."""


def _build_all(stacks: tuple[str, ...], profile: str | None) -> list[pipeline.Built]:
    args = pipeline.stack_args(stacks)
    if not args:
        raise UsageError("no stacks found: create stacks/<name>/__init__.py defining `stack`, or name one")
    return [pipeline.build(arg, profile=profile) for arg in args]


def _report(problems: list[Problem], fmt: str) -> None:
    """Findings as text, one per cause: the first in full, then how many places share its
    cause and the next locations; or as JSON, every finding with its group key."""
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
        return
    for group in group_problems(problems):
        first = group.first
        click.echo(str(first))
        count = len(group.problems)
        if count == 1:
            continue
        others = group.problems[1:SHOWN_LOCATIONS]
        more = f"; and {count - 1 - len(others)} more" if count - 1 > len(others) else ""
        click.echo(f"    {first.reason}: used in {count} places; also {'; '.join(p.location() for p in others)}{more}")


@dataclass
class _Outcome:
    """Findings after suppression: those shown, and how many each way hid."""

    shown: list[Problem] = field(default_factory=list)
    #: Findings hidden by inline comments or ignore=: a baseline written now leaves them out.
    suppressed: list[Problem] = field(default_factory=list)
    #: Findings the baseline hides: a baseline written now keeps them.
    baselined: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = sum(self.counts.values())
        if not total:
            return ""
        ways = ", ".join(f"{n} by {how}" for how, n in sorted(self.counts.items()))
        return f", {total} suppressed ({ways})"


def _suppress(built: list[pipeline.Built], problems: list[Problem],
              baseline: baselines.Baseline | None) -> _Outcome:
    suppressors = {}
    for item in built:
        suppressors[item.name] = Suppressor(item.loaded.stack)
        suppressors[item.name].check_dashboards(item.files)
    outcome = _Outcome()
    for problem in problems:
        suppressor = suppressors.get(problem.stack)
        how = suppressor.why(problem) if suppressor is not None else None
        if how is None and baseline is not None and baseline.matches(problem):
            how = "baseline"
            outcome.baselined.append(problem)
        elif how is not None:
            outcome.suppressed.append(problem)
        else:
            outcome.shown.append(problem)
        if how is not None:
            outcome.counts[how] = outcome.counts.get(how, 0) + 1
    for suppressor in suppressors.values():
        outcome.notes.extend(suppressor.notes)
    return outcome


@main.command()
@click.argument("stacks", nargs=-1)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output root; each stack goes to OUT/<stack>/. Default: generated/ (out/<profile>/ with --profile).")
@click.option("--profile", default=None, help="Apply the stack's named profile (e.g. local) before generating.")
@click.option("--no-checks", is_flag=True, help="Write even if static checks find errors.")
@click.option("--no-tools", is_flag=True, help="Do not run promtool and amtool (and the alert tests) on the output.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ignore the findings listed in this baseline file (see `obscode check --write-baseline`).")
def generate(stacks: tuple[str, ...], out: Path | None, profile: str | None, no_checks: bool, no_tools: bool,
             baseline_path: Path | None) -> None:
    """Write the configuration of STACKS (default: every folder under stacks/).

    As strict as `obscode check`: the static checks run, then promtool and amtool (when on
    PATH) and the alert tests on the output. Output is deterministic; a stack's folder is
    replaced whole or not at all, and nothing is written if any stack fails to load or has
    errors (findings suppressed inline, by ignore= or by --baseline do not count)."""
    root = out or (Path("out") / profile if profile else DEFAULT_OUT)
    baseline = baselines.load(baseline_path) if baseline_path else None
    built = _build_all(stacks, profile)
    problems: list[Problem] = []
    notes: list[str] = []
    if not no_checks:
        problems.extend(p for b in built for p in b.check())
    if not no_tools:
        for item in built:
            found, tool_notes = item.run_tools()
            problems.extend(found)
            notes.extend(tool_notes)
    if problems:
        outcome = _suppress(built, problems, baseline)
        errors = [p for p in outcome.shown if p.severity == "error"]
        if errors:
            _report(errors, "text")
            for note in notes:
                click.echo(note, err=True)
            click.echo(f"generate: {len(errors)} error(s); nothing written (see `obscode check`)", err=True)
            sys.exit(EXIT_PROBLEMS)
    for note in notes:
        click.echo(note, err=True)
    for item in built:
        write_atomic(root / item.name, item.files)
        click.echo(f"{item.name}: wrote {len(item.files)} files to {root / item.name}")


@main.command()
@click.argument("stacks", nargs=-1)
@click.option("--profile", default=None, help="Check the stack with this profile applied.")
@click.option("--stale", is_flag=True, help="Also fail when generated/<stack>/ differs from what the code generates.")
@click.option("--generated", "generated_root", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_OUT, show_default=True, help="Where the committed output lives (for --stale).")
@click.option("--no-tools", is_flag=True, help="Skip promtool and amtool.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per cause with its first locations; json: every finding, with its group key.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Hide the findings this baseline file lists, and count its entries that no longer match.")
@click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every current finding (not suppressed inline or by ignore=) to this baseline file and exit 0.")
def check(stacks: tuple[str, ...], profile: str | None, stale: bool, generated_root: Path,
          no_tools: bool, fmt: str, baseline_path: Path | None, write_baseline: Path | None) -> None:
    """Run the static checks on STACKS, then promtool and amtool on their output.

    Exit 1 if any check reports an error; warnings are printed but do not fail. Findings
    suppressed by an inline `# obscode: ignore` comment, by ignore= or by --baseline are not
    shown but counted (docs/suppression.md)."""
    baseline = baselines.load(baseline_path) if baseline_path else None
    built = _build_all(stacks, profile)
    problems: list[Problem] = []
    notes: list[str] = []
    for item in built:
        problems.extend(item.check())
        if not no_tools:
            found, tool_notes = item.run_tools()
            problems.extend(found)
            notes.extend(tool_notes)
        if stale:
            diffs = differences(item.files, read_tree(generated_root / item.name))
            if diffs:
                shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
                problems.append(Problem(
                    check="generated/stale", stack=item.name, file=str(generated_root / item.name),
                    obj="generated output", message=f"differs from what the code generates ({shown}): "
                    "run `make generate` and commit the result"))
    if not no_tools:
        for tool in missing_tools():
            notes.append(f"warning: {tool} is not on PATH, its check was skipped "
                         "(Debian: apt-get install prometheus prometheus-alertmanager)")
    outcome = _suppress(built, problems, baseline)
    names = ", ".join(b.name for b in built)
    if write_baseline is not None:
        written = baselines.write(write_baseline, outcome.shown + outcome.baselined, [b.name for b in built])
        click.echo(f"wrote baseline {write_baseline}: {written} finding(s) of {names}", err=True)
        sys.exit(EXIT_OK)
    _report(outcome.shown, fmt)
    for note in notes + outcome.notes:
        click.echo(note, err=True)
    errors = sum(p.severity == "error" for p in outcome.shown)
    warnings = sum(p.severity == "warning" for p in outcome.shown)
    infos = len(outcome.shown) - errors - warnings
    also = f", {infos} note(s)" if infos else ""
    click.echo(f"checked {names}: {errors} error(s), {warnings} warning(s){also}{outcome.summary()}", err=True)
    if baseline is not None:
        stale_entries = baseline.stale(outcome.baselined, [b.name for b in built])
        if stale_entries:
            click.echo(f"baseline {baseline.path}: {len(stale_entries)} entr{'y' if len(stale_entries) == 1 else 'ies'} "
                       f"no longer match a finding; `obscode check --write-baseline {baseline.path}` drops them",
                       err=True)
    sys.exit(EXIT_PROBLEMS if errors else EXIT_OK)


def _register_commands() -> None:
    """Commands living in obscode/commands/<name>.py, each exposing ``command``."""
    from obscode import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"obscode.commands.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register_commands()
