"""Our middleware against the reference, opentelemetry-instrumentation-fastapi (stable semconv).

For the same requests both must give the same server span names, span attributes and
status, and count the same requests per (method, route, status). Metric *names* differ by
design: the contrib emits ``http.server.request.duration``, we emit the catalog's
``http_requests_total`` / ``http_request_duration_seconds`` the dashboards query.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from instrumentation.catalog import HTTP_METRICS

PROBE = Path(__file__).parent / "apps" / "parity_probe.py"


@pytest.fixture(scope="module")
def probe() -> dict:
    env = {**os.environ, "OTEL_SEMCONV_STABILITY_OPT_IN": "http"}
    result = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# The contrib writes the Host header's port into server.address ("api.test:8080") and
# omits server.port; we follow the semantic conventions and split them.
CONTRIB_QUIRKS = {"server.address", "server.port"}


def test_same_span_names_and_status(probe):
    contrib = [(s["name"], s["kind"], s["status"]) for s in probe["contrib"]["spans"]]
    ours = [(s["name"], s["kind"], s["status"]) for s in probe["ours"]["spans"]]
    assert ours == contrib


def test_same_span_attributes(probe):
    for theirs, mine in zip(probe["contrib"]["spans"], probe["ours"]["spans"], strict=True):
        expected = {k: v for k, v in theirs["attributes"].items() if k not in CONTRIB_QUIRKS}
        actual = {k: v for k, v in mine["attributes"].items() if k not in CONTRIB_QUIRKS}
        assert actual == expected, mine["name"]
        assert mine["attributes"]["server.address"] == "api.test"
        assert mine["attributes"]["server.port"] == 8080


def test_same_requests_counted_per_method_route_status(probe):
    assert probe["ours"]["counts"] == probe["contrib"]["counts"]


def test_metric_names_are_the_catalog_ones(probe):
    assert set(probe["ours"]["families"]) == {spec.prometheus_name for spec in HTTP_METRICS}
