"""User Activity: active users, API and feature usage per plan, sessions and the funnel of
the api job's UserActivity (instrumentation.activity). No panel is per user: there is no
user label to draw. The funnel ratios are FunnelConversionLow's own expressions, coloured
by its threshold.
"""

from __future__ import annotations

from grafanalib import core as g

from ..activity_alerts import conversion, funnel_pairs
from ..config import CONFIG
from ._build import (
    FULL, HALF, QUARTER, Heatmap, dashboard, grid, rising_steps, stat, steps, target, timeseries, variable,
)

UID = "quantis-user-activity"
SEL = 'job=~"$job", instance=~"$instance"'
PLAN_SEL = f'{SEL}, plan=~"$plan"'
#: The funnel, as FunnelConversionLow counts it: requests that say their plan.
FUNNEL_SEL = f'{PLAN_SEL}, plan!="none"'

RETENTION = ("Share of the last day's users active in the last hour: active_users{window=\"1h\"} / "
             "active_users{window=\"1d\"}. A stickiness proxy, not a cohort retention (that needs state "
             "per user, which the service does not keep): 1 means everyone seen today came back within "
             "the hour; it falls when users come once and leave.")


def _active(window: str) -> str:
    # max, not sum: each process counts its own users, and one user served by two replicas is one user.
    return f'max(active_users{{{SEL}, window="{window}"}})'


def build(config=CONFIG) -> g.Dashboard:
    d, a = config.dashboards, config.activity
    w = d.rate_window
    pairs = funnel_pairs(config)
    conversion_steps = rising_steps(("green", a.funnel_conversion_below))
    pair_width = FULL // max(len(pairs), 1)
    session_bucket = f"user_session_duration_seconds_bucket{{{SEL}}}"
    panels: list[g.Panel] = [
        *(stat(f"Active users ({window})", _active(window), "short", grid(i * QUARTER, 0, QUARTER, 4),
               description=f"Distinct users seen in the last {window} (HyperLogLog estimate, about 1.6% error).")
          for i, window in enumerate(("5m", "1h", "1d"))),
        stat("Hourly share of daily users", f"{_active('1h')} / {_active('1d')}", "percentunit",
             grid(3 * QUARTER, 0, QUARTER, 4), description=RETENTION),
        timeseries("Active users", [target(f"max by (window) (active_users{{{SEL}}})", "{{window}}")], "short",
                   grid(0, 4, HALF), minimum=0,
                   description="Distinct users per window; the 1h and 1d lines lag the 5m one by design."),
        timeseries("Hourly share of daily users (retention proxy)",
                   [target(f"{_active('1h')} / {_active('1d')}", "1h / 1d")], "percentunit", grid(12, 4, HALF),
                   minimum=0, maximum=1, description=RETENTION),
        timeseries("API usage per endpoint",
                   [target(f"sum by (path) (rate(api_usage_total{{{PLAN_SEL}}}[{w}]))", "{{path}}")], "reqps",
                   grid(0, 12, HALF), minimum=0),
        timeseries("API usage per plan",
                   [target(f"sum by (plan) (rate(api_usage_total{{{PLAN_SEL}}}[{w}]))", "{{plan}}")], "reqps",
                   grid(12, 12, HALF), minimum=0,
                   description=f"Plans: {', '.join(a.plans)}; 'other' is any other value, 'none' a request without one."),
        timeseries("Feature usage",
                   [target(f"sum by (feature) (rate(feature_usage_total{{{PLAN_SEL}}}[{w}]))", "{{feature}}")],
                   "ops", grid(0, 20, HALF), minimum=0, description=f"Declared features: {', '.join(a.features)}."),
        g.BarGauge(title=f"Feature uses per plan (last {a.funnel_window})",
                   targets=[target(f"sum by (feature, plan) (increase(feature_usage_total{{{PLAN_SEL}}}[{a.funnel_window}]))",
                                   "{{feature}} ({{plan}})", instant=True)],
                   format="short", min=0, max=None, calc="lastNotNull", displayMode="gradient",
                   orientation="horizontal", thresholds=steps(), gridPos=grid(12, 20, HALF), maxDataPoints=None),
        *(stat(f"{before} \u2192 {after}", conversion(FUNNEL_SEL, before, after, a.funnel_window), "percentunit",
               grid(i * pair_width, 28, pair_width, 4), thresholds=conversion_steps,
               description=f"Uses of {after} per use of {before} over {a.funnel_window}; red below "
                           f"{a.funnel_conversion_below:g} (FunnelConversionLow).")
          for i, (before, after) in enumerate(pairs)),
        g.BarGauge(title=f"Funnel: uses per step (last {a.funnel_window})",
                   targets=[target(f'sum by (feature) (increase(feature_usage_total{{{FUNNEL_SEL}, '
                                   f'feature=~"{"|".join(a.funnel)}"}}[{a.funnel_window}]))',
                                   "{{feature}}", instant=True)],
                   format="short", min=0, max=None, calc="lastNotNull", displayMode="basic",
                   orientation="horizontal", thresholds=steps(), gridPos=grid(0, 32, HALF), maxDataPoints=None),
        timeseries("Funnel conversion between steps",
                   [target(conversion(FUNNEL_SEL, before, after, a.funnel_window), f"{before} \u2192 {after}",
                           ref=chr(ord("A") + i)) for i, (before, after) in enumerate(pairs)],
                   "percentunit", grid(12, 32, HALF), thresholds=conversion_steps, draw_thresholds=True, minimum=0,
                   description=f"Each step's uses per use of the step before, over {a.funnel_window}."),
        timeseries("Session duration",
                   [target(f"histogram_quantile({q:g}, sum by (le) (rate({session_bucket}[{w}])))", f"p{q * 100:g}",
                           ref=chr(ord("A") + i)) for i, q in enumerate(a.session_quantiles)],
                   "s", grid(0, 40, HALF), minimum=0, description="Quantiles of the sessions that ended."),
        Heatmap(title="Session duration distribution", description="Ended sessions per duration bucket.",
                targets=[g.Target(expr=f"sum by (le) (increase({session_bucket}[{w}]))", legendFormat="{{le}}",
                                  refId="A", format="heatmap")],
                gridPos=grid(12, 40, HALF), maxDataPoints=None, unit="s"),
    ]
    variables = [
        variable("job", "Job", "label_values(active_users, job)"),
        variable("instance", "Instance", 'label_values(active_users{job=~"$job"}, instance)'),
        variable("plan", "Plan", 'label_values(api_usage_total{job=~"$job", instance=~"$instance"}, plan)'),
    ]
    return dashboard("User Activity", UID, ["product", "users"], variables, panels,
                     description="Active users, API and feature usage per plan, sessions and the funnel "
                                 f"{' -> '.join(a.funnel)}, without a label per user.")
