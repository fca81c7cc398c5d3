"""User activity on the live Quantis stack: signed-in traffic (X-User-Id, X-Plan) through the
demo service, FunnelConversionLow and ActiveUsersMissing firing and reaching the receivers the
route tree predicts (``obscode.routing.receivers_for``, cross-checked with amtool), the User
Activity dashboard's queries answering with numbers, and no user id in any label.

One stack for the module; the service's active-user windows are 60 times shorter
(``QUANTIS_ACTIVITY_TIME_SCALE``: 5m is 5 s), so the 5-minute window empties in seconds.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from obscode.grafana_vars import substitute
from stacks.quantis.config import CONFIG
from stacks.quantis.service.activity import TIME_SCALE_VARIABLE, funnel_drop_step, lost_user_ids
from stacks.quantis.service.live import LiveStack, wait
from tests.conftest import require_tool
from tests.integration.conftest import PHASE_TIMEOUT, TOOLS, assert_routed_exactly, wait_delivered

pytestmark = pytest.mark.integration

TIME_SCALE = 60
#: category=product, severity=warning: no child route matches, so the root's receiver.
RECEIVERS = {"team-email"}
PLANS = CONFIG.activity.plans


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    for tool in TOOLS:
        require_tool(tool)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TIME_SCALE_VARIABLE, str(TIME_SCALE))  # the service process inherits it
        stack = LiveStack.start(tmp_path_factory.mktemp("activity"), with_database=False)
    try:
        yield stack
    finally:
        stack.stop()


class Traffic:
    """Calls ``step(client, n)`` from ``workers`` threads, each about ``rate`` times a second, until
    stopped; ``n`` counts each worker's calls. A failed call stops the traffic and fails the test."""

    def __init__(self, step: Callable[[httpx.Client, int], None], rate: float = 10.0, workers: int = 1) -> None:
        self.step, self.rate = step, rate
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _run(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            n = 0
            while not self._stop.is_set():
                try:
                    self.step(client, n)
                except BaseException as error:  # noqa: BLE001 - reported by __exit__
                    self.errors.append(error)
                    self._stop.set()
                n += 1
                self._stop.wait(1.0 / self.rate)

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)
        if self.errors:
            raise AssertionError(f"the traffic failed: {self.errors[0]!r}") from self.errors[0]


def user(n: int, prefix: str = "user") -> dict[str, str]:
    return {"X-User-Id": f"{prefix}-{n % 7}", "X-Plan": PLANS[n % len(PLANS)]}


def call(client: httpx.Client, live: LiveStack, route: str, headers: dict[str, str], **body: object) -> None:
    response = client.post(f"{live.service_url}{route}", headers=headers, json=body or None)
    assert response.status_code < 400, (route, response.status_code, response.text)


def test_funnel_conversion_low_fires_per_step_and_resolves(live: LiveStack) -> None:
    """Visits, one forecast per 12 visits (FORECAST_EVERY), no export: both pairs of visit -> forecast -> export
    convert under 10%; then one export per forecast lifts forecast -> export over it again.
    The guard wants the earlier step used 0.01 times a second over the 1-hour window: 36 uses
    in a stack minutes old, hence three workers."""
    def visits(client: httpx.Client, n: int) -> None:  # the demo's funnel-drop scenario, checked
        for response in funnel_drop_step(client, live.service_url, n):
            assert response.status_code < 400, (response.url, response.status_code, response.text)

    with Traffic(visits, rate=20.0, workers=3):
        for before, after in (("visit", "forecast"), ("forecast", "export")):
            wait_delivered(live, "FunnelConversionLow", "firing", RECEIVERS,
                           where={"funnel_from": before, "funnel_to": after})

        def exports(client: httpx.Client, n: int) -> None:
            call(client, live, "/api/forecast", user(n), store_id=n % 8, horizon=7)
            call(client, live, "/api/export", user(n), store_id=n % 8, horizon=7)

        with Traffic(exports, rate=10.0):
            wait_delivered(live, "FunnelConversionLow", "resolved", RECEIVERS,
                           where={"funnel_from": "forecast", "funnel_to": "export"})
    assert_routed_exactly(live, "FunnelConversionLow", RECEIVERS)


