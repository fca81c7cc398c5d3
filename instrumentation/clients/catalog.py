"""The metric the HTTP client instrumentation emits: defined in ``instrumentation.catalog``
(the single source of truth), re-exported here for the client modules.

The Prometheus form of the semantic conventions' ``http.client.request.duration``: the
Prometheus exporter writes dots as underscores, so the family is
``http_client_request_duration_seconds`` and the attributes become its labels.
"""

from __future__ import annotations

from instrumentation.catalog import HTTP_CLIENT_METRICS, HTTP_CLIENT_REQUEST_DURATION

__all__ = ["HTTP_CLIENT_METRICS", "HTTP_CLIENT_REQUEST_DURATION"]
