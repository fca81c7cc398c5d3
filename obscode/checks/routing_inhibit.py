"""``routing/inhibit``: inhibit rules that can mute something, and only what they mean to.

Warnings: a rule no pair of alerts can satisfy (no alert matches the source side, none the
target side, or every source and target differ in a label of ``equal``: e.g. the usual
critical-mutes-warning rule with ``equal: [alertname]`` when no alert exists at both
severities); a rule without ``equal`` (one source alert anywhere mutes every target alert
everywhere); a rule whose source and target matchers are the same (an alert cannot inhibit
itself, so it mutes only other alerts of the same kind, rarely what was meant)."""

from __future__ import annotations

from collections.abc import Iterator

from obscode.alert_labels import AlertShape, Truth
from obscode.checks import CheckContext, Problem
from obscode.checks._routing import ALERTMANAGER_FILE, alert_shapes, matcher_problem
from obscode.model.alertmanager import InhibitRule

CHECK_ID = "routing/inhibit"


def _may_pair(source: AlertShape, target: AlertShape, equal: list[str]) -> bool:
    """Whether an alert of ``source`` and one of ``target`` may agree on every ``equal`` label
    (an absent label counts as the empty value, as Alertmanager compares them)."""
    all_known = True
    for label in equal:
        a, b = source.values.get(label), target.values.get(label)
        if a is not None and b is not None:
            if a != b:
                return False
            continue
        all_known = False
        if a is not None and target.carries(label) is Truth.NO:
            return False
        if b is not None and source.carries(label) is Truth.NO:
            return False
    # An alert never inhibits itself: one rule on both sides pairs only with another series of it.
    return source is not target or not all_known


def _never(rule: InhibitRule, alerts: list[AlertShape]) -> str | None:
    sources = [a for a in alerts if a.matches_all(rule.source_matchers) is not Truth.NO]
    targets = [a for a in alerts if a.matches_all(rule.target_matchers) is not Truth.NO]
    if not sources:
        return "no alert matches its source matchers together"
    if not targets:
        return "no alert matches its target matchers together"
    if any(_may_pair(s, t, rule.equal) for s in sources for t in targets):
        return None
    names = ", ".join(sorted({a.alert for a in sources}))
    muted = ", ".join(sorted({a.alert for a in targets}))
    return (f"no source alert ({names}) can share the values of {', '.join(rule.equal)} with a target alert "
            f"({muted}); give some alert both severities, or drop labels from equal")


def run(ctx: CheckContext) -> Iterator[Problem]:
    config = ctx.stack.alertmanager
    if config is None:
        return
    alerts = alert_shapes(ctx) if ctx.stack.alerts() else []
    for index, rule in enumerate(config.inhibit_rules):
        where = {"check": CHECK_ID, "stack": ctx.name, "file": ALERTMANAGER_FILE, "obj": f"inhibit_rules[{index}]",
                 "severity": "warning", "source": rule.source}
        if not rule.equal:
            yield Problem(**where, field="equal",
                          message="no equal: one source alert anywhere mutes every target alert everywhere; "
                                  "name the labels both must share, e.g. equal=['alertname', 'service']")
        if sorted(map(str, rule.source_matchers)) == sorted(map(str, rule.target_matchers)):
            yield Problem(**where, field="target_matchers",
                          message="source and target matchers are the same: an alert cannot inhibit itself, "
                                  "so the rule mutes only other alerts of the same kind")
        dead = any(matcher_problem(m, alerts) for m in rule.source_matchers + rule.target_matchers)
        if alerts and not dead:
            why = _never(rule, alerts)
            if why:
                yield Problem(**where, field="source_matchers", message=f"this inhibit rule never mutes anything: {why}",
                              cause=f"inhibit rule never mutes anything: {why}")
