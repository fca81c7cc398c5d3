"""The inhibit rule of each SLO with page and ticket tiers: while a page tier fires, the
ticket tiers of the same SLO are muted (the fast burn already has someone on it; the slow
burn's ticket would tell them nothing new)."""

from __future__ import annotations

from obscode.model.alertmanager import InhibitRule
from obscode.model.slo import SLO
from obscode.slo.names import ACTION_LABEL, SLO_LABEL, alert_name


def inhibit_rules(stack: object) -> list[InhibitRule]:
    """One rule per SLO of ``stack.slos`` that has both a page and a ticket tier."""
    return [rule for slo in getattr(stack, "slos", []) if (rule := inhibit_rule(slo)) is not None]


def inhibit_rule(slo: SLO) -> InhibitRule | None:
    """The page tiers of ``slo`` mute its ticket tiers; None without both kinds."""
    actions = {tier.action for tier in slo.tiers}
    if not {"page", "ticket"} <= actions:
        return None
    same = [f'alertname="{alert_name(slo)}"', f'{SLO_LABEL}="{slo.name}"']
    rule = InhibitRule(source_matchers=[*same, f'{ACTION_LABEL}="page"'],
                       target_matchers=[*same, f'{ACTION_LABEL}="ticket"'], equal=[SLO_LABEL],
                       ignore=list(slo.ignore))
    rule._source = slo.source
    return rule
