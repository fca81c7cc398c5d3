"""SLOs as code: ``expand(stack)`` adds what each of ``stack.slos`` needs — a rule file
(``rules``), an inhibit rule (``inhibit``), promtool tests proving each tier's detection time
(``proofs``) and the error-budget dashboard (``dashboard``) — to the stack's own lists, so every
check and every output (Prometheus, Kubernetes, Thanos, Mimir) treats them like the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from obscode.stack import Stack


def expand(stack: "Stack") -> None:
    from obscode.slo import dashboard, inhibit, proofs, rules

    stack.rule_files.extend(rules.rule_files(stack))
    if stack.alertmanager is not None:
        stack.alertmanager.inhibit_rules.extend(inhibit.inhibit_rules(stack))
    stack.alert_tests.extend(proofs.alert_tests(stack))
    stack.dashboards.extend(dashboard.dashboards(stack))
