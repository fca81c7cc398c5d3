"""The names SLO rules and alerts share (the rules, the alert tests, the dashboard and the
OpenSLO export all read them from here)."""

from __future__ import annotations

from obscode.model.slo import SLO, BurnRateTier

#: Labels on every SLO rule and alert.
SLO_LABEL = "slo"
SERVICE_LABEL = "service"
TIER_LABEL = "slo_tier"
ACTION_LABEL = "slo_action"


def window_rule(window: str) -> str:
    """The recording rule of the error ratio over ``window``: ``slo:sli_error:ratio_rate5m``."""
    return f"slo:sli_error:ratio_rate{window}"


def alert_name(slo: SLO) -> str:
    """One alert name per SLO (tiers differ by ``slo_tier``): ``api-availability`` →
    ``ApiAvailabilityBudgetBurn``."""
    return "".join(part.capitalize() for part in slo.name.split("-")) + "BudgetBurn"


def rule_file_name(slo: SLO) -> str:
    """The rule file of one SLO: ``slo-api-availability``."""
    return f"slo-{slo.name}"


def group_name(slo: SLO) -> str:
    return f"slo-{slo.name}"


def windows(slo: SLO) -> list[str]:
    """Every window the SLO's rules record, shortest first: the tiers' windows and the period."""
    from obscode.model.duration import parse_duration

    found = {w for tier in slo.tiers for w in (tier.long_window, tier.short_window)} | {slo.period}
    return sorted(found, key=lambda w: (parse_duration(w), w))


def tier_labels(slo: SLO, tier: BurnRateTier) -> dict[str, str]:
    """The labels of a tier's alert."""
    return {SLO_LABEL: slo.name, SERVICE_LABEL: slo.service, TIER_LABEL: tier.name, ACTION_LABEL: tier.action,
            "severity": tier.severity, **slo.labels, **tier.labels}


def dashboard_uid(stack_name: str) -> str:
    """The uid of a stack's error-budget dashboard: ``quantis-slos``."""
    return f"{stack_name}-slos"
