"""The generated inhibit rule in a real Alertmanager: a firing critical alert suppresses
the warning with the same alertname and service, and only that one.

Alerts are posted to Alertmanager's v2 API exactly as Prometheus posts them, so the rule is
proved on its own, with alerts of a name no rule has. The Quantis alerts at both severities are
provoked through Prometheus in their own live tests, each showing the warning suppressed:
HighPredictionBias (test_model_health_live.py), DiskSpaceLow, HighProcessCpu and
HighProcessMemory (test_infra_live.py), HighHttpErrorRatio and the PostgreSQL pairs
(test_http_db_live.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from obscode.routing import receivers_for
from stacks.quantis.service.live import LiveStack, wait

pytestmark = pytest.mark.integration

ALERT = "InhibitionProbe"
TIMEOUT = 30.0


def _post(live: LiveStack, labels: dict[str, str], *, resolved: bool = False) -> None:
    now = datetime.now(UTC)
    ends = now if resolved else now + timedelta(minutes=5)
    body = [{"labels": labels, "annotations": {"summary": "inhibition test"},
             "startsAt": (now - timedelta(seconds=1)).isoformat(), "endsAt": ends.isoformat()}]
    live.client.post(f"{live.alertmanager_url}/api/v2/alerts", json=body).raise_for_status()


def _am_alerts(live: LiveStack) -> list[dict[str, Any]]:
    response = live.client.get(f"{live.alertmanager_url}/api/v2/alerts",
                               params={"filter": f'alertname="{ALERT}"', "inhibited": "true", "active": "true"})
    response.raise_for_status()
    return response.json()


def _state(live: LiveStack, severity: str, service: str) -> dict[str, Any]:
    for alert in _am_alerts(live):
        if alert["labels"].get("severity") == severity and alert["labels"].get("service") == service:
            return alert["status"]
    return {}


def test_critical_suppresses_the_warning_with_same_alertname_and_service(live: LiveStack) -> None:
    route = live.files["stack"].alertmanager.route
    critical = {"alertname": ALERT, "service": "quantis-api", "severity": "critical", "category": "system"}
    warning = {**critical, "severity": "warning"}
    other_service = {**warning, "service": "model-service"}
    assert receivers_for(route, critical) == ["pager"]
    assert receivers_for(route, warning) == ["team-email"]

    _post(live, critical)
    assert live.sink.wait_for(lambda: "pager" in live.sink.receivers(ALERT), TIMEOUT), "critical never paged"
    _post(live, warning)
    _post(live, other_service)

    # The warning of another service is not inhibited: it reaches team-email...
    assert live.sink.wait_for(
        lambda: any(d.labels.get("service") == "model-service" for d in live.sink.deliveries(ALERT, "firing")),
        TIMEOUT), "the warning of another service was not delivered"
    # ...while Alertmanager holds ours as suppressed, inhibited by the critical one.
    status = _state(live, "warning", "quantis-api")
    assert status.get("state") == "suppressed", status
    critical_fp = next(a["fingerprint"] for a in _am_alerts(live) if a["labels"]["severity"] == "critical")
    assert status.get("inhibitedBy") == [critical_fp]
    assert not [d for d in live.sink.deliveries(ALERT) if d.labels == warning], "inhibited warning was delivered"

    # Once the critical resolves, the same warning is delivered where the route says.
    _post(live, critical, resolved=True)
    assert live.sink.wait_for(
        lambda: any(d.labels == warning and d.receiver == "team-email" for d in live.sink.deliveries(ALERT, "firing")),
        TIMEOUT), f"warning not delivered after the critical resolved: {_state(live, 'warning', 'quantis-api')}"
    assert wait(lambda: _state(live, "warning", "quantis-api").get("inhibitedBy") == [], 5)
