"""A running app instrumented with ``instrumentation.instrument(app)`` serves exactly the
metric families ``instrumentation.catalog.HTTP_METRICS`` declares: the catalog the checks
use is the truth about what the service emits."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import instrumentation
from obscode.model.catalog import from_exposition, instrumentation_http
from stacks.quantis.service.processes import free_port, http_ok, spawn, wait_until
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    not hasattr(instrumentation, "instrument") and os.environ.get("CI", "").lower() != "true",
    reason="instrumentation.instrument is not built yet",
)

APP = '''
from fastapi import FastAPI, HTTPException
from instrumentation import instrument

app = FastAPI()

@app.get("/items/{item_id}")
def item(item_id: int) -> dict:
    if item_id == 0:
        raise HTTPException(status_code=404)
    return {"id": item_id}

instrument(app, service="catalog-test")
'''


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "catalog_app.py").write_text(APP)
    port = free_port()
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "OBSCODE_LOG_FORMAT": "json",
           "OTEL_TRACES_SAMPLER": "always_off", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}
    url = f"http://127.0.0.1:{port}"
    app = spawn("uvicorn", [sys.executable, "-m", "uvicorn", "catalog_app:app", "--host", "127.0.0.1",
                            "--port", str(port)], tmp_path, env=env, cwd=tmp_path)
    try:
        wait_until(http_ok(url + "/items/1"), 30, "the instrumented app", app)
        yield url
    finally:
        app.stop()


@pytest.mark.integration
def test_metrics_endpoint_serves_exactly_the_catalog_families(app_url: str) -> None:
    for path in ("/items/1", "/items/0", "/nowhere"):
        httpx.get(app_url + path, timeout=5)
    body = httpx.get(app_url + "/metrics", timeout=5).text
    served = {m.name: m for m in from_exposition("served", body).metrics}
    declared = {m.name: m for m in instrumentation_http().metrics}
    assert set(served) == set(declared), f"served {sorted(served)}, catalog declares {sorted(declared)}"
    for name, metric in served.items():
        assert metric.type == declared[name].type, name
        assert set(metric.labels) <= set(declared[name].labels), (name, metric.labels)
    assert served["http_requests_total"].labels == ["method", "path", "status"]
    assert served["http_request_duration_seconds"].labels == ["method", "path"]
