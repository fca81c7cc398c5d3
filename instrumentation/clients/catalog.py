"""The metric the HTTP client instrumentation emits, as plain data (stdlib only, like
``instrumentation.catalog``, which should list it in ``ALL_METRICS``).

The Prometheus form of the semantic conventions' ``http.client.request.duration``: the
Prometheus exporter writes dots as underscores, so the family is
``http_client_request_duration_seconds`` and the attributes become the labels below.
"""

from __future__ import annotations

from instrumentation.catalog import SECONDS_BUCKETS, MetricSpec

HTTP_CLIENT_REQUEST_DURATION = MetricSpec(
    name="http_client_request_duration",
    type="histogram",
    unit="s",
    help="Outgoing HTTP request duration in seconds (until the response headers), "
    "by method, server, status code and error type.",
    labels=("http_request_method", "server_address", "server_port", "http_response_status_code", "error_type"),
    buckets=SECONDS_BUCKETS,
)

#: What a process with ``instrument_http_clients(metrics=...)`` adds to ``HTTP_METRICS``.
HTTP_CLIENT_METRICS: tuple[MetricSpec, ...] = (HTTP_CLIENT_REQUEST_DURATION,)
