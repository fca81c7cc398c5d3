"""Fixtures that run the Quantis stack for real: prometheus, prometheus-alertmanager,
prometheus-node-exporter, PostgreSQL + prometheus-postgres-exporter, the demo service
(uvicorn subprocess) and a webhook sink, on free 127.0.0.1 ports in temp dirs, with the
``local`` profile's short intervals. Everything is stopped by PID in the finaliser, even
when the test fails.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from obscode.routing import receivers_for
from stacks.quantis.service.live import LiveStack, wait
from stacks.quantis.service.webhook_sink import Delivery
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


# -- alerts delivered, routed and inhibited, as the live tests check them ----------------------

#: How long one phase of a live alert test (firing, resolving) may take.
PHASE_TIMEOUT = 45.0


def matches(labels: dict[str, str], where: dict[str, str] | None) -> bool:
    """Whether ``labels`` carry every label of ``where`` with its value."""
    return all(labels.get(k) == v for k, v in (where or {}).items())


def explain(live: LiveStack, alertname: str) -> str:
    """``alertname``'s state in Prometheus and its deliveries so far, for a failure message."""
    return (f"Prometheus state of {alertname}: {sorted(live.alert_state(alertname)) or 'inactive'}; "
            f"deliveries: {[(d.receiver, d.status, d.labels.get('severity')) for d in live.sink.deliveries(alertname)]}")


def predicted(live: LiveStack, labels: dict[str, str]) -> set[str]:
    """Where the stack's route tree sends ``labels``, by obscode and by amtool (which must agree)."""
    ours = receivers_for(live.files["stack"].alertmanager.route, labels)
    assert amtool_receivers(live.files["alertmanager"], labels) == ours, labels
    return set(ours)


def wait_delivered(
    live: LiveStack,
    alertname: str,
    status: str,
    receivers: set[str] | None = None,
    *,
    where: dict[str, str] | None = None,
    since: float | None = None,
    timeout: float = PHASE_TIMEOUT,
) -> list[Delivery]:
    """Wait until ``alertname`` was delivered with ``status`` (labels matching ``where``, received
    at or after ``since``) to every one of ``receivers`` (by default: those the route tree names
    for the first such delivery's labels); return those deliveries."""
    def found() -> list[Delivery]:
        return [d for d in live.sink.deliveries(alertname, status)
                if matches(d.labels, where) and (since is None or d.received_at >= since)]

    def complete() -> bool:
        deliveries = found()
        if not deliveries:
            return False
        wanted = receivers if receivers is not None else predicted(live, deliveries[0].labels)
        return wanted <= {d.receiver for d in deliveries}

    if not live.sink.wait_for(complete, timeout):
        at = sorted(receivers) if receivers is not None else "the receivers of its route"
        pytest.fail(f"{alertname} {where or ''} not {status} at {at} within {timeout:.0f}s; " + explain(live, alertname))
    return found()


def assert_routed_exactly(
    live: LiveStack,
    alertname: str,
    expected: set[str] | Callable[[dict[str, str]], set[str]] | None = None,
    *,
    where: dict[str, str] | None = None,
) -> None:
    """Every firing delivery of ``alertname`` (labels matching ``where``) reached exactly the
    receivers the route tree names (obscode's ``receivers_for`` and amtool agreeing), and
    nowhere else; ``expected`` (a set, or a function of the labels), when given, is the seed's
    tree as its issue states it, which the prediction must equal too."""
    firing = [d for d in live.sink.deliveries(alertname, "firing") if matches(d.labels, where)]
    assert firing, f"{alertname} was never delivered; " + explain(live, alertname)
    for labels in {tuple(sorted(d.labels.items())) for d in firing}:
        labels_dict = dict(labels)
        route = predicted(live, labels_dict)
        if expected is not None:
            assert route == (expected(labels_dict) if callable(expected) else expected), labels_dict
        got = {d.receiver for d in firing if d.labels == labels_dict}
        assert got == route, f"{alertname} {labels_dict} reached {sorted(got)}, the route tree says {sorted(route)}"


def alertmanager_alerts(live: LiveStack, alertname: str) -> list[dict[str, Any]]:
    """Alertmanager's active alerts of ``alertname``, inhibited ones included."""
    response = live.client.get(f"{live.alertmanager_url}/api/v2/alerts", params={
        "filter": f'alertname="{alertname}"', "silenced": "false", "inhibited": "true", "active": "true"})
    response.raise_for_status()
    return response.json()


def assert_warning_inhibited(
    live: LiveStack, alertname: str, where: dict[str, str] | None = None, timeout: float = PHASE_TIMEOUT,
) -> None:
    """Alertmanager holds ``alertname``'s warning (labels matching ``where``) as suppressed,
    inhibited by its critical alert of the same labels (the seed's inhibit rule)."""
    def inhibited() -> bool:
        alerts = [a for a in alertmanager_alerts(live, alertname) if matches(a["labels"], where)]
        critical = {a["fingerprint"] for a in alerts if a["labels"].get("severity") == "critical"}
        warnings = [a["status"] for a in alerts if a["labels"].get("severity") == "warning"]
        return bool(critical) and bool(warnings) and all(
            w["state"] == "suppressed" and w["inhibitedBy"] and set(w["inhibitedBy"]) <= critical for w in warnings)

    assert wait(inhibited, timeout), (
        f"{alertname} {where or ''} warning not inhibited by its critical: {alertmanager_alerts(live, alertname)}")
