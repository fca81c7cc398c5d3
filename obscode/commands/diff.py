"""``obscode diff``: what a pull request changes in the generated configuration, as Markdown or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click

from obscode.diff import StackDiff, diff_stack
from obscode.diff import git
from obscode.diff.markdown import render
from obscode.errors import UsageError
from obscode.output import read_tree


@click.command("diff")
@click.argument("stacks", nargs=-1)
@click.option("--base", "base", default=None, metavar="REV",
              help="Revision to compare with. Default: the merge-base of HEAD and main.")
@click.option("--generated", "generated_root", type=click.Path(file_okay=False, path_type=Path),
              default=Path("generated"), show_default=True, help="Folder holding the generated stacks.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--pictures", "pictures_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write dashboard layout pictures to DIR/<stack>/ (SVG, and PNG unless --no-png).")
@click.option("--png/--no-png", default=True, show_default=True, help="Render the pictures to PNG with Chromium.")
def command(stacks: tuple[str, ...], base: str | None, generated_root: Path, fmt: str,
            pictures_dir: Path | None, png: bool) -> None:
    """Compare the generated output of STACKS (default: every stack in either tree) at
    REV with the working tree, and print what changed: alerts (thresholds, for, labels,
    annotations), recording rules, scrape jobs, who each kind of alert reaches, receivers,
    inhibit rules and dashboards. Reordering alone is no change. Exit 0 with or without changes."""
    if not generated_root.is_dir():
        raise UsageError(f"{generated_root} does not exist: run `obscode diff` from the repository root "
                         "or pass --generated DIR")
    repo = git.toplevel(generated_root)
    rev = git.resolve(repo, base) if base else git.default_base(repo)
    folder = generated_root.resolve().relative_to(repo.resolve()).as_posix()
    names = list(stacks) or sorted(set(git.folders_at(repo, rev, folder))
                                   | {p.name for p in generated_root.iterdir() if p.is_dir() and not p.name.startswith(".")})
    diffs: list[StackDiff] = []
    pictures: dict[str, list[str]] = {}
    for name in names:
        base_tree = git.tree_at(repo, rev, f"{folder}/{name}")
        head_tree = read_tree(generated_root / name)
        if not base_tree and not head_tree:
            raise UsageError(f"stack {name!r} has no generated output at {base or rev[:12]} or in {generated_root}; "
                             f"known stacks: {', '.join(sorted(p.name for p in generated_root.iterdir() if p.is_dir())) or 'none'}")
        result = diff_stack(name, base_tree, head_tree)
        diffs.append(result)
        if pictures_dir is not None:
            pictures.update(_pictures(result, base_tree, head_tree, pictures_dir / name, png))
    shown_base = base or f"merge-base with main ({rev[:12]})"
    if fmt == "json":
        click.echo(json.dumps({"base": rev, "stacks": [d.as_dict() for d in diffs], "pictures": pictures}, indent=2))
    else:
        click.echo(render(diffs, shown_base, pictures))


def _pictures(result: StackDiff, base: dict[str, bytes], head: dict[str, bytes], out: Path,
              png: bool) -> dict[str, list[str]]:
    """Pictures for every dashboard; links (before/after) for the changed ones, by change name."""
    from obscode.layout.pictures import write_pictures

    written = write_pictures(base, head, out, png=png)
    links: dict[str, list[str]] = {}
    for change in result.section("dashboards"):
        uid = change.name.rsplit("(", 1)[-1].rstrip(")")
        paths = [p for p in written.get(uid, []) if ".before." in p.name or ".after." in p.name]
        if change.action == "added":
            paths = written.get(uid, [])
        if paths:
            links[change.name] = [p.as_posix() for p in paths]
    return links
