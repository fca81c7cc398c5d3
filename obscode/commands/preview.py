"""``obscode preview``: look at a stack's generated dashboards in a browser, without Grafana."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from obscode.emit.rendered import Rendered
from obscode.errors import UsageError
from obscode.output import read_tree


@click.command("preview")
@click.argument("stack")
@click.option("--prometheus", "prometheus_url", default=None, metavar="URL",
              help="Prometheus to run the panels' queries against, e.g. http://127.0.0.1:9090. "
                   "Without it the pages show the layout and the queries only.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the pages. Default: out/preview/<stack>/.")
@click.option("--range", "time_range", default="1h", show_default=True, help="Time range the charts show.")
@click.option("--generated", "generated_root", type=click.Path(file_okay=False, path_type=Path),
              default=Path("generated"), show_default=True, help="Folder holding the generated stacks.")
@click.option("--no-verify", is_flag=True,
              help="Do not load the pages in headless Chromium to check that they draw.")
def command(stack: str, prometheus_url: str | None, out: Path | None, time_range: str, generated_root: Path,
            no_verify: bool) -> None:
    """Write a static HTML page per dashboard of STACK (from generated/STACK/grafana/dashboards/)
    plus index.html. With --prometheus, each panel's queries are run once now and the
    results drawn as charts in the page; the pages need no network to view.

    Every page is then loaded in headless Chromium (when installed); a page whose script
    fails makes the command exit 1."""
    from obscode.preview.fetch import client_for, fetch_board, parse_range
    from obscode.preview.page import dashboard_page, index_page
    from obscode.preview.verify import verify_pages

    tree = read_tree(generated_root / stack)
    if not tree:
        known = sorted(p.name for p in generated_root.iterdir() if p.is_dir()) if generated_root.is_dir() else []
        raise UsageError(f"no generated output for stack {stack!r} in {generated_root}; "
                         f"run `obscode generate` first (known stacks: {', '.join(known) or 'none'})")
    boards = Rendered.of(stack, tree).dashboards_by_uid()
    if not boards:
        raise UsageError(f"stack {stack!r} has no dashboards (nothing in {generated_root / stack}/grafana/dashboards/)")
    seconds = parse_range(time_range)
    target = out or Path("out") / "preview" / stack
    target.mkdir(parents=True, exist_ok=True)
    client = client_for(prometheus_url) if prometheus_url else None
    written: list[tuple[str, str]] = []
    try:
        for uid, board in boards.items():
            results = fetch_board(client, board, seconds) if client else None
            source = (f"stack {stack}, queries run against {prometheus_url} over the last {time_range}"
                      if client else f"stack {stack}, layout only (no --prometheus given)")
            name = f"{uid}.html"
            (target / name).write_text(dashboard_page(board, results, source), encoding="utf-8")
            written.append((name, str(board.get("title") or uid)))
            if results is not None:
                covered = sum(1 for r in results.values()
                              if any(math.isfinite(p[1]) for s in r["series"] for p in s["points"]))
                click.echo(f"{uid}: {covered}/{len(results)} panels with queries have data")
    finally:
        if client:
            client.close()
    (target / "index.html").write_text(index_page(stack, written), encoding="utf-8")
    if not no_verify:
        failed, note = verify_pages([target / name for name, _title in written])
        if note:
            click.echo(f"warning: {note}", err=True)
        if failed:
            for line in failed:
                click.echo(f"error: {line}", err=True)
            click.echo(f"{stack}: {len(failed)} of {len(written)} page(s) in {target} do not draw", err=True)
            sys.exit(1)
    click.echo(f"{stack}: wrote {len(written)} dashboard page(s) to {target}; open {target / 'index.html'}")
