"""Quantis MLOps without the live stack: the alert expressions under promtool, the deployment
routes of the demo service, the training script, and the deployment annotations."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor
from stacks.quantis.config import CONFIG
from stacks.quantis.dashboards import MODEL_TAG, dashboards
from stacks.quantis.mlops_alerts import rule_files
from stacks.quantis.service import mlops, train
from stacks.quantis.service.app import MODEL_ID, MODEL_VERSION
from tests.conftest import require_tool

LABELS = 'kind="validation", metric="mape", dataset_version="d", job="training"'


def _rules() -> dict:
    return {rule.alert: rule for rule in rule_files(CONFIG)[0].groups[0].rules}


def _promtool(tmp_path: Path, alert: str, series: list[dict], eval_time: str, expected: list[dict]) -> None:
    """promtool test rules on ``alert``'s expression and for: alone (annotations are not compared)."""
    promtool = require_tool("promtool")
    rule = _rules()[alert]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"alert": alert, "expr": rule.expr, "for": rule.for_}]}]}))
    (tmp_path / "test.yml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": [
            {"eval_time": eval_time, "alertname": alert, "exp_alerts": [{"exp_labels": e} for e in expected]}]}]}))
    proc = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validation_regression_compares_the_newest_run_with_the_served_versions_last(tmp_path: Path) -> None:
    served = [{"series": f'model_info{{model_id="{m}", model_version="1.0.0"}}', "values": "1x40"}
              for m in ("worse", "close", "same")]
    # Each model validated 1.0.0 (mape 10) first; then a candidate replaced it in the gateway.
    old = [{"series": f'training_validation_metric{{model_id="{m}", model_version="1.0.0", {LABELS}}}',
            "values": "10x4 stale"} for m in ("worse", "close")]
    new = [{"series": f'training_validation_metric{{model_id="worse", model_version="1.1.0", {LABELS}}}',
            "values": "_x4 12x35"},
           {"series": f'training_validation_metric{{model_id="close", model_version="1.1.0", {LABELS}}}',
            "values": "_x4 10.5x35"},
           {"series": f'training_validation_metric{{model_id="same", model_version="1.0.0", {LABELS}}}',
            "values": "30x40"}]
    _promtool(tmp_path, "ValidationRegression", served + old + new, "30m",
              [{"model_id": "worse", "model_version": "1.1.0", "metric": "mape"}])


def test_stale_model_fires_only_after_stale_after_without_a_success(tmp_path: Path) -> None:
    week = 7 * 86400
    # Last successes at t=0 (Unix 0) for "old" and at t=7d-1h for "recent"; evaluated at 7d+2h.
    series = [{"series": 'training_last_success_timestamp_seconds{model_id="old", kind="training"}',
               "values": "0+0x200"},
              {"series": 'training_last_success_timestamp_seconds{model_id="recent", kind="training"}',
               "values": f"{week - 3600}+0x200"}]
    promtool = require_tool("promtool")
    rule = _rules()["StaleModel"]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"alert": "StaleModel", "expr": rule.expr, "for": rule.for_}]}]}))
    (tmp_path / "test.yml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yml"], "evaluation_interval": "1h",
        "tests": [{"interval": "1h", "input_series": series, "alert_rule_test": [
            {"eval_time": f"{7 * 24 + 2}h", "alertname": "StaleModel",
             "exp_alerts": [{"exp_labels": {"model_id": "old"}}]}]}]}))
    proc = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_model_rolled_back_names_the_version_served_after_the_rollback(tmp_path: Path) -> None:
    series = [{"series": 'model_deployments_total{model_id="m", kind="rollback", outcome="success"}',
               "values": "0x10 1x20"},
              {"series": 'model_deployments_total{model_id="m", kind="deploy", outcome="success"}',
               "values": "0x5 1x25"},
              {"series": 'model_info{model_id="m", model_version="1.0.0"}', "values": "1x5 0x4 1x20"},
              {"series": 'model_info{model_id="m", model_version="1.1.0"}', "values": "_x5 1x4 0x20"}]
    _promtool(tmp_path, "ModelRolledBack", series, "12m", [{"model_id": "m", "model_version": "1.0.0"}])


