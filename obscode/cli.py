"""The ``obscode`` command. Exit codes: 0 ok, 1 checks found problems, 2 bad usage or a
definition that does not load."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import click

from obscode import build as pipeline
from obscode.checks import Problem
from obscode.errors import DefinitionError, UsageError
from obscode.output import differences, read_tree, write_atomic
from obscode.tools import missing_tools, run_tools

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
DEFAULT_OUT = Path("generated")


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
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
        return
    for problem in problems:
        click.echo(str(problem))


@main.command()
@click.argument("stacks", nargs=-1)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output root; each stack goes to OUT/<stack>/. Default: generated/ (out/<profile>/ with --profile).")
@click.option("--profile", default=None, help="Apply the stack's named profile (e.g. local) before generating.")
@click.option("--no-checks", is_flag=True, help="Write even if static checks find errors.")
def generate(stacks: tuple[str, ...], out: Path | None, profile: str | None, no_checks: bool) -> None:
    """Write the configuration of STACKS (default: every folder under stacks/).

    Output is deterministic; a stack's folder is replaced whole or not at all, and
    nothing is written if any stack fails to load or has check errors."""
    root = out or (Path("out") / profile if profile else DEFAULT_OUT)
    built = _build_all(stacks, profile)
    if not no_checks:
        errors = [p for b in built for p in b.check() if p.severity == "error"]
        if errors:
            _report(errors, "text")
            click.echo(f"generate: {len(errors)} check error(s); nothing written (see `obscode check`)", err=True)
            sys.exit(EXIT_PROBLEMS)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(stacks: tuple[str, ...], profile: str | None, stale: bool, generated_root: Path,
          no_tools: bool, fmt: str) -> None:
    """Run the static checks on STACKS, then promtool and amtool on their output.

    Exit 1 if any check reports an error; warnings are printed but do not fail."""
    built = _build_all(stacks, profile)
    problems: list[Problem] = []
    notes: list[str] = []
    for item in built:
        problems.extend(item.check())
        if not no_tools:
            found, tool_notes = run_tools(item.name, item.files)
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
    _report(problems, fmt)
    for note in notes:
        click.echo(note, err=True)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    names = ", ".join(b.name for b in built)
    click.echo(f"checked {names}: {errors} error(s), {warnings} warning(s)", err=True)
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
