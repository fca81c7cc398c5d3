"""API Performance: request rate, p95 response time and errors of the HTTP services.

The seed's two panels (API Request Rate, API Response Time p95) keep their queries,
now per job and instance."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ._build import FULL, HALF, QUARTER, dashboard, grid, job_and_instance, stat, steps, target, timeseries

UID = "api-performance"
SEL = 'job=~"$job", instance=~"$instance"'


def build(config=CONFIG) -> g.Dashboard:
    d, t = config.dashboards, config.thresholds
    w = d.rate_window
    errors = (f'sum(rate(http_requests_total{{{SEL}, status=~"{t.server_error_status}"}}[{w}]))'
              f" / sum(rate(http_requests_total{{{SEL}}}[{w}]))")
    p95 = f"histogram_quantile(0.95, sum by (le, path) (rate(http_request_duration_seconds_bucket{{{SEL}}}[{w}])))"
    error_steps = steps(("orange", t.error_ratio_warning), ("red", t.error_ratio_critical))
    latency_steps = steps(("orange", t.api_p95_seconds_warning), ("red", t.api_p95_seconds_critical))
    panels = [
        stat("Requests per second", f"sum(rate(http_requests_total{{{SEL}}}[{w}]))", "reqps", grid(0, 0, QUARTER, 4)),
        stat("Error ratio", errors, "percentunit", grid(6, 0, QUARTER, 4), thresholds=error_steps,
             description=f"Share of requests answered with status {t.server_error_status}."),
        stat("p95 response time",
             f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{SEL}}}[{w}])))",
             "s", grid(12, 0, QUARTER, 4), thresholds=latency_steps),
        stat("Requests in progress", f"sum(http_requests_in_progress{{{SEL}}})", "short", grid(18, 0, QUARTER, 4)),
        timeseries("API Request Rate",
                   [target(f"sum by (method, path) (rate(http_requests_total{{{SEL}}}[{w}]))", "{{method}} {{path}}")],
                   "reqps", grid(0, 4, HALF)),
        timeseries("API Response Time (p95)", [target(p95, "{{path}}")], "s", grid(12, 4, HALF),
                   thresholds=latency_steps, draw_thresholds=True),
        timeseries("Error ratio by path",
                   [target(f'sum by (path) (rate(http_requests_total{{{SEL}, status=~"{t.server_error_status}"}}[{w}]))'
                           f" / sum by (path) (rate(http_requests_total{{{SEL}}}[{w}]))", "{{path}}")],
                   "percentunit", grid(0, 12, HALF), thresholds=error_steps, draw_thresholds=True),
        timeseries("Responses by status",
                   [target(f"sum by (status) (rate(http_requests_total{{{SEL}}}[{w}]))", "{{status}}")],
                   "reqps", grid(12, 12, HALF)),
        timeseries("Requests in progress by method",
                   [target(f"sum by (method) (http_requests_in_progress{{{SEL}}})", "{{method}}")],
                   "short", grid(0, 20, FULL)),
    ]
    return dashboard("API Performance", UID, ["api"], job_and_instance("http_requests_total"), panels,
                     description="Request rate, latency and errors of the services instrumented with obscode.")
