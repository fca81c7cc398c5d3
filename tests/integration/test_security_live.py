"""The security alerts, for real: failed logins from one client, a viewer denied again and
again, and the login limiter refusing a client fire BruteForceSuspected, AuthorizationDenySpike
and RateLimitSaturation on the live stack, each delivered to exactly the receivers the route
tree predicts (``obscode.routing.receivers_for``, cross-checked with ``amtool``); every panel of
the Security dashboard then has data; and the audit file the service wrote carries pseudonyms,
never a raw user name, password or client address.

The alerts are not waited out to resolution: the top-client gauge and the ratios look back
5 minutes (the local profile shortens ``for:``, not these windows).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from obscode.routing import receivers_for
from stacks.quantis.config import CONFIG
from stacks.quantis.service import security
from stacks.quantis.service.live import LiveStack
from tests.integration.conftest import _start, amtool_receivers, burst

pytestmark = pytest.mark.integration

#: Security alerts are warnings of category security: the route tree's default receiver.
SPEC = {
    "BruteForceSuspected": {"team-email"},
    "AuthorizationDenySpike": {"team-email"},
    "RateLimitSaturation": {"team-email"},
}
PHASE_TIMEOUT = 60.0
ANA, VIC = "ana@quantis.example.com", "vic@quantis.example.com"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One stack for the module (no database: the security alerts read only the api job)."""
    stack = _start(tmp_path_factory.mktemp("security"), with_database=False)
    try:
        yield stack
    finally:
        stack.stop()


def _explain(live: LiveStack, alertname: str) -> str:
    return (f"Prometheus state of {alertname}: {sorted(live.alert_state(alertname)) or 'inactive'}; "
            f"deliveries: {[(d.receiver, d.status) for d in live.sink.deliveries(alertname)]}")


def _wait_firing(live: LiveStack, alertname: str) -> None:
    reached = lambda: {d.receiver for d in live.sink.deliveries(alertname, "firing")}  # noqa: E731
    if not live.sink.wait_for(lambda: SPEC[alertname] <= reached(), PHASE_TIMEOUT):
        pytest.fail(f"{alertname} not firing at {sorted(SPEC[alertname])} within {PHASE_TIMEOUT:.0f}s; "
                    + _explain(live, alertname))


def _assert_routed_exactly(live: LiveStack, alertname: str) -> None:
    route = live.files["stack"].alertmanager.route
    firing = live.sink.deliveries(alertname, "firing")
    assert firing, _explain(live, alertname)
    for delivery in {tuple(sorted(d.labels.items())): d for d in firing}.values():
        assert delivery.labels["category"] == "security" and delivery.labels["service"] == CONFIG.api.name
        assert delivery.labels["owner"] == CONFIG.security.owner
        predicted = receivers_for(route, delivery.labels)
        assert set(predicted) == SPEC[alertname], delivery.labels
        assert amtool_receivers(live.files["alertmanager"], delivery.labels) == predicted
        got = {d.receiver for d in firing if d.labels == delivery.labels}
        assert got == set(predicted), f"{alertname} {delivery.labels} reached {sorted(got)}, route tree says {predicted}"


def _driving(live: LiveStack, driver: Callable[..., None]) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=driver, args=(live.service_url, stop), daemon=True)
    thread.start()
    return stop, thread


def _login(live: LiveStack, username: str, password: str) -> httpx.Response:
    return live.client.post(f"{live.service_url}{security.LOGIN_PATH}",
                            json={"username": username, "password": password})


def _reference(live: LiveStack, token: str) -> httpx.Response:
    return live.client.get(f"{live.service_url}/api/models/tft-sales/reference",
                           headers={"Authorization": f"Bearer {token}"})


def _wait_login_allowed(live: LiveStack, username: str) -> str:
    """A token for ``username``, once the login limiter lets this client in again."""
    token: dict[str, str] = {}

    def logged_in() -> bool:
        answer = _login(live, username, security.DEMO_USERS[username].password)
        if answer.status_code == 200:
            token["value"] = answer.json()["token"]
            return True
        assert answer.status_code == 429, answer.text
        return False

    assert live.sink.wait_for(logged_in, CONFIG.security.login_window_seconds * 3), "login refused too long"
    return token["value"]


