"""The data-quality alerts, for real: switch a fault of the live service's feature feed, watch
Prometheus fire the alert from what the model monitor exports, and check Alertmanager delivers
it to exactly the receivers the route tree predicts (``obscode.routing.receivers_for``,
cross-checked with ``amtool config routes test``), then that it resolves once the fault clears.

One stack serves the module (the machine is small); each test leaves its fault off. The schema
test runs last: its alert counts changes over a 10-minute window, so it stays firing after the
fault clears, and it is checked for firing only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.quantis.service.live import LiveStack
from tests.integration.conftest import (
    PHASE_TIMEOUT,
    Load,
    _require_stack_tools,
    assert_routed_exactly,
    burst,
    explain,
    wait_delivered,
)

pytestmark = pytest.mark.integration

#: warning + category=model -> data-science-team only.
RECEIVERS = {"data-science-team"}
#: Enough forecasts to fill the monitor's window (1000 rows, 14 per forecast) with clean data.
WARM_UP = 80


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One stack for the module, without PostgreSQL: these alerts only read the model monitor."""
    _require_stack_tools()
    stack = LiveStack.start(tmp_path_factory.mktemp("data-quality"), with_database=False)
    try:
        burst(stack, WARM_UP)
        yield stack
    finally:
        stack.stop()


def _round_trip(live: LiveStack, fault: str, alertname: str, where: dict[str, str]) -> None:
    assert not live.sink.deliveries(alertname), f"{alertname} fired before the fault: " + explain(live, alertname)
    with Load(live):
        live.set_fault(fault, True)
        try:
            wait_delivered(live, alertname, "firing", RECEIVERS, where=where)
        finally:
            live.set_fault(fault, False)
        wait_delivered(live, alertname, "resolved", RECEIVERS, where=where)
    assert_routed_exactly(live, alertname, RECEIVERS)


def test_every_data_quality_panel_has_data_on_a_healthy_stack(live: LiveStack) -> None:
    """Each panel query of the Data Quality dashboard the live stack generated returns series
    before any fault: shares at 0, schema-change counters started at 0, invalid values at 0."""
    path = live.workdir / "generated" / "grafana" / "dashboards" / "quantis-data-quality.json"
    dashboard = json.loads(path.read_text())
    queries = [(panel["title"], target["expr"]) for panel in dashboard["panels"]
               for target in panel.get("targets", []) if target.get("expr")]
    assert len(queries) == 9

    def expr(raw: str) -> str:
        return re.sub(r"\$(job|instance|model_id|feature_name)\b", ".*", raw)

    if not live.sink.wait_for(lambda: all(live.query(expr(q)) for _, q in queries), PHASE_TIMEOUT):
        pytest.fail(f"Data Quality panels with no series: {[t for t, q in queries if not live.query(expr(q))]}")
    for variable in dashboard["templating"]["list"]:
        assert variable["query"].startswith("label_values(model_feature_missing_share"), variable["name"]
    missing = live.query('model_feature_missing_share{job="model_service"}')
    assert {r["metric"]["feature_name"] for r in missing} == {"price", "temperature", "marketing_spend"}
    assert {float(r["value"][1]) for r in missing} == {0.0}


def test_missing_data_fires_high_missing_value_share_and_resolves(live: LiveStack) -> None:
    _round_trip(live, "missing-data", "HighMissingValueShare", {"feature_name": "temperature"})


def test_shifted_features_fire_high_outlier_share_and_resolve(live: LiveStack) -> None:
    # The drift fault moves price far above the reference maximum.
    _round_trip(live, "drift", "HighOutlierShare", {"feature_name": "price"})


def test_reordered_importances_fire_feature_importance_shift_and_resolve(live: LiveStack) -> None:
    _round_trip(live, "importance-shift", "FeatureImportanceShift", {"model_id": "tft-sales"})


def _schema_log_lines(log: Path) -> list[str]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line.get("message", "") for line in lines if "schema change" in str(line.get("message", ""))]


def test_schema_change_fires_per_column_and_change_and_is_logged_once(live: LiveStack) -> None:
    assert not live.sink.deliveries("FeatureSchemaChanged"), explain(live, "FeatureSchemaChanged")
    expected = [("temperature", "missing"), ("temperature_c", "extra"), ("price", "retyped")]
    with Load(live):
        live.set_fault("schema-change", True)
        try:
            for feature, change in expected:
                wait_delivered(live, "FeatureSchemaChanged", "firing", RECEIVERS,
                               where={"feature_name": feature, "change": change})
        finally:
            live.set_fault("schema-change", False)
    assert_routed_exactly(live, "FeatureSchemaChanged", RECEIVERS)
    assert sorted(_schema_log_lines(live.service_log)) == sorted([
        "schema change in features of model tft-sales: column 'temperature' (numeric) is missing from the feature frame",
        "schema change in features of model tft-sales: column 'temperature_c' (numeric) is not in the reference",
        "schema change in features of model tft-sales: column 'price' changed type from numeric to categorical",
    ])
