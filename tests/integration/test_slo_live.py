"""Quantis' SLOs on the live stack: the existing fault scenarios burn the error budget, the
page tier of the SLO they break fires, and Alertmanager delivers the page where the route tree
says (pager for a critical alert; data-science-team too for category=model). The local profile
divides the burn-rate windows by 60 and keeps the factors (obscode.profiles.local_slos), so a
page-fast tier (production: 1h and 5m) fires here within seconds."""

from __future__ import annotations

import pytest

from obscode.routing import receivers_for
from stacks.quantis.service.live import LiveStack
from tests.integration.conftest import Load, amtool_receivers, burst

pytestmark = pytest.mark.integration

PHASE_TIMEOUT = 60.0


def _page_delivered(live: LiveStack, alertname: str, receivers: set[str]) -> list[dict[str, str]]:
    def paged() -> set[str]:
        return {d.receiver for d in live.sink.deliveries(alertname, "firing") if d.labels.get("slo_action") == "page"}

    if not live.sink.wait_for(lambda: receivers <= paged(), PHASE_TIMEOUT):
        pytest.fail(f"{alertname} page not delivered to {sorted(receivers)} within {PHASE_TIMEOUT:.0f}s; "
                    f"Prometheus: {sorted(live.alert_state(alertname)) or 'inactive'}; deliveries: "
                    f"{[(d.receiver, d.status, d.labels.get('slo_tier')) for d in live.sink.deliveries(alertname)]}")
    return [d.labels for d in live.sink.deliveries(alertname, "firing") if d.labels.get("slo_action") == "page"]


def _routed_as_predicted(live: LiveStack, labels: dict[str, str]) -> None:
    route = live.files["stack"].alertmanager.route
    predicted = receivers_for(route, labels)
    assert amtool_receivers(live.files["alertmanager"], labels) == predicted
    got = {d.receiver for d in live.sink.deliveries(labels["alertname"], "firing") if d.labels == labels}
    assert got == set(predicted), f"{labels} reached {sorted(got)}, the route tree says {predicted}"


def test_server_errors_page_through_the_availability_and_prediction_slos(live: LiveStack) -> None:
    burst(live, 40)
    assert not live.sink.deliveries("ApiAvailabilityBudgetBurn"), "the SLO paged before the fault"
    with Load(live):
        live.set_fault("errors", True)
        availability = _page_delivered(live, "ApiAvailabilityBudgetBurn", {"pager"})
        prediction = _page_delivered(live, "PredictionSuccessBudgetBurn", {"pager", "data-science-team"})
        live.set_fault("errors", False)
    assert {labels["slo_tier"] for labels in availability} <= {"page-fast", "page-slow"}
    for labels in availability + prediction:
        assert labels["severity"] == "critical" and labels["slo"] in ("api-availability", "prediction-success")
        _routed_as_predicted(live, labels)


def test_slow_predictions_page_through_the_latency_slo(live: LiveStack) -> None:
    burst(live, 40)
    with Load(live):
        live.set_fault("latency", True)
        pages = _page_delivered(live, "ApiLatencyBudgetBurn", {"pager"})
        live.set_fault("latency", False)
    for labels in pages:
        assert labels["slo"] == "api-latency" and labels["service"] == "api"
        _routed_as_predicted(live, labels)
