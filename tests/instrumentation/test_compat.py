"""The compat boundary: a private OpenTelemetry name that moves upstream leaves requests on
the public SDK path, with one warning, never an import or request failure."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from instrumentation.fast import compat
from tests.instrumentation.renaming import hide

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def items_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


@pytest.fixture
def reprobe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo the test's hiding, then probe again, so later tests get the mode they started with."""
    yield
    monkeypatch.undo()
    compat.probe(warn=False)


def compat_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "instrumentation.compat" and r.levelno == logging.WARNING]


@pytest.mark.skipif(compat.RESULT.forced_public, reason="OBSCODE_OTEL_FAST=0: no fast path to fall back from")
@pytest.mark.parametrize("spec", compat.PRIVATE_NAMES, ids=lambda s: f"{s.owner.rpartition('.')[2]}.{s.name}")
def test_a_renamed_private_name_leaves_requests_on_the_public_path(spec, monkeypatch, reprobe, serve, caplog):
    hide(monkeypatch, spec)
    compat.reset_warning()
    with caplog.at_level(logging.WARNING, logger="instrumentation.compat"):
        compat.probe()
        served = serve(items_app())
        responses = [served.client.get("/items/7", headers={"traceparent": TRACEPARENT}) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.headers["x-trace-id"] == TRACE_ID for r in responses)
    warnings = compat_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert f"{spec.owner}.{spec.name}" in warnings[0] and "public SDK path" in warnings[0]
    processor = served.handle.tracer_provider._active_span_processor._span_processors[0]
    assert not compat.FAST or processor.emit is None  # the batch processor's own queue then
    spans = served.server_spans()
    assert len(spans) == 3
    for span in spans:
        assert span.name == "GET /items/{item_id}" and span.context.trace_id == int(TRACE_ID, 16)
        assert span.parent.span_id == 0xB7AD6B7169203331 and span.parent.is_remote
        assert span.attributes["http.route"] == "/items/{item_id}"
        assert span.attributes["http.response.status_code"] == 200
    assert [line["trace_id"] for line in served.access_logs()] == [TRACE_ID] * 3


def test_every_private_name_is_probed_and_found_on_the_supported_sdk():
    result = compat.probe(warn=False)
    assert result.missing == ()
    assert result.fast == (os.environ.get(compat.ENV_VAR, "").strip() != "0")


def test_the_warning_is_given_once_per_process(monkeypatch, reprobe, caplog):
    [spec] = [s for s in compat.PRIVATE_NAMES if s.name == "_root"]
    hide(monkeypatch, spec)
    compat.reset_warning()
    with caplog.at_level(logging.WARNING, logger="instrumentation.compat"):
        compat.probe()
        compat.probe()
    assert len(compat_warnings(caplog)) == (0 if compat.RESULT.forced_public else 1)


def test_forcing_the_public_path_takes_it_without_a_warning(monkeypatch, reprobe, serve, caplog):
    monkeypatch.setenv(compat.ENV_VAR, "0")
    compat.reset_warning()
    with caplog.at_level(logging.WARNING, logger="instrumentation.compat"):
        result = compat.probe()
        served = serve(items_app())
        assert served.client.get("/items/1").status_code == 200
    assert (result.fast, result.forced_public) == (False, True)
    assert compat_warnings(caplog) == []
    [span] = served.server_spans()
    assert type(span).__name__ == "ReadableSpan" and span.name == "GET /items/{item_id}"


def test_renamed_names_read_at_import_do_not_fail_the_import_of_auto_instrumentation(tmp_path):
    """A fresh interpreter where the span key and ParentBased's root delegate were renamed
    before ``import instrumentation.auto``: the app serves, one warning on stderr."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from tests.instrumentation.renaming import hide_before_import\n"
        "hide_before_import('opentelemetry.trace.propagation', '_SPAN_KEY', 'module')\n"
        "hide_before_import('opentelemetry.sdk.trace', '_tracer_metrics', 'module')\n"
        "hide_before_import('opentelemetry.sdk.trace.sampling:ParentBased', '_root', 'instance')\n"
        "import instrumentation.auto\n"
        "from fastapi import FastAPI\n"
        "from fastapi.testclient import TestClient\n"
        "from instrumentation.fast import compat\n"
        "app = FastAPI()\n"
        "app.get('/ping')(lambda: {'ok': True})\n"
        "with TestClient(app) as client:\n"
        "    codes = [client.get('/ping', headers={'traceparent': %r}).status_code for _ in range(2)]\n"
        "print('RESULT', __import__('json').dumps({'codes': codes, 'fast': compat.FAST}))\n"
    ) % (str(ROOT), TRACEPARENT)
    env = {**os.environ, "OBSCODE_LOG_FILE": str(tmp_path / "app.log")}
    env.pop(compat.ENV_VAR, None)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    [line] = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert json.loads(line[7:]) == {"codes": [200, 200], "fast": False}
    warnings = [line for line in run.stderr.splitlines() if "public SDK path" in line]
    assert len(warnings) == 1
    for name in ("_SPAN_KEY", "_tracer_metrics", "ParentBased._root"):
        assert name in warnings[0]
    access = [json.loads(line) for line in (tmp_path / "app.log").read_text().splitlines() if '"instrumentation.access"' in line]
    assert [line["trace_id"] for line in access] == [TRACEPARENT[3:35]] * 2
