"""instrumentation.training against a real Prometheus Pushgateway on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.training import PushError, RunResult, TrainingRunError, push_run, training_run
from stacks.quantis.service.processes import Process, ToolMissing, free_port, start_pushgateway

LABELS = {"model_id": "tft-sales", "kind": "training", "job": "training"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    try:
        proc = start_pushgateway(free_port(), tmp_path_factory.mktemp("pushgateway"))
    except ToolMissing as exc:
        pytest.skip(str(exc))
    yield proc
    proc.stop()


@pytest.fixture
def address(gateway: Process) -> Iterator[str]:
    yield gateway.url
    for kind in ("training", "validation"):  # each test starts from an empty gateway
        httpx.delete(f"{gateway.url}/metrics/job/training/model_id/tft-sales/kind/{kind}").raise_for_status()


def samples(url: str, name: str) -> list[tuple[dict[str, str], float]]:
    text = httpx.get(f"{url}/metrics").text
    return [(dict(s.labels), s.value) for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == name]


def only(url: str, name: str) -> tuple[dict[str, str], float]:
    found = samples(url, name)
    assert len(found) == 1, found
    return found[0]


def test_a_successful_run_pushes_duration_outcome_loss_metrics_and_versions(address: str) -> None:
    with training_run("tft-sales", model_version="1.1.0", dataset_version="2026-11", gateway=address) as run:
        run.loss(0.25)
        run.metric("mape", 12.5)
        run.metric("rmse", 3.0)
    assert run.pushed
    versions = {"model_version": "1.1.0", "dataset_version": "2026-11"}
    labels, value = only(address, "training_run_success")
    assert labels == {**LABELS, **versions, "instance": ""} and value == 1
    assert only(address, "training_loss")[1] == 0.25
    metrics = {labels["metric"]: value for labels, value in samples(address, "training_validation_metric")}
    assert metrics == {"mape": 12.5, "rmse": 3.0}
    finished = only(address, "training_run_finished_timestamp_seconds")[1]
    assert only(address, "training_last_success_timestamp_seconds")[1] == finished
    assert 0 <= only(address, "training_run_duration_seconds")[1] < finished - run.result.started_at + 1


def test_an_exception_makes_the_run_a_failure_is_re_raised_and_keeps_the_last_success(address: str) -> None:
    with training_run("tft-sales", model_version="1.0.0", dataset_version="2026-10", gateway=address):
        pass
    succeeded = only(address, "training_last_success_timestamp_seconds")
    with pytest.raises(RuntimeError, match="out of memory"):
        with training_run("tft-sales", model_version="1.1.0", dataset_version="2026-11", gateway=address) as run:
            raise RuntimeError("out of memory")
    assert run.pushed and run.result is not None and not run.result.success
    labels, value = only(address, "training_run_success")
    assert value == 0 and labels["model_version"] == "1.1.0"
    assert only(address, "training_last_success_timestamp_seconds") == succeeded


def test_runs_of_one_model_and_kind_replace_each_other_and_kinds_do_not(address: str) -> None:
    for version in ("1.0.0", "1.1.0"):
        with training_run("tft-sales", model_version=version, dataset_version="d", gateway=address) as run:
            run.metric("mape", 10.0)
    with training_run("tft-sales", model_version="1.1.0", dataset_version="d", kind="validation",
                      gateway=address) as run:
        run.metric("mape", 11.0)
    found = {(labels["kind"], labels["model_version"]): value
             for labels, value in samples(address, "training_validation_metric")}
    assert found == {("training", "1.1.0"): 10.0, ("validation", "1.1.0"): 11.0}


def test_a_run_recorded_elsewhere_is_pushed_with_its_own_times(address: str) -> None:
    result = RunResult("tft-sales", "training", "0.9.0", "2026-01", started_at=1000.0, finished_at=1600.0,
                       success=True)
    assert push_run(result, address)
    assert only(address, "training_last_success_timestamp_seconds")[1] == 1600.0
    assert only(address, "training_run_duration_seconds")[1] == 600.0


def test_a_gateway_that_is_down_is_logged_and_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    down = f"127.0.0.1:{free_port()}"
    with caplog.at_level(logging.WARNING, logger="instrumentation.training"):
        with training_run("tft-sales", model_version="1.1.0", dataset_version="d", gateway=down) as run:
            run.loss(0.1)
    assert not run.pushed
    assert f"could not push the training run of model tft-sales (version 1.1.0) to the Pushgateway at {down}" \
        in caplog.text


def test_a_gateway_that_is_down_raises_when_asked() -> None:
    down = f"127.0.0.1:{free_port()}"
    with pytest.raises(PushError, match="could not push the validation run of model tft-sales"):
        with training_run("tft-sales", model_version="1.1.0", dataset_version="d", kind="validation",
                          gateway=down, raise_push_errors=True):
            pass


def test_the_log_line_leaves_out_credentials_in_the_gateway_url(caplog: pytest.LogCaptureFixture) -> None:
    down = f"http://trainer:s3cret@127.0.0.1:{free_port()}"
    with caplog.at_level(logging.WARNING, logger="instrumentation.training"):
        with training_run("tft-sales", model_version="1.1.0", dataset_version="d", gateway=down):
            pass
    assert "s3cret" not in caplog.text and "http://***@127.0.0.1:" in caplog.text


def test_the_gateway_comes_from_the_environment(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSCODE_PUSHGATEWAY_URL", address)
    with training_run("tft-sales", model_version="2.0.0", dataset_version="d") as run:
        pass
    assert run.pushed and only(address, "training_run_success")[0]["model_version"] == "2.0.0"


def test_an_unknown_validation_metric_is_refused_with_the_declared_ones() -> None:
    with pytest.raises(TrainingRunError, match="unknown validation metric 'accuracy'; the catalog declares: mae, mape"):
        with training_run("tft-sales", model_version="1", dataset_version="d", gateway="127.0.0.1:1") as run:
            run.metric("accuracy", 0.9)


def test_an_unknown_run_kind_is_refused() -> None:
    with pytest.raises(TrainingRunError, match="unknown run kind 'tuning'; use one of: training, validation"):
        with training_run("tft-sales", model_version="1", dataset_version="d", kind="tuning"):
            pass


def test_a_non_finite_loss_is_refused() -> None:
    with pytest.raises(TrainingRunError, match="loss must be finite, got nan"):
        with training_run("tft-sales", model_version="1", dataset_version="d", gateway="127.0.0.1:1") as run:
            run.loss(float("nan"))


def test_an_empty_model_version_is_refused() -> None:
    with pytest.raises(TrainingRunError, match="model_version must be a non-empty string, got ''"):
        with training_run("tft-sales", model_version="", dataset_version="d"):
            pass