def test_brute_force_fires_brute_force_and_rate_limit_alerts(live: LiveStack) -> None:
    burst(live, 10)
    for alertname in ("BruteForceSuspected", "RateLimitSaturation"):
        assert not live.sink.deliveries(alertname), f"{alertname} fired before the attack: " + _explain(live, alertname)
    stop, thread = _driving(live, security.brute_force)
    try:
        _wait_firing(live, "RateLimitSaturation")
        _wait_firing(live, "BruteForceSuspected")
    finally:
        stop.set()
        thread.join(15)
    _assert_routed_exactly(live, "BruteForceSuspected")
    _assert_routed_exactly(live, "RateLimitSaturation")
    paths = {d.labels.get("path") for d in live.sink.deliveries("RateLimitSaturation", "firing")}
    assert paths == {security.LOGIN_PATH}
    failures = live.query(f'audit_authentication_failures_top_client{{job="{CONFIG.api.name}"}}')
    assert float(failures[0]["value"][1]) > CONFIG.security.brute_force_failures_above


def test_denied_reads_fire_authorization_deny_spike(live: LiveStack) -> None:
    alertname = "AuthorizationDenySpike"
    assert not live.sink.deliveries(alertname), f"{alertname} fired before the denials: " + _explain(live, alertname)
    # An analyst may read the reference data: one allowed decision, and one data access.
    token = _wait_login_allowed(live, ANA)
    allowed = _reference(live, token)
    assert allowed.status_code == 200 and allowed.json()["rows"] > 0, allowed.text
    stop, thread = _driving(live, security.denied_reads)
    try:
        _wait_firing(live, alertname)
    finally:
        stop.set()
        thread.join(15)
    _assert_routed_exactly(live, alertname)
    denied = live.query(f'audit_authorization_decisions_total{{job="{CONFIG.api.name}", decision="deny", '
                        'resource="model", action="read"}')
    assert float(denied[0]["value"][1]) > 0


def test_login_answers(live: LiveStack) -> None:
    """What a client sees: 401 for a wrong password or an unknown token, 403 for a viewer, 429
    with Retry-After once the limiter refuses, and the reference route without a token."""
    token = _wait_login_allowed(live, VIC)
    assert _reference(live, token).json() == {"detail": "role 'viewer' may not read reference data"}
    unknown = _reference(live, "not-a-token")
    assert (unknown.status_code, unknown.json()) == (401, {"detail": "unknown token"})
    anonymous = live.client.get(f"{live.service_url}/api/models/tft-sales/reference")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "log in first (POST /api/login) and send the token as "
                                          "'Authorization: Bearer <token>'"}
    assert _reference(live, token).status_code == 403
    answers = [_login(live, ANA, "wrong") for _ in range(CONFIG.security.login_attempts_per_window + 1)]
    statuses = {a.status_code for a in answers}
    assert statuses <= {401, 429} and answers[-1].status_code == 429, [a.status_code for a in answers]
    assert answers[-1].json() == {"detail": "too many login attempts; try again later"}
    assert answers[-1].headers["retry-after"] == str(int(CONFIG.security.login_window_seconds))
    wrong = next(a for a in answers if a.status_code == 401)
    assert wrong.json() == {"detail": "unknown user or wrong password"}


def _panels(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"]
            for target in panel.get("targets", []) if target.get("expr")]


def test_every_security_panel_has_data(live: LiveStack) -> None:
    """After logins (failed, refused), decisions and forecasts, each panel query of the
    Security dashboard the live stack generated returns series."""
    path = live.workdir / "generated" / "grafana" / "dashboards" / "quantis-security.json"
    dashboard = json.loads(path.read_text())
    queries = _panels(dashboard)
    assert len(queries) == 12
    token = _wait_login_allowed(live, VIC)
    _reference(live, token)
    for _ in range(CONFIG.security.login_attempts_per_window + 1):
        _login(live, ANA, "wrong")
    burst(live, 5)
    sel = f'job=~"{CONFIG.api.name}", instance=~".*"'

    def all_have_data() -> bool:
        return all(live.query(expr.replace('job=~"$job", instance=~"$instance"', sel)) for _, expr in queries)

    if not live.sink.wait_for(all_have_data, 30):
        empty = [title for title, expr in queries
                 if not live.query(expr.replace('job=~"$job", instance=~"$instance"', sel))]
        pytest.fail(f"Security panels with no series: {empty}")