def test_active_users_missing_fires_when_user_ids_stop_and_resolves(live: LiveStack) -> None:
    """Signed-in requests keep coming, but the service stops seeing X-User-Id (the no-user-id
    fault): the 5-minute window empties and ActiveUsersMissing fires; ids back, it resolves."""
    assert not live.sink.deliveries("ActiveUsersMissing")
    with httpx.Client(timeout=10.0) as client:  # users seen first, so the window has to empty
        for n in range(3):
            call(client, live, "/api/sessions", user(n))
    assert wait(lambda: bool(live.query('active_users{job="api", window="5m"} > 0')), PHASE_TIMEOUT)
    stop = threading.Event()
    driver = threading.Thread(target=lost_user_ids, args=(live.service_url, stop, 10.0), daemon=True)
    driver.start()  # the demo's no-user-id scenario: it switches the fault on, then sends backtests
    try:
        wait_delivered(live, "ActiveUsersMissing", "firing", RECEIVERS, where={"service": "api"})
        assert live.client.get(f"{live.service_url}/api/faults").json()["active"] == ["no-user-id"]
    finally:
        live.set_fault("no-user-id", False)
    try:
        wait_delivered(live, "ActiveUsersMissing", "resolved", RECEIVERS, where={"service": "api"})
    finally:
        stop.set()
        driver.join(timeout=15)
    assert_routed_exactly(live, "ActiveUsersMissing", RECEIVERS)


def _targets(dashboard: dict) -> list[tuple[str, str]]:
    return [(panel["title"], t["expr"]) for panel in dashboard["panels"] for t in panel.get("targets", [])]


def test_dashboard_queries_return_numbers_with_activity_traffic(live: LiveStack) -> None:
    """Every query of the User Activity dashboard the live stack generated answers with a finite
    number (variables on All) while users walk the whole funnel and end sessions."""
    path = live.workdir / "generated" / "grafana" / "dashboards" / "quantis-user-activity.json"
    queries = _targets(json.loads(path.read_text()))
    assert len(queries) >= 15

    def empty() -> list[str]:
        missing = []
        for title, expr in queries:
            values = [float(r["value"][1]) for r in live.query(substitute(expr, ".*"))]
            if not values or not all(math.isfinite(v) for v in values):
                missing.append(f"{title}: {expr} -> {values}")
        return missing

    def journey(client: httpx.Client, n: int) -> None:
        headers = user(n)
        for route in ("/api/sessions", "/api/forecast", "/api/backtest", "/api/export"):
            call(client, live, route, headers, **({} if route == "/api/sessions" else {"store_id": n % 8}))
        call(client, live, "/api/sessions/end", headers, seconds=30.0 + 97.0 * (n % 11))

    with Traffic(journey, rate=4.0):
        assert wait(lambda: not empty(), PHASE_TIMEOUT, interval=2.0), "\n".join(empty())


def test_no_user_id_in_any_label(live: LiveStack) -> None:
    """User ids go into the sketch only: not in the service's /metrics, not in any label
    value Prometheus stored."""
    ids = [f"secret-{uuid.uuid4().hex}" for _ in range(5)]
    with httpx.Client(timeout=10.0) as client:
        for n, user_id in enumerate(ids):
            headers = {"X-User-Id": user_id, "X-Plan": PLANS[n % len(PLANS)]}
            call(client, live, "/api/sessions", headers)
            call(client, live, "/api/forecast", headers, store_id=n)
        sent = _now(live)
        # A scrape of the api job after the requests, so Prometheus has whatever they could label.
        assert wait(lambda: bool(live.query(f'timestamp(up{{job="api"}}) > {sent}')), PHASE_TIMEOUT)
        texts = [client.get(f"{live.service_url}/metrics").text,
                 client.get(f"http://127.0.0.1:{live.ports.model_service}/metrics").text]
        names = client.get(f"{live.prometheus_url}/api/v1/labels").json()["data"]
        for name in names:
            texts.append(json.dumps(client.get(f"{live.prometheus_url}/api/v1/label/{name}/values").json()["data"]))
    assert 'active_users{window="5m"}' in texts[0]
    assert len(names) > 5
    for user_id in ids:
        assert not any(user_id in text for text in texts), user_id


def _now(live: LiveStack) -> float:
    return float(live.query("vector(time())")[0]["value"][1])
