"""Quantis' service level objectives: API availability and latency, forecast success.

Each becomes rules, one alert per burn-rate tier (pages are critical and reach the pager,
tickets are warnings for the team's inbox, as the seed routes severities), an inhibit rule
so a page mutes the tickets of the same SLO, a row of the error-budget dashboard and promtool
tests proving each tier's detection time (docs/slo.md).
"""

from __future__ import annotations

from obscode import SLO, LatencySLI, RatioSLI

from .config import CONFIG, QuantisConfig


def slos(config: QuantisConfig = CONFIG) -> list[SLO]:
    o = config.objectives
    api = f'job="{config.api.name}"'
    forecast = f'{api}, path="{o.forecast_path}"'
    return [
        SLO(name="api-availability", service="api", objective=o.api_availability,
            description="API requests do not fail with a server error",
            sli=RatioSLI(total=f"http_requests_total{{{api}}}", bad=f'http_requests_total{{{api}, status=~"5.."}}'),
            labels={"category": "system"}),
        SLO(name="api-latency", service="api", objective=o.api_latency,
            description=f"API requests are answered within {o.api_latency_seconds}s",
            sli=LatencySLI(histogram=f"http_request_duration_seconds{{{api}}}", threshold=o.api_latency_seconds),
            labels={"category": "system"}),
        SLO(name="prediction-success", service="model-service", objective=o.prediction_success,
            description="forecasts are served without an error",
            sli=RatioSLI(total=f"http_requests_total{{{forecast}}}",
                         bad=f'http_requests_total{{{forecast}, status=~"5.."}}'),
            labels={"category": "model"}),
    ]