def test_audit_file_has_pseudonyms_and_no_raw_identifier(live: LiveStack) -> None:
    token = _wait_login_allowed(live, ANA)
    _reference(live, token)
    _login(live, VIC, "a-wrong-password")
    burst(live, 3)
    forecast = live.client.post(f"{live.service_url}/api/forecast", json={"store_id": 2, "horizon": 7},
                                headers={"Authorization": f"Bearer {token}"})
    assert forecast.status_code == 200, forecast.text
    audit_file: Path = security.audit_log_path(live.service_log)

    def lines() -> list[dict[str, Any]]:
        try:
            return [json.loads(line) for line in audit_file.read_text(encoding="utf-8").splitlines()]
        except FileNotFoundError:
            return []

    # Successes are INFO lines, buffered: poll until the data-access lines reach the file.
    assert live.sink.wait_for(lambda: any(l["event"]["action"] == "data-access" for l in lines()), 30), audit_file
    text = audit_file.read_text(encoding="utf-8")
    for raw in (*security.DEMO_USERS, *(u.password for u in security.DEMO_USERS.values()),
                "a-wrong-password", "127.0.0.1", "ana@", "quantis.example.com"):
        assert raw not in text, f"{raw!r} is in the audit file"
    docs = lines()
    assert {d["event"]["dataset"] for d in docs} == {"obscode.audit"}
    assert {"authentication", "data-access"} <= {d["event"]["action"] for d in docs}
    with_user = [d for d in docs if "user" in d]
    assert with_user and all(HEX64.match(d["user"]["id"]) for d in with_user)
    assert all(HEX64.match(d["source"]["address"]) for d in docs if "source" in d)
    # One user, one pseudonym: ana's login and her data access name the same user.id.
    ana = {d["user"]["id"] for d in docs if d["event"]["action"] == "authentication"
           and d["event"]["outcome"] == "success" and "user" in d}
    accesses = {resource: {d["user"]["id"] for d in docs if d["event"]["action"] == "data-access"
                           and d["labels"].get("resource") == resource and "user" in d}
                for resource in ("model", "forecast")}
    assert accesses["model"] and accesses["model"] == accesses["forecast"] and accesses["model"] <= ana
    # The service log (the app stream) has no audit line, and no password either.
    service_log = live.service_log.read_text(encoding="utf-8")
    assert '"obscode.audit"' not in service_log
    for raw in (*(u.password for u in security.DEMO_USERS.values()), "a-wrong-password", token):
        assert raw not in service_log, f"{raw!r} is in the service log"


def test_api_serves_exactly_the_audit_catalog(live: LiveStack) -> None:
    """The api job's instrumentation-audit catalog (what obscode check holds the security
    queries to) is what the live service serves: the same families, types and labels, and
    only the declared resources, actions and limits as label values."""
    from obscode.model.catalog import from_exposition, instrumentation_audit
    from stacks.quantis.service.security import audit_config

    body = live.client.get(f"{live.service_url}/metrics").text
    served = {m.name: m for m in from_exposition("served", body).metrics if m.name.startswith("audit_")}
    declared = {m.name: m for m in instrumentation_audit().metrics}
    assert set(served) == set(declared), f"served {sorted(served)}, catalog declares {sorted(declared)}"
    for name, metric in served.items():
        assert metric.type == declared[name].type, name
        assert sorted(metric.labels) == sorted(declared[name].labels), (name, metric.labels)
    specs = {spec.name: spec for spec in audit_config(environ={}).specs()}
    for family, label in (("audit_authorization_decisions", "resource"), ("audit_authorization_decisions", "action"),
                          ("audit_data_access_events", "resource"), ("audit_rate_limit_hits", "limit")):
        values = {s["metric"][label] for s in live.query(f'count by ({label}) ({family}_total{{job="api"}})')}
        assert values == set(specs[family].label_values[label]), (family, label, values)
