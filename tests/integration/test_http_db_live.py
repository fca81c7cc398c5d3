"""The HTTP and PostgreSQL alerts, for real: each condition is made on the live stack (slow
or failing forecasts through the service's faults; real sessions, a real deadlock and real
sequential scans against the stack's PostgreSQL through ``service/db_faults.py``), Prometheus
fires the alert, and Alertmanager delivers it to exactly the receivers the route tree
predicts (``obscode.routing.receivers_for``, cross-checked with ``amtool``). Where an alert
has two severities, the critical one is shown to inhibit the warning in Alertmanager, and
both resolve once the condition clears.

The rates these alerts read span minutes (``[5m]``, ``[10m]``) even in the local profile, so
each phase is driven by request and block counts until Prometheus sees the condition, not by
waiting: requests are sent in steps until the alert is pending, and the condition clears by
diluting the window (clean requests, buffer hits) rather than waiting for it to slide.

Network drops are real too: a veth pair of the test's own (``service/net_faults.py``).

Not proved here, and why (docs/live-stack.md): PostgresReplicationLag (needs a standby),
NetworkReceiveErrors and NetworkTransmitErrors (no virtual interface counts errors),
HighMemoryUsage's critical level (97% of this machine's memory), PostgresDeadlocks' resolution
(its 10-minute window), SlowHttpResponses' critical level (the latency fault's 0.8 s is below
its 1 s). Their promtool alert tests cover them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from stacks.quantis.config import CONFIG
from stacks.quantis.service import db_faults, net_faults
from stacks.quantis.service.live import LiveStack, wait
from tests.conftest import require_tool
from tests.integration.conftest import (
    PHASE_TIMEOUT,
    _start,
    alertmanager_alerts,
    assert_routed_exactly,
    assert_warning_inhibited,
    burst,
    wait_delivered,
)

pytestmark = pytest.mark.integration

#: The seed's tree as the issue states it, for these system alerts: critical -> pager only
#: (category is not model), warning -> the default receiver, team-email.
RECEIVERS = {"critical": {"pager"}, "warning": {"team-email"}}


def by_severity(labels: dict[str, str]) -> set[str]:
    """The seed's receivers of an alert with ``labels``."""
    return RECEIVERS[labels["severity"]]

#: How long one step's effect may take to show in Prometheus (scrape 1s + evaluation 1s).
SETTLE = 6.0
T = CONFIG.thresholds
#: More client sessions than the exporter's two and a counting one: something was left open.
DEMO_BASELINE = 4


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One stack with the database for the module; the tests only add to its rate windows."""
    stack = _start(tmp_path_factory.mktemp("http-db"), with_database=True)
    try:
        if stack.pg_port is None:
            pytest.fail(f"PostgreSQL did not start: {stack.missing.get('database')}")
        yield stack
    finally:
        stack.stop()


# -- reading Prometheus and Alertmanager ---------------------------------------------------


def prometheus_states(live: LiveStack, alertname: str, **where: str) -> set[str]:
    """States (pending, firing) of the series of ``alertname`` whose labels include ``where``."""
    body = live.client.get(f"{live.prometheus_url}/api/v1/alerts").json()
    return {a["state"] for a in body["data"]["alerts"]
            if a["labels"].get("alertname") == alertname and all(a["labels"].get(k) == v for k, v in where.items())}


def active(live: LiveStack, alertname: str, **where: str) -> bool:
    return bool(prometheus_states(live, alertname, **where))


def drive(step: Callable[[], Any], until: Callable[[], bool], what: str, max_steps: int = 30,
          explain: Callable[[], object] = lambda: "") -> int:
    """Repeat ``step`` until ``until()`` holds (each step given SETTLE seconds to show);
    returns the number of steps it took."""
    for n in range(1, max_steps + 1):
        step()
        if wait(until, SETTLE):
            return n
    pytest.fail(f"{what}: not reached after {max_steps} steps {explain()}")


def am_status(live: LiveStack, alertname: str, severity: str) -> dict[str, Any]:
    for alert in alertmanager_alerts(live, alertname):
        if alert["labels"].get("severity") == severity:
            return {**alert["status"], "fingerprint": alert["fingerprint"]}
    return {}


@contextlib.contextmanager
def _repeating(step: Callable[[], Any], pause: float = 0.5) -> Iterator[None]:
    """Run ``step`` over and over in a thread while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            step()
            stop.wait(pause)

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(PHASE_TIMEOUT)


# -- HTTP ------------------------------------------------------------------------------------


