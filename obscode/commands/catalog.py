"""``obscode catalog``: build catalogs from live ``/metrics`` endpoints and show catalogs."""

from __future__ import annotations

from pathlib import Path

import click

from obscode.errors import UsageError
from obscode.model import catalog as catalogs

#: Ask for the classic text format, whose ``# TYPE`` lines name counters with ``_total``.
_ACCEPT = "text/plain;version=0.0.4;q=1.0, */*;q=0.1"


@click.group(name="catalog")
def command() -> None:
    """Metric catalogs: what services and exporters emit, which every query is checked against."""


@command.command()
@click.argument("url")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the catalog YAML here (default: standard output).")
@click.option("--name", default=None, help="Catalog name (default: the output file's name, or 'scraped').")
@click.option("--description", default=None, help="One line saying what was scraped (default: the URL).")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for the endpoint.")
def scrape(url: str, output: Path | None, name: str | None, description: str | None, timeout: float) -> None:
    """Build a catalog from the live metrics endpoint URL (e.g. http://127.0.0.1:9100/metrics).

    Families come from the ``# TYPE``/``# HELP`` lines, label names from the samples seen,
    so scrape an endpoint that has served some traffic."""
    if "://" not in url:
        raise UsageError(f"URL {url!r} needs a scheme, e.g. http://127.0.0.1:9100/metrics")
    import httpx  # only this command talks to the network; keep `obscode generate` start-up light

    try:
        response = httpx.get(url, headers={"Accept": _ACCEPT}, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot scrape {url}: {exc}; is the exporter running?") from None
    if response.status_code != 200:
        raise UsageError(f"cannot scrape {url}: HTTP {response.status_code}")
    catalog_name = name or (output.stem if output else "scraped")
    found = catalogs.from_exposition(catalog_name, response.text, description or f"scraped from {url}")
    if not found.metrics:
        raise UsageError(f"{url} returned no metric families; is it a Prometheus /metrics endpoint?")
    text = found.as_yaml()
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"{catalog_name}: {len(found.metrics)} metric families written to {output}", err=True)


@command.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["yaml", "table"]), default="yaml", show_default=True,
              help="yaml: the catalog file itself (load it back with job_catalogs); table: one line per series.")
def show(ref: str, fmt: str) -> None:
    """Print a catalog: a shipped one (see `obscode.model.catalog.shipped_names()`, e.g.
    node-exporter, postgres-exporter, prometheus), instrumentation-http,
    instrumentation-model, or a YAML file."""
    found = catalogs.resolve(ref)
    if fmt == "yaml":
        click.echo(found.as_yaml(), nl=False)
        return
    rows = [(series, metric.type, metric.collector or "-", ",".join(labels))
            for metric in sorted(found.metrics, key=lambda m: m.name)
            for series, labels in metric.series_names().items()]
    widths = [max(len(row[i]) for row in rows + [("series", "type", "collector", "labels")]) for i in range(3)]
    for row in [("series", "type", "collector", "labels"), *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
