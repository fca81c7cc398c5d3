"""Security alerts: brute force, authorization-deny spikes, rate-limit saturation (security_alerts.yml).

All three read what ``instrumentation.audit`` emits on the api job (the ``instrumentation-audit``
catalog): no label per client or user, so the brute-force signal is the one gauge of the busiest
client's failed logins. Thresholds and ``for:`` durations are ``config.security``.
"""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, with_runbooks
from .config import CONFIG, QuantisConfig

#: The window the ratios are taken over (the top-client gauge has its own 5 minutes).
WINDOW = "5m"


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    s, job = config.security, config.api
    sel = f'job="{job.name}"'
    labels = _labels("warning", "security", job.name, s.owner)
    denied = f'sum by (job) (rate(audit_authorization_decisions_total{{{sel}, decision="deny"}}[{WINDOW}]))'
    decided = f"sum by (job) (rate(audit_authorization_decisions_total{{{sel}}}[{WINDOW}]))"
    limited = f"sum by (job, path) (rate(audit_rate_limited_responses_total{{{sel}}}[{WINDOW}]))"
    served = f"sum by (job, path) (rate(http_requests_total{{{sel}}}[{WINDOW}]))"
    rules = [
        AlertRule(
            alert="BruteForceSuspected",
            expr=f"max by (job) (audit_authentication_failures_top_client{{{sel}}}) > {s.brute_force_failures_above:g}",
            for_=s.for_brute_force,
            labels=labels,
            annotations={
                "summary": "Failed logins from one client on {{ $labels.job }}",
                "description": f"One client failed more than {s.brute_force_failures_above:g} authentications "
                               f"within 5 minutes, for {_human(s.for_brute_force)} "
                               "(the audit stream has its pseudonymised source.address)",
            },
        ),
        AlertRule(
            alert="AuthorizationDenySpike",
            expr=f"({denied} / {decided} > {s.deny_ratio_above:g}) and ({denied} > {s.deny_rate_above:g})",
            for_=s.for_deny_spike,
            labels=labels,
            annotations={
                "summary": "Authorization denials on {{ $labels.job }}",
                "description": f"More than {s.deny_ratio_above * 100:g}% of the authorization decisions of "
                               f"{job.name} were denials (over {s.deny_rate_above:g} per second) "
                               f"for {_human(s.for_deny_spike)}",
            },
        ),
        AlertRule(
            alert="RateLimitSaturation",
            expr=f"{limited} / {served} > {s.rate_limited_ratio_above:g}",
            for_=s.for_rate_limit,
            labels=labels,
            annotations={
                "summary": "Rate limit refusing requests to {{ $labels.path }} on {{ $labels.job }}",
                "description": f"More than {s.rate_limited_ratio_above * 100:g}% of the requests to "
                               f"{{{{ $labels.path }}}} on {job.name} were answered 429 (rate limited) "
                               f"for {_human(s.for_rate_limit)}",
            },
        ),
    ]
    return [with_runbooks(config, RuleFile(name="security_alerts",
                                           groups=[RuleGroup(name="security", rules=rules)]))]
