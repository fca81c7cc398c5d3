"""SLOs as code: ``expand(stack)`` adds what each of ``stack.slos`` needs — a rule file
(``rules``), an inhibit rule (``inhibit``), promtool tests proving each tier's detection time
(``proofs``) and the error-budget dashboard (``dashboard``) — to the stack's own lists, so every
check and every output (Prometheus, Kubernetes, Thanos, Mimir) treats them like the rest.

Expansion runs whenever a Stack validates, and is idempotent: what an earlier expansion added
(marked ``generated_by == "slo"``; dashboards are GeneratedDashboard dicts) is replaced, so a profile
that rebuilds a stack from its fields (``Stack(**fields)``) gets the SLO outputs once, for its
own SLOs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from obscode.stack import Stack

GENERATED_BY = "slo"


def _mark(items: list[Any]) -> list[Any]:
    for item in items:
        item._generated_by = GENERATED_BY
    return items


def _user_written(items: list[Any]) -> list[Any]:
    return [item for item in items if getattr(item, "generated_by", "") != GENERATED_BY]


class GeneratedDashboard(dict):  # type: ignore[type-arg]
    """A dashboard's JSON that obscode.slo generated (told apart from the user's by its type)."""


def expand(stack: "Stack") -> None:
    """Replace what an earlier expansion added with the outputs of ``stack.slos`` (new lists:
    the stack's lists may be shared with the stack it was built from)."""
    from obscode.slo import dashboard, inhibit, proofs, rules
    slos = bool(stack.slos)
    stack.rule_files = _user_written(stack.rule_files) + _mark(rules.rule_files(stack) if slos else [])
    if stack.alertmanager is not None:
        kept = _user_written(stack.alertmanager.inhibit_rules)
        added = _mark(inhibit.inhibit_rules(stack) if slos else [])
        if added or len(kept) != len(stack.alertmanager.inhibit_rules):
            stack.alertmanager = stack.alertmanager.model_copy(update={"inhibit_rules": kept + added})
    stack.alert_tests = _user_written(stack.alert_tests) + _mark(proofs.alert_tests(stack) if slos else [])
    stack.dashboards = ([d for d in stack.dashboards if not isinstance(d, GeneratedDashboard)]
                        + [GeneratedDashboard(board) for board in (dashboard.dashboards(stack) if slos else [])])
