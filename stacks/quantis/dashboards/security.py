"""Security: authentication events, the busiest client's failed logins, authorization denials,
429s by route, rate-limiter hits and data accesses (what ``instrumentation.audit`` counts).

Panels colour by the security alerts' thresholds (``config.security``), so a panel turns red
exactly when its alert's condition holds."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG, QuantisConfig
from ._build import HALF, QUARTER, dashboard, grid, job_and_instance, stat, steps, target, timeseries

UID = "quantis-security"
SEL = 'job=~"$job", instance=~"$instance"'


def build(config: QuantisConfig = CONFIG) -> g.Dashboard:
    s, w = config.security, config.dashboards.rate_window
    denied = f'sum(rate(audit_authorization_decisions_total{{{SEL}, decision="deny"}}[{w}]))'
    decided = f"sum(rate(audit_authorization_decisions_total{{{SEL}}}[{w}]))"
    limited = f"sum by (path) (rate(audit_rate_limited_responses_total{{{SEL}}}[{w}]))"
    served = f"sum by (path) (rate(http_requests_total{{{SEL}}}[{w}]))"
    brute_steps = steps(("red", s.brute_force_failures_above))
    deny_steps = steps(("red", s.deny_ratio_above))
    limit_steps = steps(("red", s.rate_limited_ratio_above))
    panels = [
        stat("Failed logins, busiest client (5m)", f"max(audit_authentication_failures_top_client{{{SEL}}})",
             "short", grid(0, 0, QUARTER, 4), thresholds=brute_steps,
             description="Failed authentications of the one client with the most of them over the last "
                         f"5 minutes; BruteForceSuspected fires above {s.brute_force_failures_above:g}."),
        stat("Failed authentications / s",
             f'sum(rate(audit_authentication_events_total{{{SEL}, outcome="failure"}}[{w}]))',
             "ops", grid(6, 0, QUARTER, 4)),
        stat("Deny ratio", f"{denied} / {decided}", "percentunit", grid(12, 0, QUARTER, 4), thresholds=deny_steps,
             description="Share of authorization decisions that denied; AuthorizationDenySpike fires above "
                         f"{s.deny_ratio_above * 100:g}% with more than {s.deny_rate_above:g} denials per second."),
        stat("Rate-limited share (busiest route)", f"max({limited} / {served})", "percentunit",
             grid(18, 0, QUARTER, 4), thresholds=limit_steps,
             description="The largest share of one route's requests answered 429; RateLimitSaturation fires "
                         f"above {s.rate_limited_ratio_above * 100:g}%."),
        timeseries("Authentication events by outcome and method",
                   [target(f"sum by (outcome, auth_method) (rate(audit_authentication_events_total{{{SEL}}}[{w}]))",
                           "{{outcome}} {{auth_method}}")],
                   "ops", grid(0, 4, HALF)),
        timeseries("Failed logins of the busiest client (5m)",
                   [target(f"max(audit_authentication_failures_top_client{{{SEL}}})", "busiest client")],
                   "short", grid(12, 4, HALF), thresholds=brute_steps, draw_thresholds=True, minimum=0,
                   description="No client is named: the audit stream has the pseudonymised source.address."),
        timeseries("Authorization denials by resource and action",
                   [target(f'sum by (resource, action) (rate(audit_authorization_decisions_total{{{SEL}, '
                           f'decision="deny"}}[{w}]))', "{{action}} {{resource}}")],
                   "ops", grid(0, 12, HALF)),
        timeseries("Deny ratio",
                   [target(f"{denied} / {decided}", "denied share")],
                   "percentunit", grid(12, 12, HALF), thresholds=deny_steps, draw_thresholds=True,
                   minimum=0, maximum=1),
        timeseries("429 responses by route",
                   [target(f"sum by (method, path) (rate(audit_rate_limited_responses_total{{{SEL}}}[{w}]))",
                           "{{method}} {{path}}")],
                   "reqps", grid(0, 20, HALF)),
        timeseries("Rate-limited share by route",
                   [target(f"{limited} / {served}", "{{path}}")],
                   "percentunit", grid(12, 20, HALF), thresholds=limit_steps, draw_thresholds=True,
                   minimum=0, maximum=1),
        timeseries("Rate-limiter hits by limit",
                   [target(f"sum by (limit) (rate(audit_rate_limit_hits_total{{{SEL}}}[{w}]))", "{{limit}}")],
                   "ops", grid(0, 28, HALF)),
        timeseries("Data accesses by resource and action",
                   [target(f"sum by (resource, action, outcome) (rate(audit_data_access_events_total{{{SEL}}}[{w}]))",
                           "{{action}} {{resource}} ({{outcome}})")],
                   "ops", grid(12, 28, HALF)),
    ]
    return dashboard("Security", UID, ["security"], job_and_instance("audit_authentication_events_total"), panels,
                     description="Authentication, authorization, rate limits and data access "
                                 "(instrumentation.audit), without a label per user or client.")
