"""Fixtures that run the Quantis stack for real: prometheus, prometheus-alertmanager,
prometheus-node-exporter, PostgreSQL + prometheus-postgres-exporter, the demo service
(uvicorn subprocess) and a webhook sink, on free 127.0.0.1 ports in temp dirs, with the
``local`` profile's short intervals. Everything is stopped by PID in the finaliser, even
when the test fails.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from stacks.quantis.service.live import LiveStack
from tests.conftest import require_tool

pytestmark = pytest.mark.integration

TOOLS = ("prometheus", "prometheus-alertmanager", "prometheus-node-exporter", "amtool",
         "prometheus-pushgateway")  # LiveStack starts a Pushgateway for training runs
DATABASE_TOOLS = ("prometheus-postgres-exporter",)


def _require_stack_tools() -> None:
    for tool in TOOLS:
        require_tool(tool)


def _database_available() -> bool:
    """PostgreSQL and its exporter are wanted; in CI their absence fails the test."""
    for tool in DATABASE_TOOLS:
        require_tool(tool)
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        require_tool("initdb")
    return True


def _start(tmp: Path, with_database: bool) -> LiveStack:
    _require_stack_tools()
    return LiveStack.start(tmp, with_database=with_database and _database_available())


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveStack]:
    """A fresh stack per test (a fresh Prometheus history keeps rate windows clean)."""
    stack = _start(tmp_path, with_database=True)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def loaded_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One stack per module, with the database, for tests that only read."""
    stack = _start(tmp_path_factory.mktemp("live"), with_database=True)
    try:
        yield stack
    finally:
        stack.stop()


class Load:
    """Forecast requests from ``workers`` threads until stopped (a tiny load generator)."""

    def __init__(self, live: LiveStack, workers: int = 3) -> None:
        self.live = live
        self.workers = workers
        self.sent = 0
        self.statuses: dict[int, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _run(self, worker: int) -> None:
        with httpx.Client(timeout=10.0) as client:
            i = worker
            while not self._stop.is_set():
                try:
                    response = client.post(f"{self.live.service_url}/api/forecast",
                                           json={"store_id": i % 8, "horizon": 14})
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                with self._lock:
                    self.sent += 1
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                i += self.workers

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(self.workers)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)


def burst(live: LiveStack, n: int, workers: int = 8) -> None:
    """``n`` forecasts as fast as ``workers`` threads go; every one must succeed."""
    with httpx.Client(timeout=10.0) as client, ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(lambda i: client.post(f"{live.service_url}/api/forecast",
                                                      json={"store_id": i % 8, "horizon": 14}).status_code,
                                 range(n)))
    assert set(statuses) == {200}, f"forecast statuses: {statuses}"


def amtool_receivers(config: Path, labels: dict[str, str]) -> list[str]:
    """Receivers ``amtool config routes test`` names for ``labels`` on ``config``."""
    amtool = require_tool("amtool")
    proc = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *[f"{k}={v}" for k, v in labels.items()]],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().split(",")


