"""Each Quantis alert, for real: inject its condition into the live service, watch
Prometheus fire it, and check Alertmanager delivers it to exactly the receivers the
route tree predicts (``obscode.routing.receivers_for``, cross-checked with
``amtool config routes test``), then that it resolves once the condition clears.
"""

from __future__ import annotations

import time

import pytest

from stacks.quantis.service.live import LiveStack
from tests.integration.conftest import PHASE_TIMEOUT, Load, assert_routed_exactly, burst, explain, wait_delivered

pytestmark = pytest.mark.integration

#: The seed's tree as the issue states it: critical -> pager (and data-science-team too
#: when category=model, through `continue`); warning+model -> data-science-team.
SPEC = {
    "HighModelError": {"data-science-team"},
    "DataDriftDetected": {"data-science-team"},
    "SlowPredictions": {"data-science-team"},
    "ServiceDown": {"pager"},
}
#: Enough forecasts to fill the drift window (1000 rows, 14 per forecast) with clean data.
WARM_UP = 80


def _fault_round_trip(live: LiveStack, fault: str, alertname: str) -> None:
    burst(live, WARM_UP)
    assert not live.sink.deliveries(alertname), f"{alertname} fired before the fault: " + explain(live, alertname)
    with Load(live):
        live.set_fault(fault, True)
        wait_delivered(live, alertname, "firing", SPEC[alertname])
        live.set_fault(fault, False)
        wait_delivered(live, alertname, "resolved", SPEC[alertname])
    assert_routed_exactly(live, alertname, SPEC[alertname])


def test_high_model_error_reaches_data_science_and_resolves(live: LiveStack) -> None:
    _fault_round_trip(live, "errors", "HighModelError")


def test_data_drift_reaches_data_science_and_resolves(live: LiveStack) -> None:
    _fault_round_trip(live, "drift", "DataDriftDetected")


def test_slow_predictions_reach_data_science_and_resolve(live: LiveStack) -> None:
    _fault_round_trip(live, "latency", "SlowPredictions")


def test_service_down_pages_and_resolves_when_the_service_is_back(live: LiveStack) -> None:
    burst(live, 10)
    live.stop_service()
    for job in ("api", "model_service"):
        wait_delivered(live, "ServiceDown", "firing", SPEC["ServiceDown"], where={"job": job})
    started = time.monotonic()
    live.start_service()
    for job in ("api", "model_service"):
        wait_delivered(live, "ServiceDown", "resolved", SPEC["ServiceDown"], where={"job": job})
    assert time.monotonic() - started < PHASE_TIMEOUT
    assert_routed_exactly(live, "ServiceDown", SPEC["ServiceDown"])
