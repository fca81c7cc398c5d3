"""``obscode routes``: which receivers each alert of a stack reaches, worked out offline."""

from __future__ import annotations

import json

import click

from obscode import build as pipeline
from obscode.alert_labels import AlertShape, Delivery, Truth, deliveries, shapes
from obscode.errors import UsageError
from obscode.kubernetes.am_namespace import namespace_matcher

RUN_TIME = "?"


def _labels(alert: AlertShape, keys: list[str]) -> str:
    parts = []
    for key in keys:
        if key in alert.values:
            parts.append(f"{key}={alert.values[key]}")
        elif key in alert.unknown or alert.open:
            parts.append(f"{key}={RUN_TIME}")
    return ", ".join(parts)


def _receivers(alert: AlertShape, found: list[Delivery]) -> str:
    if alert.reaches_routes() is Truth.NO:
        return f"none: never carries {', '.join(map(str, alert.entry))}"
    return ", ".join(d.receiver if d.certain else f"{d.receiver} (if {RUN_TIME} labels match)" for d in found)


@click.command(name="routes")
@click.argument("stacks", nargs=-1)
@click.option("--profile", default=None, help="Route the stack with this profile applied.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a table alert -> receivers; json: every alert with its labels and deliveries.")
def command(stacks: tuple[str, ...], profile: str | None, fmt: str) -> None:
    """Print, for every alert of STACKS (default: every folder under stacks/), the receivers
    Alertmanager delivers it to, as `amtool config routes test` would answer for its labels.

    Labels come from the rule, the labels its expression keeps and the external labels;
    a label known only at run time (an expression label, a templated value) shows as `?`,
    and a receiver that depends on one is marked. With the kubernetes output, the namespace
    matcher prometheus-operator adds to the AlertmanagerConfig is printed first and applied:
    an alert that never carries it reaches no receiver of the stack."""
    args = pipeline.stack_args(stacks)
    if not args:
        raise UsageError("no stacks found: create stacks/<name>/__init__.py defining `stack`, or name one")
    report = []
    notes = []
    for arg in args:
        stack = pipeline.load(arg, profile=profile).stack
        if stack.alertmanager is None:
            raise UsageError(f"stack {stack.name} has no alertmanager configuration: nothing routes its alerts")
        route = stack.alertmanager.route
        gate = namespace_matcher(stack)
        if gate is not None:
            notes.append(f"stack {stack.name}: {gate.describe()}")
        keys = sorted({m.name for _, node in route.walk() for m in node.matchers} | {"severity"}
                      | ({gate.matcher.name} if gate else set()))
        for alert in shapes(stack):
            found = deliveries(route, alert)
            report.append((stack.name, alert, keys, found))
    if fmt == "json":
        click.echo(json.dumps([
            {"stack": name, "alert": alert.alert, "file": alert.file, "labels": alert.routing_labels(),
             "run_time_labels": sorted(alert.unknown), "open": alert.open,
             "entry_matchers": [str(m) for m in alert.entry], "reaches_routes": alert.reaches_routes().value,
             "receivers": [{"receiver": d.receiver, "route": d.path, "certain": d.certain} for d in found]}
            for name, alert, _keys, found in report], indent=2))
        return
    for note in notes:
        click.echo(f"note: {note}")
    rows = [("stack", "alert", "labels routes read", "receivers")]
    rows += [(name, alert.alert, _labels(alert, keys), _receivers(alert, found))
             for name, alert, keys, found in report]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
