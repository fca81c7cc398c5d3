"""ModelMonitor.record_deployment: the deployment counter and the served version (model_info)."""

from __future__ import annotations

import pytest

from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor
from instrumentation.monitor.monitor import MonitorError


@pytest.fixture
def monitor(pipeline: MetricsPipeline) -> ModelMonitor:
    m = ModelMonitor({"metrics_port": 0}, pipeline=pipeline)
    m.register_model("tft-sales", "1.0.0")
    return m


def deployments(scrape) -> dict[tuple[str, str], float]:
    return {(dict(k)["kind"], dict(k)["outcome"]): v for k, v in scrape("model_deployments_total").items()}


def info(scrape) -> dict[str, float]:
    return {dict(k)["model_version"]: v for k, v in scrape("model_info").items()}


def test_registration_marks_the_served_version_and_starts_every_deployment_series_at_zero(monitor, scrape) -> None:
    assert info(scrape) == {"1.0.0": 1.0}
    assert deployments(scrape) == {(k, o): 0.0 for k in ("deploy", "rollback") for o in ("success", "failure")}


def test_a_deployment_counts_and_switches_the_served_version(monitor, scrape) -> None:
    monitor.record_deployment("tft-sales", "1.1.0")
    assert deployments(scrape)[("deploy", "success")] == 1.0
    assert info(scrape) == {"1.0.0": 0.0, "1.1.0": 1.0}
    monitor.record_batch_metrics("tft-sales", [1.0, 2.0], [1.0, 2.5])
    versions = {dict(k)["model_version"] for k in scrape("model_evaluated_predictions_total")}
    assert versions == {"1.1.0"}  # the monitor's labels follow the served version


def test_a_rollback_counts_as_a_rollback_and_serves_the_earlier_version_again(monitor, scrape) -> None:
    monitor.record_deployment("tft-sales", "1.1.0")
    monitor.record_deployment("tft-sales", "1.0.0", kind="rollback")
    assert deployments(scrape)[("rollback", "success")] == 1.0
    assert info(scrape) == {"1.0.0": 1.0, "1.1.0": 0.0}


def test_a_failed_deployment_counts_and_switches_nothing(monitor, scrape) -> None:
    monitor.record_deployment("tft-sales", "1.2.0", success=False)
    assert deployments(scrape)[("deploy", "failure")] == 1.0
    assert info(scrape) == {"1.0.0": 1.0}


def test_an_unknown_deployment_kind_is_refused_with_the_known_ones(monitor) -> None:
    with pytest.raises(MonitorError, match="unknown deployment kind 'canary'; use one of: deploy, rollback"):
        monitor.record_deployment("tft-sales", "1.1.0", kind="canary")


def test_a_deployment_of_an_unregistered_model_says_what_to_do(monitor) -> None:
    with pytest.raises(MonitorError, match=r"call register_model\('other', version\) first"):
        monitor.record_deployment("other", "1.0.0")