def forecasts(live: LiveStack, n: int, workers: int = 8) -> dict[int, int]:
    """``n`` forecasts from ``workers`` threads; the count of each status code (0: the
    connection failed, as a keep-alive connection can after a 500)."""
    def one(client: httpx.Client, i: int) -> int:
        try:
            return client.post(f"{live.service_url}/api/forecast", json={"store_id": i % 8, "horizon": 14}).status_code
        except httpx.TransportError:
            return 0

    with httpx.Client(timeout=30.0) as client, ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(lambda i: one(client, i), range(n)))
    return {status: statuses.count(status) for status in sorted(set(statuses))}


def window_requests(live: LiveStack) -> int:
    """Requests of job api within the alerts' 5m rate window, as Prometheus counts them."""
    result = live.query('sum(increase(http_requests_total{job="api"}[5m]))')
    return round(float(result[0]["value"][1])) if result else 0


def p95(live: LiveStack) -> float:
    """The p95 response time of job api as SlowHttpResponses computes it (inf: no data yet)."""
    result = live.query('histogram_quantile(0.95, sum by (job, le) '
                        '(rate(http_request_duration_seconds_bucket{job="api"}[5m])))')
    return float(result[0]["value"][1]) if result else float("inf")


def test_server_errors_warn_then_page_the_critical_inhibits_the_warning_and_both_resolve(live: LiveStack) -> None:
    alert = "HighHttpErrorRatio"
    # Prometheus sees no increase in a series' first sample: on a fresh stack the first requests
    # are not in the window at all. Clean requests until it counts 200 of them, so the steps
    # below are the fractions of it they are meant to be (else the first errors alone read 10%).
    drive(lambda: burst(live, 200), lambda: window_requests(live) >= 200, "200 requests in the rate window",
          explain=lambda: f"(window: {window_requests(live)})")
    assert not active(live, alert), prometheus_states(live, alert)
    statuses: dict[int, int] = {}

    def faulty(n: int) -> None:
        for status, count in forecasts(live, n).items():
            statuses[status] = statuses.get(status, 0) + count

    live.set_fault("errors", True)  # one forecast in ten fails with HTTP 500
    try:
        # Steps of a tenth of the window's requests (1 error in 100 of them) cross 1% well
        # below 5%: the warning alone fires first. Then steps of the window's size.
        drive(lambda: faulty(max(20, window_requests(live) // 10)), lambda: active(live, alert, severity="warning"),
              f"{alert} warning pending")
        assert not active(live, alert, severity="critical")
        wait_delivered(live, alert, "firing", RECEIVERS["warning"], where={"severity": "warning", "service": "api"})
        drive(lambda: faulty(max(100, window_requests(live))), lambda: active(live, alert, severity="critical"),
              f"{alert} critical pending")
        wait_delivered(live, alert, "firing", RECEIVERS["critical"], where={"severity": "critical", "service": "api"})
        assert_warning_inhibited(live, alert, {"service": "api"})
    finally:
        live.set_fault("errors", False)
    assert {200, 500} <= set(statuses) <= {0, 200, 500}, statuses

    # Clean requests dilute the window: below 5% the page resolves while the warning (now
    # no longer inhibited) still holds (each step of half the window divides the ratio by
    # at most 1.5); below 1% the warning resolves too.
    drive(lambda: burst(live, max(200, window_requests(live) // 2)), lambda: not active(live, alert, severity="critical"),
          f"{alert} critical cleared")
    wait_delivered(live, alert, "resolved", RECEIVERS["critical"], where={"severity": "critical", "service": "api"})
    assert active(live, alert, severity="warning")
    assert wait(lambda: am_status(live, alert, "warning").get("inhibitedBy") == [], PHASE_TIMEOUT), \
        am_status(live, alert, "warning")
    drive(lambda: burst(live, max(500, window_requests(live))), lambda: not active(live, alert, severity="warning"),
          f"{alert} warning cleared")
    wait_delivered(live, alert, "resolved", RECEIVERS["warning"], where={"severity": "warning", "service": "api"})
    assert_routed_exactly(live, alert, by_severity)


def test_slow_responses_warn_the_team_below_the_critical_bound_and_resolve(live: LiveStack) -> None:
    alert = "SlowHttpResponses"
    # A cold service answers its first requests slowly: warm up until the p95 is well below.
    drive(lambda: burst(live, 200), lambda: p95(live) < T.api_p95_seconds_warning and not active(live, alert),
          "a p95 below the warning bound without the fault",
          explain=lambda: f"(p95 {p95(live)}, {alert} {prometheus_states(live, alert)})")
    live.set_fault("latency", True)
    try:
        # 20 forecasts of 0.8 s each per step, 4 at a time, until the p95 is above 500 ms. (Many
        # more at once queue behind the forecasts' computation, which holds the event loop:
        # then responses take over 1 s and the critical fires instead.)
        drive(lambda: forecasts(live, 20, workers=4), lambda: active(live, alert, severity="warning"),
              f"{alert} warning pending")
        # Pending is reached just past 5% slow requests; the fast requests the service keeps
        # getting meanwhile (probes, the other tests' window) could dilute that back under the
        # bound during the for. Slow forecasts go on, two at a time, until the alert is delivered.
        with _repeating(lambda: forecasts(live, 4, workers=2)):
            wait_delivered(live, alert, "firing", RECEIVERS["warning"],
                           where={"severity": "warning", "service": "api"})
        # 0.8 s lies in the (0.75, 1] bucket: the interpolated p95 stays under the 1 s critical bound.
        assert T.api_p95_seconds_critical > 0.8
        assert not active(live, alert, severity="critical"), prometheus_states(live, alert, severity="critical")
    finally:
        live.set_fault("latency", False)
    drive(lambda: burst(live, 500), lambda: not active(live, alert, severity="warning"), f"{alert} warning cleared")
    wait_delivered(live, alert, "resolved", RECEIVERS["warning"], where={"severity": "warning", "service": "api"})
    assert_routed_exactly(live, alert, by_severity)
    assert not [d for d in live.sink.deliveries(alert) if d.labels["severity"] == "critical"]


# -- PostgreSQL --------------------------------------------------------------------------------


def _sessions_for(live: LiveStack, ratio: float) -> int:
    """Client sessions to add so that open / max_connections is just above ``ratio``."""
    assert live.pg_port is not None
    maximum = int(db_faults.query(live.pg_port, "SHOW max_connections"))
    now = db_faults.client_connections(live.pg_port) - 1  # less the counting session
    return int(ratio * maximum) + 1 - now


def test_connection_saturation_warns_then_pages_with_real_sessions_and_resolves(live: LiveStack) -> None:
    alert = "PostgresConnectionsSaturated"
    assert live.pg_port is not None
    assert not active(live, alert), prometheus_states(live, alert)
    with db_faults.Connections(live.pg_port) as held:
        held.open(_sessions_for(live, T.connection_use_warning))  # 15 of 20: above 70%, below 90%
        wait_delivered(live, alert, "firing", RECEIVERS["warning"], where={"severity": "warning"})
        assert not active(live, alert, severity="critical")
        critical_start = len(held.sessions)
        held.open(_sessions_for(live, T.connection_use_critical))  # 19 of 20
        wait_delivered(live, alert, "firing", RECEIVERS["critical"], where={"severity": "critical"})
        assert_warning_inhibited(live, alert)
        for session in held.sessions[critical_start:]:
            session.close()
        del held.sessions[critical_start:]
        wait_delivered(live, alert, "resolved", RECEIVERS["critical"], where={"severity": "critical"})
        assert active(live, alert, severity="warning")
    wait_delivered(live, alert, "resolved", RECEIVERS["warning"], where={"severity": "warning"})
    assert_routed_exactly(live, alert, by_severity)


def test_a_real_deadlock_warns_the_team(live: LiveStack) -> None:
    alert = "PostgresDeadlocks"
    assert live.pg_port is not None
    assert not active(live, alert), prometheus_states(live, alert)
    before = db_faults.deadlocks(live.pg_port)
    message = db_faults.deadlock(live.pg_port)
    assert message.startswith("ERROR:  deadlock detected"), message
    assert db_faults.deadlocks(live.pg_port) == before + 1
    wait_delivered(live, alert, "firing", RECEIVERS["warning"], where={"datname": "postgres"})
    assert_routed_exactly(live, alert, by_severity)
    # It resolves only when the deadlock leaves the increase() window (10 minutes): not waited for.


def test_low_cache_hit_ratio_warns_the_team_and_resolves(live: LiveStack) -> None:
    alert, where = "PostgresLowCacheHitRatio", {"datname": db_faults.CACHE_DATABASE}
    assert live.pg_port is not None
    db_faults.prepare_cache_probe(live.pg_port)  # writing the table misses too: start from hits
    db_faults.cache_hits(live.pg_port)
    try:
        hit, read = db_faults.cache_counters(live.pg_port)
        assert hit / (hit + read) > T.cache_hit_ratio_warning, (hit, read)
        assert wait(lambda: not active(live, alert, **where), PHASE_TIMEOUT), prometheus_states(live, alert, **where)
        since = time.time()
        drive(lambda: db_faults.cache_misses(live.pg_port), lambda: active(live, alert, **where),
              f"{alert} pending")
        # Scans go on until the alert is delivered: the exporter's own queries are buffer hits,
        # and on a busy machine they can lift the ratio back over the line during the `for`.
        with _repeating(lambda: db_faults.cache_misses(live.pg_port)):
            wait_delivered(live, alert, "firing", RECEIVERS["warning"], where=where, since=since)
        since = time.time()
        drive(lambda: db_faults.cache_hits(live.pg_port), lambda: not active(live, alert, **where),
              f"{alert} cleared")
        wait_delivered(live, alert, "resolved", RECEIVERS["warning"], where=where, since=since)
        assert_routed_exactly(live, alert, by_severity)
    finally:
        db_faults.drop_cache_probe(live.pg_port)


def test_db_fault_errors_name_the_statement_and_postgres_message(live: LiveStack) -> None:
    assert live.pg_port is not None
    with pytest.raises(db_faults.DatabaseFaultError, match=r"'SELECT \* FROM no_such_table' in database "
                                                            r"'postgres' failed: ERROR:  relation \"no_such_table\" "
                                                            r"does not exist"):
        db_faults.query(live.pg_port, "SELECT * FROM no_such_table")


def test_the_demo_database_scenarios_hold_and_release_real_sessions(live: LiveStack) -> None:
    from stacks.quantis.demo import SCENARIOS

    assert {name for name, (_, alert, _) in SCENARIOS.items() if alert.startswith("Postgres")} == set(db_faults.DEMO)
    assert live.pg_port is not None
    stop = threading.Event()
    driver = threading.Thread(target=db_faults.demo_connections, args=(live.pg_port, stop, 0.5))
    driver.start()
    try:
        # The demo counts the sessions already open (the exporter's among them) when it opens
        # its own, and the exporter's may close meanwhile: one fewer is still the critical stage.
        assert wait(lambda: db_faults.client_connections(live.pg_port) - 1 >= db_faults.DEMO_CRITICAL_CONNECTIONS - 1,
                    PHASE_TIMEOUT), db_faults.client_connections(live.pg_port)
    finally:
        stop.set()
        driver.join(PHASE_TIMEOUT)
    assert not driver.is_alive()
    assert wait(lambda: db_faults.client_connections(live.pg_port) - 1 < DEMO_BASELINE, PHASE_TIMEOUT)


def test_the_local_cluster_is_small_enough_for_the_scenarios(live: LiveStack) -> None:
    assert live.pg_port is not None
    assert db_faults.query(live.pg_port, "SHOW max_connections") == "20"
    assert db_faults.query(live.pg_port, "SHOW shared_buffers") == "16MB"


# -- network ----------------------------------------------------------------------------------


def test_dropped_packets_on_a_veth_of_our_own_warn_the_team_and_resolve(live: LiveStack) -> None:
    """Real drops on a veth pair made for the test (service/net_faults.py), counted by the
    kernel and read by the stack's node-exporter; deleted at the end."""
    require_tool("ip")  # Debian package iproute2; in CI its absence fails the test
    why = net_faults.available()
    if why:
        pytest.skip(why)
    alerts = {"NetworkTransmitDrops": "transmit_drops", "NetworkReceiveDrops": "receive_drops"}
    with net_faults.VethProbe() as probe:
        where = {"device": probe.host}
        assert wait(lambda: bool(live.query(f'node_network_transmit_packets_total{{device="{probe.host}"}}')),
                    PHASE_TIMEOUT), f"node-exporter never reported {probe.host}"
        probe.deliver(200)
        for alert, inject in alerts.items():
            since = time.time()
            drive(lambda inject=inject: getattr(probe, inject)(50), lambda alert=alert: active(live, alert, **where),
                  f"{alert} pending", explain=probe.counters)
            wait_delivered(live, alert, "firing", RECEIVERS["warning"], where=where, since=since)
        counters = probe.counters()
        assert counters["tx_dropped"] >= 50 and counters["rx_dropped"] >= 50, counters
        # Packets delivered both ways dilute the window until under 1% of them were dropped.
        since = time.time()
        drive(lambda: probe.deliver(3000), lambda: not any(active(live, alert, **where) for alert in alerts),
              "network drops cleared", explain=probe.counters)
        for alert in alerts:
            wait_delivered(live, alert, "resolved", RECEIVERS["warning"], where=where, since=since)
            assert_routed_exactly(live, alert, by_severity)
    assert not Path(f"/sys/class/net/{probe.host}").exists(), "the veth pair was left behind"
