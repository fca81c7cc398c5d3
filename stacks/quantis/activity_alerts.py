"""User-activity alerts (activity_alerts.yml), on what the api job's UserActivity emits.

- ``FunnelConversionLow``, one rule per consecutive pair of ``config.activity.funnel`` steps:
  the later step is used less than ``funnel_conversion_below`` times as often as the earlier one,
  over ``funnel_window``, while the earlier one is used at least ``funnel_min_rate`` per second
  (a quiet night does not fire it). A later step never used at all counts as 0. Only requests
  that say their plan count (``plan!="none"``): clients without one are not users in the funnel.
- ``ActiveUsersMissing``: requests that say their plan (signed-in clients) keep arriving, but
  no user was seen in the last 5 minutes: the user id no longer reaches the service (a gateway
  dropping ``X-User-Id``), so ``active_users`` and every per-user view downstream are blind.

Both are warnings of category ``product`` about the api job, owned by ``config.activity.owner``.
"""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, with_runbooks
from .config import CONFIG, QuantisConfig

CATEGORY = "product"


def feature_rate(selector: str, feature: str, window: str) -> str:
    """Uses per second of ``feature`` over ``window`` among the series ``selector`` matches, by job."""
    return f'sum by (job) (rate(feature_usage_total{{{selector}, feature="{feature}"}}[{window}]))'


def conversion(selector: str, step_from: str, step_to: str, window: str) -> str:
    """Uses of ``step_to`` per use of ``step_from``, by job; 0 when ``step_to`` was never used."""
    before = feature_rate(selector, step_from, window)
    after = feature_rate(selector, step_to, window)
    return f"({after} or {before} * 0) / {before}"


def funnel_pairs(config: QuantisConfig) -> list[tuple[str, str]]:
    steps = config.activity.funnel
    return list(zip(steps, steps[1:]))


def funnel_rules(config: QuantisConfig) -> list[AlertRule]:
    # Signed-in users' journeys only: clients that send no plan (scripts, health checks, the
    # other tests' load) are not users walking the funnel.
    a, selector = config.activity, f'job="{config.api.name}", plan!="none"'
    return [AlertRule(
        alert="FunnelConversionLow",
        expr=f"{conversion(selector, before, after, a.funnel_window)} < {a.funnel_conversion_below:g}"
             f" and {feature_rate(selector, before, a.funnel_window)} > {a.funnel_min_rate:g}",
        for_=a.for_funnel_conversion,
        labels={**_labels("warning", CATEGORY, config.api.name, a.owner), "funnel_from": before, "funnel_to": after},
        annotations={
            "summary": f"Few users go on from {before} to {after}",
            "description": f"{after} was used less than {a.funnel_conversion_below * 100:g}% as often as {before} "
                           f"over {_human(a.funnel_window)}, for {_human(a.for_funnel_conversion)}: "
                           "{{ $value | humanizePercentage }}",
        },
    ) for before, after in funnel_pairs(config)]


def active_users_missing(config: QuantisConfig) -> AlertRule:
    a, job = config.activity, config.api.name
    identified = f'sum by (job) (rate(api_usage_total{{job="{job}", plan!="none"}}[5m]))'
    seen = f'max by (job) (active_users{{job="{job}", window="5m"}})'
    return AlertRule(
        alert="ActiveUsersMissing",
        expr=f"{identified} > {a.identified_requests_min_rate:g} unless on (job) {seen} > 0",
        for_=a.for_active_users_missing,
        labels=_labels("warning", CATEGORY, job, a.owner),
        annotations={
            "summary": "Requests arrive on {{ $labels.job }} but no user is identified",
            "description": f"More than {a.identified_requests_min_rate:g} requests per second with a plan, "
                           f"and no user id seen in 5 minutes, for {_human(a.for_active_users_missing)}: "
                           "is X-User-Id still reaching the service?",
        },
    )


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    return [with_runbooks(config, RuleFile(name="activity_alerts", groups=[RuleGroup(name="activity", rules=[
        *funnel_rules(config), active_users_missing(config),
    ])]))]
