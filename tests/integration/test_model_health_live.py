"""The model-health alerts, for real: the live service reports its prediction statistics, the
``bias`` and ``severe-bias`` faults make its forecasts too high, Prometheus fires
HighPredictionBias (warning, then critical) and PredictionDriftDetected from what the model
monitor exports, and Alertmanager delivers each to exactly the receivers the route tree
predicts (``obscode.routing.receivers_for``, cross-checked with ``amtool config routes test``),
then each resolves once the fault clears. While both severities of HighPredictionBias hold, the
real Alertmanager mutes the warning by the seed's inhibit rule.

One stack serves the module (the machine is small); each test leaves its fault off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from stacks.quantis.service.live import LiveStack
from tests.integration.conftest import (
    PHASE_TIMEOUT,
    Load,
    _require_stack_tools,
    assert_routed_exactly,
    assert_warning_inhibited,
    burst,
    explain,
    wait_delivered,
)

pytestmark = pytest.mark.integration

#: The route tree as the seed states it: warning + category=model -> data-science-team; critical
#: pages and, through `continue`, reaches data-science-team too.
RECEIVERS = {"warning": {"data-science-team"}, "critical": {"pager", "data-science-team"}}
#: Enough forecasts to fill the monitor's windows (1000 rows, 14 per forecast) with clean data.
WARM_UP = 80
SERIES = ("model_prediction_value_bucket", "model_prediction_interval_width", "model_prediction_drift_score",
          "model_prediction_drifted", "model_anomaly_score", "model_load_duration_seconds", "model_memory_bytes",
          "model_batch_size_bucket", "model_batch_rows_total", "model_batch_duration_seconds_sum")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One stack for the module, without PostgreSQL: these alerts only read the model monitor."""
    _require_stack_tools()
    stack = LiveStack.start(tmp_path_factory.mktemp("model-health"), with_database=False)
    try:
        burst(stack, WARM_UP)
        yield stack
    finally:
        stack.stop()


def by_severity(labels: dict[str, str]) -> set[str]:
    """The seed's receivers of an alert with ``labels``."""
    return RECEIVERS[labels["severity"]]


def _critical_deliveries(live: LiveStack, alertname: str) -> list[object]:
    return [d for d in live.sink.deliveries(alertname, "firing") if d.labels.get("severity") == "critical"]


def test_the_service_reports_every_prediction_statistic(live: LiveStack) -> None:
    def reported() -> set[str]:
        return {name for name in SERIES if live.query(f'{name}{{job="model_service", model_id="tft-sales"}}')}

    assert live.sink.wait_for(lambda: reported() == set(SERIES), PHASE_TIMEOUT), sorted(set(SERIES) - reported())
    [load] = live.query('model_load_duration_seconds{job="model_service"}')
    [memory] = live.query('model_memory_bytes{job="model_service"}')
    # 8 stores x 364 days of float64 history at least; load time is what the fit took.
    assert float(memory["value"][1]) >= 8 * 364 * 8 and float(load["value"][1]) > 0
    [drifted] = live.query('model_prediction_drifted{job="model_service"}')
    assert drifted["value"][1] == "0", "predictions drifted on clean traffic"


def test_every_model_performance_panel_has_data(live: LiveStack) -> None:
    """Each panel query of the Model Performance dashboard the live stack generated returns series."""
    path = live.workdir / "generated" / "grafana" / "dashboards" / "model-performance.json"
    queries = [(panel["title"], target["expr"]) for panel in json.loads(path.read_text())["panels"]
               for target in panel.get("targets", []) if target.get("expr")]
    assert len(queries) == 26
    selected = {"$job": ".*", "$instance": ".*", "$model_id": ".*"}

    def empty() -> list[str]:
        out = []
        for title, expr in queries:
            for variable, value in selected.items():
                expr = expr.replace(variable, value)
            if not live.query(expr):
                out.append(title)
        return out

    if not live.sink.wait_for(lambda: not empty(), PHASE_TIMEOUT):
        pytest.fail(f"Model Performance panels with no series: {empty()}")


def test_biased_forecasts_fire_the_warning_and_prediction_drift_and_resolve(live: LiveStack) -> None:
    for alertname in ("HighPredictionBias", "PredictionDriftDetected"):
        assert not live.sink.deliveries(alertname), f"{alertname} fired before the fault: " + explain(live, alertname)
    with Load(live):
        live.set_fault("bias", True)
        try:
            wait_delivered(live, "HighPredictionBias", "firing", RECEIVERS["warning"], where={"severity": "warning"})
            wait_delivered(live, "PredictionDriftDetected", "firing", RECEIVERS["warning"], where={"severity": "warning"})
        finally:
            live.set_fault("bias", False)
        wait_delivered(live, "HighPredictionBias", "resolved", RECEIVERS["warning"], where={"severity": "warning"})
        wait_delivered(live, "PredictionDriftDetected", "resolved", RECEIVERS["warning"], where={"severity": "warning"})
    assert not _critical_deliveries(live, "HighPredictionBias"), explain(live, "HighPredictionBias")
    assert_routed_exactly(live, "HighPredictionBias", by_severity)
    assert_routed_exactly(live, "PredictionDriftDetected", by_severity)


def test_severely_biased_forecasts_page_mute_the_warning_and_resolve(live: LiveStack) -> None:
    assert not _critical_deliveries(live, "HighPredictionBias"), explain(live, "HighPredictionBias")
    with Load(live):
        live.set_fault("severe-bias", True)
        try:
            wait_delivered(live, "HighPredictionBias", "firing", RECEIVERS["critical"], where={"severity": "critical"})
            # Both conditions hold; the inhibit rule (equal alertname and service) mutes the warning.
            assert_warning_inhibited(live, "HighPredictionBias")
        finally:
            live.set_fault("severe-bias", False)
        wait_delivered(live, "HighPredictionBias", "resolved", RECEIVERS["critical"], where={"severity": "critical"})
    assert_routed_exactly(live, "HighPredictionBias", by_severity)
