"""Training and validation runs, pushed to a Prometheus Pushgateway.

A training job is a batch process: it ends before Prometheus could scrape it. ``training_run``
records one run and, when the block ends, pushes what it measured to a Pushgateway, which
Prometheus scrapes with ``honor_labels: true``::

    from instrumentation.training import training_run

    with training_run("tft-sales", model_version="1.1.0", dataset_version="2026-11") as run:
        model = fit(train)
        run.loss(model.loss)
        run.metric("mape", evaluate(model, holdout))

Pushed per model and kind (``training`` or ``validation``), so each run replaces the one before
(the Pushgateway grouping key is ``model_id`` and ``kind``): duration, outcome, end time, the time
of the last successful run, the last loss and the validation metrics, each labelled with the
model and dataset versions. The metric names are ``TRAINING_METRICS`` of
:mod:`instrumentation.catalog` (the ``instrumentation-training`` catalog of obscode).

An exception inside the block makes the run a failure and is re-raised after the push. A failed
run keeps the previous ``training_last_success_timestamp_seconds`` (it is pushed with POST,
which replaces only the families it sends). A push that fails is logged and never raised into
the training code, unless ``raise_push_errors=True``.

The gateway is ``gateway=``, else the ``OBSCODE_PUSHGATEWAY_URL`` environment variable, else
``127.0.0.1:9091``.
"""

from __future__ import annotations

import http.client
import logging
import math
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from instrumentation import catalog

logger = logging.getLogger(__name__)

GATEWAY_VARIABLE = "OBSCODE_PUSHGATEWAY_URL"
DEFAULT_GATEWAY = "127.0.0.1:9091"
#: The ``job`` label of pushed series (kept as pushed: Prometheus scrapes with honor_labels).
DEFAULT_JOB = "training"


class TrainingRunError(ValueError):
    """A misuse of the training API the caller can fix (the message says how)."""


class PushError(RuntimeError):
    """The Pushgateway did not accept a run (raised only with ``raise_push_errors=True``)."""


@dataclass(frozen=True)
class RunResult:
    """One finished run, as pushed. ``started_at`` and ``finished_at`` are Unix times."""

    model_id: str
    kind: str
    model_version: str
    dataset_version: str
    started_at: float
    finished_at: float
    success: bool
    loss: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        for name in self.metrics:
            _check_metric(name)
        for label, value in (("model_id", self.model_id), ("model_version", self.model_version),
                             ("dataset_version", self.dataset_version)):
            if not isinstance(value, str) or not value:
                raise TrainingRunError(f"{label} must be a non-empty string, got {value!r}")

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    @property
    def labels(self) -> dict[str, str]:
        return {"model_id": self.model_id, "kind": self.kind, "model_version": self.model_version,
                "dataset_version": self.dataset_version}


class TrainingRun:
    """What the code inside ``with training_run(...) as run`` reports."""

    def __init__(self, model_id: str, kind: str, model_version: str, dataset_version: str) -> None:
        self.model_id = model_id
        self.kind = kind
        self.model_version = model_version
        self.dataset_version = dataset_version
        self.started_at = time.time()
        self._loss: float | None = None
        self._metrics: dict[str, float] = {}
        #: The pushed result, once the block has ended.
        self.result: RunResult | None = None
        #: Whether the Pushgateway accepted the result.
        self.pushed: bool = False

    def loss(self, value: float) -> None:
        """Record the run's loss; the last value recorded is pushed."""
        self._loss = _number("loss", value)

    def metric(self, name: str, value: float) -> None:
        """Record validation metric ``name`` (one of ``catalog.VALIDATION_METRICS``)."""
        _check_metric(name)
        self._metrics[name] = _number(f"metric {name!r}", value)

    def finish(self, success: bool) -> RunResult:
        return RunResult(self.model_id, self.kind, self.model_version, self.dataset_version,
                         self.started_at, time.time(), success, self._loss, dict(self._metrics))