def test_training_run_failed_fires_on_the_failed_latest_run(tmp_path: Path) -> None:
    series = [{"series": f'training_run_success{{model_id="m", kind="training", model_version="2", {LABELS[19:]}}}',
               "values": "1x2 0x20"}]
    _promtool(tmp_path, "TrainingRunFailed", series, "15m", [{"model_id": "m", "kind": "training",
                                                              "model_version": "2"}])


@pytest.fixture
def client(pipeline: MetricsPipeline) -> TestClient:
    monitor = ModelMonitor({"metrics_port": 0}, pipeline=pipeline)
    monitor.register_model(MODEL_ID, MODEL_VERSION)
    app = FastAPI()
    mlops.install(app, monitor, None, None)
    return TestClient(app)


@pytest.fixture
def pipeline():
    p = MetricsPipeline()
    yield p
    p.shutdown()


def test_deploy_then_rollback_serves_the_first_version_again(client: TestClient) -> None:
    assert client.post(f"/api/models/{MODEL_ID}/deploy", json={"model_version": "1.1.0"}).json()["history"] == [
        MODEL_VERSION, "1.1.0"]
    rolled = client.post(f"/api/models/{MODEL_ID}/rollback").json()
    assert rolled == {"model_id": MODEL_ID, "model_version": MODEL_VERSION, "history": [MODEL_VERSION]}
    assert client.get(f"/api/models/{MODEL_ID}/deployment").json()["model_version"] == MODEL_VERSION


def test_a_rollback_with_nothing_before_is_refused_and_counted(client: TestClient, pipeline) -> None:
    response = client.post(f"/api/models/{MODEL_ID}/rollback")
    assert response.status_code == 409
    assert response.json()["detail"] == (f"{MODEL_ID} serves its first version {MODEL_VERSION}; "
                                         "there is nothing to roll back to")
    assert 'kind="rollback",model_id="tft-sales",outcome="failure"} 1.0' in pipeline.exposition().decode()


def test_deploying_the_served_version_is_refused(client: TestClient) -> None:
    response = client.post(f"/api/models/{MODEL_ID}/deploy", json={"model_version": MODEL_VERSION})
    assert response.status_code == 409
    assert response.json()["detail"] == f"version {MODEL_VERSION} of {MODEL_ID} is already served"


def test_an_unknown_model_is_refused(client: TestClient) -> None:
    response = client.post("/api/models/other/deploy", json={"model_version": "2.0.0"})
    assert response.status_code == 404
    assert response.json()["detail"] == f"unknown model 'other'; this service serves '{MODEL_ID}'"


def test_a_version_that_is_no_label_value_is_refused(client: TestClient) -> None:
    response = client.post(f"/api/models/{MODEL_ID}/deploy", json={"model_version": "1.0 beta"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "model_version"]


def test_the_degraded_candidate_validates_worse_than_the_margin() -> None:
    data = train.histories()
    tuned = train.tune(data)[1]
    degraded = train.score(train.DEGRADED, data)
    assert degraded.mape > tuned.mape * (1 + CONFIG.mlops.regression_margin)


def test_the_training_script_reports_a_failed_run_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    gateway = "127.0.0.1:1"  # nothing listens: the push failure is logged, the run's failure reported
    assert train.main(["--model-version", "9.9.9", "--truncated", "--gateway", gateway]) == 1
    assert "training run of tft-sales 9.9.9 failed: need at least 14 points of history, got 7" in capsys.readouterr().err


def test_every_model_dashboard_draws_the_deployment_annotations() -> None:
    models = [d for d in dashboards(CONFIG) if MODEL_TAG in d.tags]
    assert {d.uid for d in models} >= {"model-performance", "quantis-mlops"}
    for dashboard in models:
        names = [a.get("name") for a in dashboard.annotations.list]
        assert names[-2:] == ["Deployments", "Failed deployments"], dashboard.uid
        assert all('model_id=~"$model_id"' in a["expr"] for a in dashboard.annotations.list[-2:])
    others = [d for d in dashboards(CONFIG) if MODEL_TAG not in d.tags]
    assert others and not any(d.annotations.list for d in others)
