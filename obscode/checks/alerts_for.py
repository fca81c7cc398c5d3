"""``alerts/for``: an alert's ``for`` and ``keep_firing_for`` within sensible bounds.

Longer than ``Stack.alert_for_warning`` (default 1d) is a warning, longer than
``Stack.alert_for_max`` (default 7d) an error. With ``for: 45d`` the condition has to hold at
every evaluation for 45 days before anyone is told, and one evaluation where it does not
(a scrape that fails, a series that is briefly absent) starts the wait again: such an alert
in effect never fires. With ``keep_firing_for: 45d`` it pages for 45 days after the problem
is gone."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.checks import CheckContext, Problem
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule

CHECK_ID = "alerts/for"

_EFFECT = {
    "for": "the condition must hold at every evaluation for {value} before the alert fires, and one evaluation "
           "without it starts the wait again",
    "keep_firing_for": "the alert keeps firing for {value} after its condition is gone",
}


def _human(ms: int) -> str:
    """``45d`` -> '45 days', ``25h`` -> '25 hours', ``1w`` -> '7 days'."""
    for size, unit in ((86400_000, "day"), (3600_000, "hour"), (60_000, "minute"), (1000, "second")):
        if ms >= size and ms % size == 0:
            return f"{ms // size} {unit}{'' if ms == size else 's'}"
    return f"{ms} ms"


def _bound(ctx: CheckContext, value: str) -> tuple[str, str, str] | None:
    """(severity, bound, Stack field) that ``value`` exceeds, the strictest first."""
    length = parse_duration(value)
    for severity, field in (("error", "alert_for_max"), ("warning", "alert_for_warning")):
        bound = getattr(ctx.stack, field)
        if length > parse_duration(bound):
            return severity, bound, field
    return None


def run(ctx: CheckContext) -> Iterator[Problem]:
    for rule_file in ctx.stack.rule_files:
        for group in rule_file.groups:
            for rule in group.rules:
                if not isinstance(rule, AlertRule):
                    continue
                for field, value in (("for", rule.for_), ("keep_firing_for", rule.keep_firing_for)):
                    exceeded = _bound(ctx, value) if value else None
                    if exceeded is None or not value:
                        continue
                    severity, bound, stack_field = exceeded
                    effect = _EFFECT[field].format(value=_human(parse_duration(value)))
                    yield Problem(
                        check=CHECK_ID, stack=ctx.name, file=f"prometheus/{rule_file.path}",
                        obj=f"alert {rule.alert} (group {group.name})", field=field, severity=severity,  # type: ignore[arg-type]
                        message=f"{field} {value} is longer than {bound} (Stack.{stack_field}): {effect}; "
                                f"shorten it, or raise Stack.{stack_field} if this is meant",
                        source=rule.source)