@contextmanager
def training_run(model_id: str, *, model_version: str, dataset_version: str, kind: str = "training",
                 gateway: str | None = None, job: str = DEFAULT_JOB, timeout: float = 5.0,
                 raise_push_errors: bool = False) -> Iterator[TrainingRun]:
    """Record one training or validation run of ``model_id`` and push it when the block ends."""
    _check_kind(kind)
    RunResult(model_id, kind, model_version, dataset_version, 0.0, 0.0, True)  # validates the labels
    run = TrainingRun(model_id, kind, model_version, dataset_version)
    try:
        yield run
    except BaseException:
        run.result = run.finish(success=False)
        # The training error is the one to see: a failed push of it is only logged.
        run.pushed = push_run(run.result, gateway, job=job, timeout=timeout)
        raise
    run.result = run.finish(success=True)
    run.pushed = push_run(run.result, gateway, job=job, timeout=timeout, raise_errors=raise_push_errors)


def push_run(result: RunResult, gateway: str | None = None, *, job: str = DEFAULT_JOB, timeout: float = 5.0,
             raise_errors: bool = False) -> bool:
    """Push ``result`` (e.g. a run recorded elsewhere); True when the Pushgateway accepted it.

    A successful run replaces its group (PUT); a failed one replaces only the families it
    sends (POST), so the time of the last success survives it."""
    from prometheus_client import pushadd_to_gateway, push_to_gateway

    address = gateway or os.environ.get(GATEWAY_VARIABLE) or DEFAULT_GATEWAY
    push = push_to_gateway if result.success else pushadd_to_gateway
    try:
        push(address, job=job, registry=_registry(result), grouping_key={"model_id": result.model_id,
                                                                           "kind": result.kind}, timeout=timeout)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        message = (f"could not push the {result.kind} run of model {result.model_id} "
                   f"(version {result.model_version}) to the Pushgateway at {_redacted(address)}: {exc}")
        if raise_errors:
            raise PushError(message) from exc
        logger.warning(message)
        return False
    logger.info("pushed %s run of model %s version %s: %s in %.1fs", result.kind, result.model_id,
                result.model_version, "success" if result.success else "failure", result.duration)
    return True


def _registry(result: RunResult):  # -> prometheus_client.CollectorRegistry
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    labels = result.labels

    def gauge(spec: catalog.MetricSpec, value: float, **extra: str) -> None:
        names = tuple(spec.labels)
        family = gauges.get(spec.name)
        if family is None:
            family = gauges[spec.name] = Gauge(spec.prometheus_name, spec.help, names, registry=registry)
        family.labels(**{**labels, **extra}).set(value)

    gauges: dict[str, object] = {}
    gauge(catalog.TRAINING_RUN_DURATION, result.duration)
    gauge(catalog.TRAINING_RUN_SUCCESS, 1.0 if result.success else 0.0)
    gauge(catalog.TRAINING_RUN_FINISHED, result.finished_at)
    if result.success:
        gauge(catalog.TRAINING_LAST_SUCCESS, result.finished_at)
    if result.loss is not None:
        gauge(catalog.TRAINING_LOSS, result.loss)
    for name, value in sorted(result.metrics.items()):
        gauge(catalog.TRAINING_VALIDATION_METRIC, value, metric=name)
    return registry


def _check_kind(kind: str) -> None:
    if kind not in catalog.RUN_KINDS:
        raise TrainingRunError(f"unknown run kind {kind!r}; use one of: {', '.join(catalog.RUN_KINDS)}")


def _check_metric(name: str) -> None:
    if name not in catalog.VALIDATION_METRICS:
        raise TrainingRunError(f"unknown validation metric {name!r}; the catalog declares: "
                               f"{', '.join(catalog.VALIDATION_METRICS)}")


def _number(what: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TrainingRunError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise TrainingRunError(f"{what} must be finite, got {value!r}")
    return number


def _redacted(address: str) -> str:
    """``address`` without the user and password a URL may carry."""
    parts = urlsplit(address if "://" in address else f"http://{address}")
    if parts.username is None and parts.password is None:
        return address
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
