"""Several uvicorn workers, one scrape: counters equal the requests sent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import stop_process_group

APPS = Path(__file__).parent / "apps"
REQUESTS = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def workers(tmp_path: Path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    env = {
        **os.environ, "OBSCODE_MULTIPROC_DIR": str(metrics_dir), "OBSCODE_MULTIPROC_INTERVAL": "0.2",
        "OBSCODE_ACCESS_LOG": "false", "OTEL_SERVICE_NAME": "workers",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
         "--app-dir", str(APPS), "worker_app:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if len(list(metrics_dir.glob("*.json"))) >= 2 and httpx.get(base + "/metrics", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"uvicorn did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)
    yield base, metrics_dir
    stop_process_group(proc)


def served_count(text: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels.get("path") == "/work":
                total += sample.value
    return total


def test_scraped_counter_equals_requests_sent_across_two_workers(workers):
    base, metrics_dir = workers

    def call(_: int) -> int:
        # A fresh connection per request lets either worker accept it.
        with httpx.Client(base_url=base, timeout=10) as client:
            response = client.get("/work")
            assert response.status_code == 200
            return response.json()["pid"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        pids = set(pool.map(call, range(REQUESTS)))
    assert len(pids) == 2, "one worker served everything; the test would prove nothing"

    deadline = time.monotonic() + 15
    while True:
        counted = served_count(httpx.get(base + "/metrics", timeout=5).text)
        if counted == REQUESTS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert counted == REQUESTS
    assert {int(path.stem) for path in metrics_dir.glob("*.json")} >= pids
    # Every scrape agrees, whichever worker answers it.
    for _ in range(5):
        assert served_count(httpx.get(base + "/metrics", timeout=5).text) == REQUESTS
