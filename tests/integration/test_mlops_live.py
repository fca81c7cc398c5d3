"""The MLOps alerts, for real: training runs of the demo model pushed to the live stack's
Pushgateway (``python -m stacks.quantis.service.train``'s code) and deployments through the
demo service fire TrainingRunFailed, StaleModel, ValidationRegression and ModelRolledBack, each
delivered to exactly the receivers the route tree predicts (``obscode.routing.receivers_for``,
cross-checked with ``amtool``); the first three resolve once a good run replaces the bad one.
The model dashboards' deployment annotations return the deployment and the rollback.

ModelRolledBack is not waited out: it looks back ``rollback_window`` (1h; the local profile
shortens ``for:``, not windows). The tests run in file order: the rollback comes last, after
the validations that compare against the version served from the start.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from instrumentation.training import RunResult, push_run
from obscode.routing import receivers_for
from stacks.quantis.config import CONFIG
from stacks.quantis.dashboards import deployment_annotations
from stacks.quantis.service import mlops, train
from stacks.quantis.service.app import MODEL_ID, MODEL_VERSION
from stacks.quantis.service.live import LiveStack
from tests.conftest import require_tool
from tests.integration.conftest import _start, amtool_receivers

pytestmark = pytest.mark.integration

#: Every MLOps alert is a warning of category model: the route tree sends it to data science.
SPEC = {alert: {"data-science-team"}
        for alert in ("TrainingRunFailed", "StaleModel", "ValidationRegression", "ModelRolledBack")}
PHASE_TIMEOUT = 60.0
DAY = 86400.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """One stack for the module (no database: the MLOps alerts read the pushgateway and model jobs)."""
    require_tool("prometheus-pushgateway")
    stack = _start(tmp_path_factory.mktemp("mlops"), with_database=False)
    try:
        yield stack
    finally:
        stack.stop()


def _explain(live: LiveStack, alertname: str) -> str:
    return (f"Prometheus state of {alertname}: {sorted(live.alert_state(alertname)) or 'inactive'}; "
            f"deliveries: {[(d.receiver, d.status) for d in live.sink.deliveries(alertname)]}")


def _wait(live: LiveStack, alertname: str, status: str) -> None:
    reached = lambda: {d.receiver for d in live.sink.deliveries(alertname, status)}  # noqa: E731
    if not live.sink.wait_for(lambda: SPEC[alertname] <= reached(), PHASE_TIMEOUT):
        pytest.fail(f"{alertname} not {status} at {sorted(SPEC[alertname])} within {PHASE_TIMEOUT:.0f}s; "
                    + _explain(live, alertname))


def _assert_routed_exactly(live: LiveStack, alertname: str, service: str) -> list[dict[str, str]]:
    route = live.files["stack"].alertmanager.route
    firing = live.sink.deliveries(alertname, "firing")
    assert firing, _explain(live, alertname)
    distinct = {tuple(sorted(d.labels.items())): d for d in firing}.values()
    for delivery in distinct:
        assert delivery.labels["category"] == "model" and delivery.labels["service"] == service
        assert delivery.labels["owner"] == "data-science-team"
        predicted = receivers_for(route, delivery.labels)
        assert set(predicted) == SPEC[alertname], delivery.labels
        assert amtool_receivers(live.files["alertmanager"], delivery.labels) == predicted
        got = {d.receiver for d in firing if d.labels == delivery.labels}
        assert got == set(predicted), f"{alertname} {delivery.labels} reached {sorted(got)}, route tree says {predicted}"
    return [d.labels for d in distinct]


def _poll(check, timeout: float = PHASE_TIMEOUT):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def test_pushed_runs_keep_the_training_job_label(live: LiveStack) -> None:
    train.run("training", MODEL_VERSION, "2026-11", gateway=live.pushgateway_url)
    found = _poll(lambda: live.query(f'training_run_success{{model_id="{MODEL_ID}", kind="training"}}'))
    assert found, "the pushed run never reached Prometheus"
    labels = found[0]["metric"]
    assert labels["job"] == "training" and labels["model_version"] == MODEL_VERSION  # honor_labels kept them
    assert live.targets_health()[CONFIG.pushgateway.name] == "up"


def test_a_failed_training_run_fires_training_run_failed_and_a_good_run_resolves_it(live: LiveStack) -> None:
    with pytest.raises(ValueError, match="need at least 14 points of history"):
        train.run("training", "1.2.0", "2026-12", truncated=True, gateway=live.pushgateway_url)
    _wait(live, "TrainingRunFailed", "firing")
    [labels] = _assert_routed_exactly(live, "TrainingRunFailed", CONFIG.pushgateway.name)
    assert labels["model_version"] == "1.2.0" and labels["kind"] == "training"
    train.run("training", "1.2.1", "2026-12", gateway=live.pushgateway_url)
    _wait(live, "TrainingRunFailed", "resolved")


def test_no_recent_successful_training_fires_stale_model_and_a_new_run_resolves_it(live: LiveStack) -> None:
    now = time.time()
    # A run recorded eight days ago, pushed as a scheduler that lost its runner would have left it.
    assert push_run(RunResult(MODEL_ID, "training", "1.2.1", "2026-11", now - 8 * DAY - 60, now - 8 * DAY,
                              success=True), live.pushgateway_url)
    _wait(live, "StaleModel", "firing")
    [labels] = _assert_routed_exactly(live, "StaleModel", CONFIG.pushgateway.name)
    assert labels["model_id"] == MODEL_ID
    train.run("training", "1.3.0", "2026-12", gateway=live.pushgateway_url)
    _wait(live, "StaleModel", "resolved")


def test_a_candidate_validating_worse_than_the_served_version_fires_validation_regression(live: LiveStack) -> None:
    served = train.run("validation", MODEL_VERSION, "2026-11", gateway=live.pushgateway_url)
    assert _poll(lambda: live.query(f'training_validation_metric{{model_version="{MODEL_VERSION}", metric="mape"}}'))
    candidate = train.run("validation", "1.1.0", "2026-12", candidate="degraded", gateway=live.pushgateway_url)
    assert candidate.mape > served.mape * (1 + CONFIG.mlops.regression_margin)
    _wait(live, "ValidationRegression", "firing")
    [labels] = _assert_routed_exactly(live, "ValidationRegression", CONFIG.pushgateway.name)
    assert labels["model_version"] == "1.1.0" and labels["metric"] == CONFIG.mlops.regression_metric
    train.run("validation", "1.1.1", "2026-12", gateway=live.pushgateway_url)  # the tuned candidate
    _wait(live, "ValidationRegression", "resolved")


def test_a_rollback_fires_model_rolled_back_and_the_annotations_show_the_deployments(live: LiveStack) -> None:
    client = live.client
    refused = client.post(f"{live.service_url}/api/models/{MODEL_ID}/rollback")
    assert refused.status_code == 409 and "nothing to roll back to" in refused.json()["detail"]
    deployed = client.post(f"{live.service_url}/api/models/{MODEL_ID}/deploy", json={"model_version": "1.1.1"})
    assert deployed.status_code == 200 and deployed.json()["history"] == [MODEL_VERSION, "1.1.1"]
    rolled = client.post(f"{live.service_url}/api/models/{MODEL_ID}/rollback")
    assert rolled.status_code == 200 and rolled.json()["model_version"] == MODEL_VERSION
    _wait(live, "ModelRolledBack", "firing")
    [labels] = _assert_routed_exactly(live, "ModelRolledBack", CONFIG.model_service.name)
    assert labels["model_version"] == MODEL_VERSION

    dashboard = json.loads((live.files["root"] / "grafana" / "dashboards" / "model-performance.json").read_text())
    queries = {a["name"]: a["expr"].replace("$model_id", ".*") for a in dashboard["annotations"]["list"]
               if "expr" in a}
    assert set(queries) == {a["name"] for a in deployment_annotations()}
    events = _poll(lambda: {r["metric"]["kind"] for r in live.query(queries["Deployments"])} >= {"deploy", "rollback"}
                   and live.query(queries["Deployments"]))
    assert {(r["metric"]["kind"], r["metric"]["model_version"]) for r in events} <= {
        ("deploy", "1.1.1"), ("deploy", MODEL_VERSION), ("rollback", MODEL_VERSION)}
    failed = live.query(queries["Failed deployments"])
    assert {r["metric"]["kind"] for r in failed} == {"rollback"}


def test_every_model_dashboard_draws_the_deployments(live: LiveStack) -> None:
    dashboards = live.files["root"] / "grafana" / "dashboards"
    tagged = [json.loads(p.read_text()) for p in sorted(dashboards.glob("*.json"))]
    models = [d for d in tagged if "models" in d.get("tags", [])]
    assert {d["uid"] for d in models} >= {"model-performance", "quantis-mlops"}
    for dashboard in models:
        names = {a["name"] for a in dashboard["annotations"]["list"]}
        assert {"Deployments", "Failed deployments"} <= names, dashboard["uid"]


def test_every_mlops_panel_query_returns_series(live: LiveStack) -> None:
    from tests.integration.test_under_load import _panels, _resolve_variables, _substitute

    dashboard = json.loads((live.files["root"] / "grafana" / "dashboards" / "quantis-mlops.json").read_text())
    queries = [(panel["title"], target["expr"]) for panel in _panels(dashboard)
               for target in panel.get("targets", []) if target.get("expr")]

    def empty() -> list[str]:
        values, missing = _resolve_variables(live, dashboard)
        return [f"variable {name} has no values" for name in missing] + [
            f"{title}: {expr}" for title, expr in queries if not live.query(_substitute(expr, values))]

    _poll(lambda: not empty())
    problems = empty()
    assert not problems, "quantis-mlops panels with no series:\n  " + "\n  ".join(problems)


def test_the_rollback_demo_scenario_deploys_and_rolls_back(live: LiveStack) -> None:
    before = {r["metric"]["kind"]: float(r["value"][1]) for r in live.query(
        f'model_deployments_total{{model_id="{MODEL_ID}", outcome="success"}}')}
    mlops.deploy_and_roll_back(live.service_url, threading.Event())
    state = live.client.get(f"{live.service_url}/api/models/{MODEL_ID}/deployment").json()
    assert state["model_version"] == MODEL_VERSION and state["history"] == [MODEL_VERSION]
    after = lambda: {r["metric"]["kind"]: float(r["value"][1]) for r in live.query(  # noqa: E731
        f'model_deployments_total{{model_id="{MODEL_ID}", outcome="success"}}')}
    assert _poll(lambda: all(after()[kind] == before[kind] + 1 for kind in ("deploy", "rollback")))
