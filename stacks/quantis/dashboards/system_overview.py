"""System Overview: one screen for every component, linking to the detailed dashboards."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ._build import HALF, QUARTER, dashboard, grid, job_and_instance, rising_steps, stat, steps, target, timeseries

UID = "system-overview"
SEL = 'job=~"$job", instance=~"$instance"'


def build(config=CONFIG) -> g.Dashboard:
    d, t = config.dashboards, config.thresholds
    w = d.rate_window
    errors = (f'sum(rate(http_requests_total{{{SEL}, status=~"{t.server_error_status}"}}[{w}]))'
              f" / sum(rate(http_requests_total{{{SEL}}}[{w}]))")
    panels = [
        stat("Targets up", f"sum(up{{{SEL}}})", "none", grid(0, 0, QUARTER, 4), thresholds=rising_steps(("green", 1))),
        stat("Targets down", f"count(up{{{SEL}}} == 0) or vector(0)", "none", grid(6, 0, QUARTER, 4),
             thresholds=steps(("red", 1)), description="ServiceDown fires when a target stays down."),
        stat("Requests per second", f"sum(rate(http_requests_total{{{SEL}}}[{w}]))", "reqps", grid(12, 0, QUARTER, 4)),
        stat("HTTP error ratio", errors, "percentunit", grid(18, 0, QUARTER, 4),
             thresholds=steps(("orange", t.error_ratio_warning), ("red", t.error_ratio_critical))),
        stat("CPU busy", f'1 - avg(rate(node_cpu_seconds_total{{{SEL}, mode="idle"}}[$__rate_interval]))',
             "percentunit", grid(0, 4, QUARTER, 4), thresholds=steps(("red", 1 - t.cpu_idle_ratio_below))),
        stat("Memory used",
             f"1 - sum(node_memory_MemAvailable_bytes{{{SEL}}}) / sum(node_memory_MemTotal_bytes{{{SEL}}})",
             "percentunit", grid(6, 4, QUARTER, 4), thresholds=steps(("red", t.memory_used_ratio_above))),
        stat("Predictions per second", f"sum(rate(model_predictions_total{{{SEL}}}[{w}]))", "ops",
             grid(12, 4, QUARTER, 4)),
        stat("Worst drift score", f"max(model_drift_score{{{SEL}}})", "none", grid(18, 4, QUARTER, 4),
             thresholds=steps(("red", t.drift_score_above))),
        timeseries("Request rate by job", [target(f"sum by (job) (rate(http_requests_total{{{SEL}}}[{w}]))", "{{job}}")],
                   "reqps", grid(0, 8, HALF)),
        timeseries("Response time p95 by job",
                   [target(f"histogram_quantile(0.95, sum by (le, job) "
                           f"(rate(http_request_duration_seconds_bucket{{{SEL}}}[{w}])))", "{{job}}")],
                   "s", grid(12, 8, HALF)),
        g.Table(title="Scrape targets", targets=[target(f"up{{{SEL}}}", instant=True, table=True)],
                gridPos=grid(0, 16, 24), unit="none", maxDataPoints=None,
                description="Every target Prometheus scrapes; value 0 means down."),
    ]
    return dashboard("System Overview", UID, ["overview"], job_and_instance("up"), panels,
                     description="Health of every Quantis component at a glance.")
