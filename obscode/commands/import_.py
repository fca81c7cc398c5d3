"""``obscode import``: existing rule files, Alertmanager and Prometheus configuration and
Grafana dashboards -> a readable stack package under stacks/<name>/."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from obscode.importers.problems import Collector, ImportFailed, ImportProblem

if TYPE_CHECKING:  # the importers load when an import runs, not with every obscode command
    from obscode.importers.catalogs import Suggestion
    from obscode.importers.package import Plan

EXIT_USAGE = 2
_FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


def _options(func: Callable[..., None]) -> Callable[..., None]:
    func = click.option("--force", is_flag=True, help="Replace files that already exist in the stack folder.")(func)
    func = click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="The stack folder to write, named after the stack (default: stacks/NAME/).")(func)
    return click.option("--stack", "stack_name", required=True, help="Name of the stack to write.")(func)


@click.group(name="import")
def command() -> None:
    """Turn existing configuration into a stack package (stacks/NAME/) that `obscode generate`
    compiles back to the same configuration. Problems name the input file and line; if a file
    has any, nothing is written."""


def _run(stack_name: str, out: Path | None, force: bool, build: Callable[[Path, Collector], Plan]) -> None:
    from obscode.importers import package

    package.check_stack_name(stack_name)
    if out is not None and out.name != stack_name:
        from obscode.errors import UsageError

        raise UsageError(f"--out {out} would hold stack {stack_name!r} in a folder named {out.name!r}; a stack's "
                         f"folder is named after it (generated/<name>/ is where it goes): give --out "
                         f"{out.parent / stack_name} or --stack {out.name}")
    folder = out or Path("stacks") / stack_name
    report = Collector()
    try:
        plan = build(folder, report)
    except ImportFailed as failed:
        for problem in failed.problems:
            click.echo(str(problem), err=True)
        errors = sum(p.severity == "error" for p in failed.problems)
        click.echo(f"import: {errors} error(s); nothing written", err=True)
        sys.exit(EXIT_USAGE)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    written = package.write(plan, force)
    for note in plan.notes:
        click.echo(f"note: {note}")
    click.echo(f"{plan.stack_name}: wrote {len(written)} file(s) to {folder}: "
               + ", ".join(sorted(str(p.relative_to(folder)) for p in written)))
    click.echo(f"next: obscode generate {folder}")


def _catalog_lines(suggestion: Suggestion) -> list[str]:
    lines = [f"catalogs: job {job} -> {', '.join(refs)}" for job, refs in suggestion.job_catalogs.items()]
    if suggestion.without:
        lines.append(f"catalogs: no shipped catalog for job(s) {', '.join(suggestion.without)} "
                     "(build one with `obscode catalog scrape URL`)")
    return lines


@command.command(name="rules")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@_options
def rules_command(files: tuple[Path, ...], stack_name: str, out: Path | None, force: bool) -> None:
    """Prometheus rule files and PrometheusRule custom resources (multi-document YAML)
    -> rules.py, one RuleFile per input file."""
    from obscode.importers import catalogs, package, rules, versions

    def build(folder: Path, report: Collector) -> Plan:
        imported = rules.read_files(list(files), report)
        report.raise_if_errors()
        if not imported:
            raise ImportFailed([*report.problems, *[
                ImportProblem(str(f), None, "holds no rule groups: nothing to import") for f in files]])
        suggestion = catalogs.suggest(rules.expressions(imported))
        count = sum(len(g.group.rules) for f in imported for g in f.groups)
        notes = [*report.notes, f"rules: {count} rule(s) in {sum(len(f.groups) for f in imported)} group(s) "
                 f"of {len(imported)} file(s)", *_catalog_lines(suggestion)]
        needs = versions.needed(rule_files=[f.rule_file() for f in imported])
        return package.compose(folder, stack_name, "rules", rules.module_source(imported), {}, suggestion, notes,
                               needs)

    _run(stack_name, out, force, build)


@command.command(name="openslo")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@_options
def openslo_command(files: tuple[Path, ...], stack_name: str, out: Path | None, force: bool) -> None:
    """OpenSLO v1 documents (SLOs with their SLIs, data sources and alert policies, in any of
    the files) -> slos.py, one SLO per SLO document."""
    from obscode.importers import catalogs, openslo, package

    def build(folder: Path, report: Collector) -> Plan:
        imported = openslo.read_files(list(files), report)
        report.raise_if_errors()
        suggestion = catalogs.suggest(openslo.expressions(imported))
        notes = [*report.notes, f"openslo: {len(imported)} SLO(s) from {len(files)} file(s)",
                 *_catalog_lines(suggestion)]
        return package.compose(folder, stack_name, "slos", openslo.module_source(imported), {}, suggestion, notes)

    _run(stack_name, out, force, build)


@command.command(name="dashboard")
@click.argument("files", nargs=-1, required=True, type=_FILES)
@_options
def dashboard_command(files: tuple[Path, ...], stack_name: str, out: Path | None, force: bool) -> None:
    """Grafana dashboard JSON (schemaVersion 16 to current) -> dashboards/<uid>.json, kept as
    JSON and loaded by dashboards.py."""
    from obscode.importers import catalogs, dashboards, package, versions

    def build(folder: Path, report: Collector) -> Plan:
        imported = dashboards.read_files(list(files), report)
        report.raise_if_errors()
        suggestion = catalogs.suggest(dashboards.expressions(imported))
        notes = list(report.notes)
        for dashboard in imported:
            notes.append(f"dashboard {dashboard.title!r} ({dashboard.source}): kept as JSON in "
                         f"{dashboards.DATA_DIR}/{dashboard.file_name}")
            notes.extend(dashboards.normalisation_notes(dashboard))
        notes.extend(_catalog_lines(suggestion))
        extra = {f"{dashboards.DATA_DIR}/{d.file_name}": d.content for d in imported}
        return package.compose(folder, stack_name, "dashboards", dashboards.MODULE_SOURCE, extra, suggestion, notes)

    _run(stack_name, out, force, build)


@command.command(name="alertmanager")
@click.argument("file", type=_FILES)
@_options
def alertmanager_command(file: Path, stack_name: str, out: Path | None, force: bool) -> None:
    """An Alertmanager configuration -> alertmanager.py (typed receivers, routes, inhibit rules);
    literal secrets become SecretRef files, never code."""
    from obscode.importers import alertmanager, package, versions

    def build(folder: Path, report: Collector) -> Plan:
        config = alertmanager.read_file(file, report)
        report.raise_if_errors()
        assert config is not None
        source = alertmanager.module_source(config, file)
        notes = list(report.notes)
        for path in alertmanager.secret_files(config):
            notes.append(f"secret: the input had a secret written literally; put it in {path} "
                         "on the Alertmanager host (alertmanager.py says which)")
        needs = versions.needed(alertmanager=config.built)
        return package.compose(folder, stack_name, "alertmanager", source, {}, None, notes, needs)

    _run(stack_name, out, force, build)


@command.command(name="prometheus")
@click.argument("file", type=_FILES)
@_options
def prometheus_command(file: Path, stack_name: str, out: Path | None, force: bool) -> None:
    """A Prometheus configuration (global, alerting, scrape jobs) -> scrape.py; literal
    passwords and tokens become SecretRef files."""
    from obscode.importers import package, scrape, versions

    def build(folder: Path, report: Collector) -> Plan:
        config = scrape.read_file(file, report)
        report.raise_if_errors()
        assert config is not None
        notes = [*report.notes, f"prometheus: {len(scrape.jobs(config))} scrape job(s): {', '.join(scrape.jobs(config))}"]
        source = scrape.module_source(config, file)
        needs = versions.needed(prometheus=config.built)
        return package.compose(folder, stack_name, "scrape", source, {}, None, notes, needs)

    _run(stack_name, out, force, build)

