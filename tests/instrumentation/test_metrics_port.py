"""OBSCODE_METRICS_PORT / OBSCODE_METRICS_ADDR: the exposition on its own port, not on the app's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client.parser import text_string_to_metric_families

from instrumentation import instrument
from instrumentation.config import ConfigError
from instrumentation.metrics import MetricsPipeline
from tests.conftest import free_port, require_tool, stop_process_group

APPS = Path(__file__).parent / "apps"
LOOPBACK = "127.0.0.1"


def counted(text: str, path: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels.get("path") == path
    )


def sample_map(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def uvicorn_env(metrics_port: int) -> dict[str, str]:
    env = {
        **os.environ, "OBSCODE_METRICS_PORT": str(metrics_port), "OBSCODE_METRICS_ADDR": LOOPBACK,
        "OBSCODE_ACCESS_LOG": "false", "OTEL_SERVICE_NAME": "metrics-port",
    }
    for name in ("OBSCODE_MULTIPROC_DIR", "OBSCODE_METRICS_PATH", "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        env.pop(name, None)
    return env


def start_uvicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--host", LOOPBACK, "--port", str(port),
             "--app-dir", str(APPS), "worker_app:app"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """worker_app under a real single-process uvicorn, metrics on a port of their own."""
    app_port, metrics_port = free_port(), free_port()
    while metrics_port == app_port:
        metrics_port = free_port()
    log = tmp_path / "uvicorn.log"
    proc = start_uvicorn(uvicorn_env(metrics_port), app_port, log)
    app, metrics = f"http://{LOOPBACK}:{app_port}", f"http://{LOOPBACK}:{metrics_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(metrics + "/metrics", timeout=1).status_code == 200 and \
                        httpx.get(app + "/docs", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"uvicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)
        yield app, metrics, log
    finally:
        stop_process_group(proc)


@pytest.mark.integration
def test_uvicorn_app_serves_its_metrics_on_the_metrics_port_only(served):
    promtool = require_tool("promtool")
    app, metrics, _log = served
    sent = 25
    for _ in range(sent):
        with httpx.Client(timeout=10) as client:
            assert client.get(app + "/work").status_code == 200

    deadline = time.monotonic() + 10
    while True:
        response = httpx.get(metrics + "/metrics", timeout=5)
        assert response.status_code == 200
        if counted(response.text, "/work") == sent or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert counted(response.text, "/work") == sent, response.text
    assert response.headers["content-type"].startswith("text/plain")
    check = subprocess.run([promtool, "check", "metrics"], input=response.text, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == "" and check.stderr.strip() == "", check.stdout + check.stderr

    # The app no longer answers the metrics path itself: it is an ordinary unknown route.
    on_app = httpx.get(app + "/metrics", timeout=5)
    assert on_app.status_code == 404
    assert "http_requests_total" not in on_app.text


@pytest.mark.integration
def test_metrics_port_already_in_use_stops_the_service_with_a_clear_message(tmp_path):
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 0))
        holder.listen()
        taken = holder.getsockname()[1]
        log = tmp_path / "uvicorn.log"
        proc = start_uvicorn(uvicorn_env(taken), free_port(), log)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_process_group(proc)
            raise AssertionError("uvicorn kept running without its metrics port") from None
        finally:
            stop_process_group(proc)
    output = log.read_text(errors="replace")
    assert proc.returncode != 0
    assert f"OBSCODE_METRICS_PORT={taken}: cannot serve metrics on {LOOPBACK}:{taken}" in output, output[-3000:]
    assert "Address already in use" in output


def hello_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "hello"}

    return app


def test_metrics_port_serves_what_the_app_would_and_uninstrument_closes_it():
    port = free_port()
    app = hello_app()
    handle = instrument(app, tracer_provider=TracerProvider(), metrics=MetricsPipeline(), log_format="off",
                        metrics_port=port, metrics_addr=LOOPBACK, trace_clients=False)
    url = f"http://{LOOPBACK}:{port}/metrics"
    try:
        with TestClient(app) as client:
            for _ in range(3):
                assert client.get("/hello").status_code == 200
            assert client.get("/metrics").status_code == 404
        scraped = httpx.get(url, timeout=5)
        assert scraped.status_code == 200
        assert counted(scraped.text, "/hello") == 3
        # The port re-serves the same exposition (every family, label and value) the app path would;
        # the process's CPU time and memory move between two reads, so only their series are compared.
        served, fresh = sample_map(scraped.text), sample_map(handle.exposition().decode("utf-8"))
        assert served.keys() == fresh.keys()
        assert {k: v for k, v in served.items() if not k[0].startswith("process_")} == {
            k: v for k, v in fresh.items() if not k[0].startswith("process_")}
    finally:
        handle.uninstrument()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)
    # The port is free again: a new instrumentation can bind it.
    again = instrument(hello_app(), tracer_provider=TracerProvider(), metrics=MetricsPipeline(),
                       log_format="off", metrics_port=port, metrics_addr=LOOPBACK)
    again.uninstrument()


def writer_threads() -> int:
    return sum(thread.name == "obscode-multiproc" for thread in threading.enumerate())


def test_metrics_port_in_use_raises_a_config_error_naming_the_port(tmp_path):
    before = writer_threads()
    with socket.socket() as holder:
        holder.bind((LOOPBACK, 0))
        holder.listen()
        taken = holder.getsockname()[1]
        app = hello_app()
        with pytest.raises(ConfigError) as raised:
            instrument(app, tracer_provider=TracerProvider(), metrics=MetricsPipeline(), log_format="off",
                       metrics_port=taken, metrics_addr=LOOPBACK, multiproc_dir=str(tmp_path))
    message = str(raised.value)
    assert message.startswith(f"OBSCODE_METRICS_PORT={taken}: cannot serve metrics on {LOOPBACK}:{taken} "
                              f"(OBSCODE_METRICS_ADDR={LOOPBACK}): Address already in use"), message
    assert "unset OBSCODE_METRICS_PORT" in message
    assert isinstance(raised.value.__cause__, OSError)
    # Nothing half set up is left behind: the app is untouched and no snapshot writer runs.
    assert not hasattr(app, "_obscode_instrumentation")
    assert writer_threads() == before
