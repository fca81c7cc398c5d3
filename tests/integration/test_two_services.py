"""Two instrumented uvicorn services, A calling B through httpx: one request is one trace, in
both services' spans (exported through the real OTLP/HTTP exporter to a receiver of the
test's own) and in both services' access-log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, free_port, stop_process_group
from tests.instrumentation.otlp_receiver import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.integration

APPS = Path(__file__).parent / "apps"


@dataclass
class Service:
    name: str
    url: str
    log: Path
    proc: subprocess.Popen  # type: ignore[type-arg]

    def access_lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue  # uvicorn's own start-up lines
            if isinstance(line, dict) and line.get("logger") == "instrumentation.access":
                lines.append(line)
        return lines


def wait_until(done: Callable[[], bool], what: str, proc: subprocess.Popen | None = None,  # type: ignore[type-arg]
               timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


def healthy(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False
    return check


def start_service(name: str, tmp: Path, receiver: OtlpReceiver, extra_env: dict[str, str]) -> Service:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {
        **os.environ,
        "OTEL_SERVICE_NAME": name,
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OBSCODE_LOG_FORMAT": "json",
        "OBSCODE_EXCLUDED_PATHS": "/health",
        "PYTHONPATH": str(ROOT),
        **extra_env,
    }
    env.pop("OBSCODE_LOG_FILE", None)  # the access log goes to stdout, into the log file below
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
             "--app-dir", str(APPS), "chain_app:app"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
        )
    service = Service(name, f"http://127.0.0.1:{port}", log, proc)
    try:
        wait_until(healthy(service.url), f"service {name} ({log.read_text(errors='replace')[-2000:]})", proc)
    except BaseException:
        stop_process_group(proc)
        raise
    return service


@pytest.fixture
def two_services(tmp_path: Path) -> Iterator[tuple[Service, Service, OtlpReceiver]]:
    with OtlpReceiver() as receiver:
        started: list[Service] = []
        try:
            b = start_service("service-b", tmp_path, receiver, {})
            started.append(b)
            a = start_service("service-a", tmp_path, receiver, {"DOWNSTREAM_URL": b.url})
            started.append(a)
            yield a, b, receiver
        finally:
            for service in reversed(started):
                stop_process_group(service.proc)


def by_role(spans: list[ReceivedSpan], trace_id: str) -> dict[str, ReceivedSpan]:
    """The trace's spans as ``{"a-server", "a-client", "b-server"}`` (those present)."""
    roles = {
        ("service-a", "SERVER", "GET /front"): "a-server",
        ("service-a", "CLIENT", "GET"): "a-client",
        ("service-b", "SERVER", "GET /back/{item}"): "b-server",
    }
    found = {}
    for span in spans:
        role = roles.get((span.service, span.kind, span.name))
        if role is not None and span.trace_id == trace_id:
            found[role] = span
    return found


def test_a_request_through_two_services_is_one_trace_in_their_spans_and_access_logs(two_services):
    a, b, receiver = two_services
    response = httpx.get(f"{a.url}/front", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"downstream": {"item": 7}}
    trace_id = response.headers["x-trace-id"]

    spans = receiver.wait_for(lambda received: len(by_role(received, trace_id)) == 3)
    trace = by_role(spans, trace_id)
    assert trace["a-server"].parent_span_id == ""
    assert trace["a-client"].parent_span_id == trace["a-server"].span_id
    assert trace["b-server"].parent_span_id == trace["a-client"].span_id
    client = trace["a-client"].attributes
    assert client["url.full"] == f"{b.url}/back/7"
    assert client["http.response.status_code"] == 200
    assert client["server.port"] == int(b.url.rsplit(":", 1)[1])
    # The exporters' own POSTs to the receiver are never traced.
    assert [span.span_id for span in spans if span.kind == "CLIENT"] == [trace["a-client"].span_id]

    for service, path in ((a, "/front"), (b, "/back/{item}")):
        wait_until(lambda: any(line.get("trace_id") == trace_id for line in service.access_lines()),
                   f"access-log line of {service.name} with trace id {trace_id}", service.proc, timeout=15)
        [line] = [line for line in service.access_lines() if line.get("trace_id") == trace_id]
        assert line["span_id"] == trace[f"{service.name[-1]}-server"].span_id
        assert path in json.dumps(line)
