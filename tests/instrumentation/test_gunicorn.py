"""gunicorn with two uvicorn workers (with and without --preload): scraped counters equal the
requests sent, every worker's snapshot writer runs, and replaced workers keep their counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.multiproc import read_snapshots
from tests.conftest import free_port, stop_process_group

APPS = Path(__file__).parent / "apps"
ROUTE = "/work"
# uvicorn's own uvicorn.workers.UvicornWorker is deprecated in favour of the uvicorn-worker package.
WORKER_CLASS = "uvicorn_worker.UvicornWorker"


@dataclass
class Gunicorn:
    proc: subprocess.Popen[bytes]
    base: str
    metrics_dir: Path
    log: Path

    def snapshot_pids(self) -> set[int]:
        """Workers that wrote a snapshot (the master too under --preload: it imported the app)."""
        # A writer's temporary file (renamed into place when complete) is not a snapshot yet.
        names = (p.stem for p in self.metrics_dir.glob("*.json") if not p.name.startswith(".tmp-"))
        return {int(name) for name in names} - {self.proc.pid}

    def on_disk(self) -> float:
        """``http_requests_total`` for the route summed over the snapshot files, without a scrape."""
        total = 0.0
        for _alive, families in read_snapshots(self.metrics_dir):
            for family in families:
                for name, labels, value in family["samples"]:
                    if name == "http_requests_total" and labels.get("path") == ROUTE:
                        total += value
        return total

    def scraped(self) -> float:
        response = get(self.base + "/metrics")
        assert response.status_code == 200
        total = 0.0
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == "http_requests_total" and sample.labels.get("path") == ROUTE:
                    total += sample.value
        return total

    def fail(self, message: str) -> None:
        log = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise AssertionError(f"{message}\n--- gunicorn output ---\n{log}")


def get(url: str) -> httpx.Response:
    """One request on a fresh connection (so any worker may accept it), retried while a replaced
    worker closes connections it accepted but never read (such a request never reached the app)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with httpx.Client(timeout=10) as client:
                return client.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def work(server: Gunicorn, count: int, threads: int = 16) -> set[int]:
    """Send ``count`` requests to the route; the pids of the workers that answered them."""

    def call(_: int) -> int:
        response = get(server.base + ROUTE)
        assert response.status_code == 200
        return int(response.json()["pid"])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return set(pool.map(call, range(count)))


def wait_until(condition: Callable[[], bool], server: Gunicorn, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if server.proc.poll() is not None:
            server.fail(f"gunicorn exited ({server.proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            server.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """``gunicorn(*args)`` starts gunicorn with two uvicorn workers serving worker_app."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> Gunicorn:
        metrics_dir = tmp_path / f"metrics{len(started)}"
        metrics_dir.mkdir()
        log = tmp_path / f"gunicorn{len(started)}.log"
        port = free_port()
        env = {
            **os.environ, "OBSCODE_MULTIPROC_DIR": str(metrics_dir), "OBSCODE_MULTIPROC_INTERVAL": "0.2",
            "OBSCODE_ACCESS_LOG": "false", "OTEL_SERVICE_NAME": "gunicorn-workers",
        }
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        env.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
        env.pop("OBSCODE_METRICS_PORT", None)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-k", WORKER_CLASS, "-w", "2",
                 "-b", f"127.0.0.1:{port}", "--chdir", str(APPS), "--graceful-timeout", "5",
                 *args, "worker_app:app"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        started.append(proc)
        server = Gunicorn(proc, f"http://127.0.0.1:{port}", metrics_dir, log)

        def ready() -> bool:
            if len(server.snapshot_pids()) < 2:
                return False
            try:
                return httpx.get(server.base + "/metrics", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, server, "both workers to write a snapshot and /metrics to answer", timeout=30)
        return server

    yield start
    for proc in started:
        stop_process_group(proc)


@pytest.mark.integration
@pytest.mark.parametrize("preload", [False, True], ids=["fork-then-import", "preload"])
def test_scraped_counter_equals_requests_sent_across_two_gunicorn_workers(gunicorn, preload):
    server = gunicorn(*(["--preload"] if preload else []))
    sent = 200
    pids = work(server, sent)
    assert len(pids) == 2, "one worker served everything; the test would prove nothing"
    assert pids <= server.snapshot_pids()

    # Each worker's own writer thread (started again in the forked child under --preload) brings
    # its file up to date with no scrape to force a write.
    wait_until(lambda: server.on_disk() == sent, server, f"snapshot files to sum to {sent}")
    # Whichever worker answers, the scrape merges both.
    for _ in range(6):
        assert server.scraped() == sent


@pytest.mark.integration
def test_workers_replaced_after_max_requests_keep_their_counts(gunicorn):
    # Every worker exits after 15 requests (scrapes included) and gunicorn starts a new one;
    # the exiting worker writes a last snapshot, which stays in the sum.
    server = gunicorn("--max-requests", "15", "--max-requests-jitter", "0")
    sent = 0
    pids: set[int] = set()
    scrapes: list[float] = []
    for _ in range(6):
        pids |= work(server, 10, threads=2)
        sent += 10
        scrapes.append(server.scraped())
    assert len(pids) > 2, f"no worker was replaced (pids {pids}); the test would prove nothing"
    assert scrapes == sorted(scrapes), f"a total went backwards: {scrapes}"
    assert all(value <= sent for value in scrapes), scrapes
    wait_until(lambda: server.on_disk() == sent, server, f"snapshot files to sum to {sent}")
    final = server.scraped()
    assert final == sent, f"scraped {final}, sent {sent}, scrapes so far {scrapes}"


@pytest.mark.integration
def test_a_killed_worker_keeps_its_count_and_its_replacement_adds_to_it(gunicorn):
    server = gunicorn("--preload")
    first = work(server, 100)
    assert len(first) == 2
    wait_until(lambda: server.on_disk() == 100, server, "snapshot files to sum to 100")

    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(server.snapshot_pids() - first) >= 1, server, "gunicorn to start a replacement")
    assert victim in server.snapshot_pids(), "the killed worker's snapshot was removed"
    assert server.scraped() == 100, "the killed worker's requests left the total"

    sent, served_by = 100, set()
    while not served_by - first:  # until the replacement has served some
        served_by |= work(server, 20)
        sent += 20
        assert sent <= 1000, "the replacement never served a request"
    wait_until(lambda: server.scraped() == sent, server, f"the scraped total to reach {sent}")
