"""The Quantis demo service: sales forecasts over HTTP, instrumented and model-monitored.

Endpoints::

    POST   /api/forecast                       {"store_id": 3, "horizon": 14, "model_id": "tft-sales"}
    GET    /api/models/{model_id}/performance  error metrics over recent evaluated forecasts
    GET    /health                             liveness
    GET    /api/faults                         active faults
    POST   /api/faults/{name}                  switch a fault on (one of service/faults.py's FAULTS)
    DELETE /api/faults/{name}                  switch it off
    GET    /metrics                            HTTP metrics (scrape job ``api``)
    POST   /api/login                          {"username": ..., "password": ...} (service/security.py)
    GET    /api/models/{model_id}/reference    reference data summary, bearer token (service/security.py)
    POST   /api/sessions, /api/backtest, /api/export, /api/sessions/end
                                               signed-in product use (service/activity.py)
    POST   /api/models/{model_id}/deploy, .../rollback; GET .../deployment
                                               deployments and rollbacks (service/mlops.py)

The model monitor serves the model metrics on its own port (scrape job ``model_service``).
Each forecast is scored against the actuals as soon as the simulated world produces them,
so error gauges move with every request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from instrumentation import instrument
from instrumentation.metrics import MetricsPipeline
from instrumentation.monitor import ModelMonitor, forecast_errors
from instrumentation.monitor.model_stats import estimate_nbytes
from stacks.quantis.config import CONFIG
from stacks.quantis.service import activity, mlops, sales, security
from stacks.quantis.service.faults import (
    BIAS_FACTOR, ERROR_FACTOR, LATENCY_SECONDS, SEVERE_BIAS_FACTOR, Faults, UnknownFault,
)
from stacks.quantis.service.faults import SLOW_HEALTH_SECONDS
from stacks.quantis.service.forecaster import holt_winters
from stacks.quantis.service.settings import ServiceSettings

MODEL_ID = "tft-sales"
MODEL_VERSION = "1.0.0"
SERVICE_NAME = "quantis-api"
#: Relative influence of each feature in the demand model (what the dashboard shows).
FEATURE_IMPORTANCE = {"price": 0.55, "temperature": 0.15, "marketing_spend": 0.30}
#: ... and what a retrained model reports under the ``importance-shift`` fault (ranking reversed).
SHIFTED_IMPORTANCE = {"price": 0.15, "temperature": 0.55, "marketing_spend": 0.30}

#: Under the ``errors`` fault, one forecast in this many also fails with HTTP 500.
FAILURE_EVERY = 10
#: Days ahead of the reference predictions fitted at start-up (the demo load's horizon).
REFERENCE_HORIZON = 14

logger = logging.getLogger("quantis.forecast")


class ModelBackendError(RuntimeError):
    """The injected backend failure (an unhandled exception, so the server answers 500)."""


class ForecastRequest(BaseModel):
    store_id: int = Field(default=0, ge=0, lt=sales.STORES)
    horizon: int = Field(default=14, ge=1, le=90)
    model_id: str = MODEL_ID


class ForecastResponse(BaseModel):
    prediction_id: str
    model_id: str
    model_version: str
    store_id: int
    forecast: list[float]
    lower: list[float]
    upper: list[float]


class _World:
    """Histories, the feature feed and the actuals that follow a forecast."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.histories = [sales.history(store) for store in range(sales.STORES)]
        self._rng = np.random.default_rng()
        self._lock = threading.Lock()
        self.recent: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=200)

    def features(self, n: int) -> dict[str, np.ndarray]:
        shift = sales.DRIFTED if "drift" in self.faults else sales.NO_SHIFT
        with self._lock:
            feed = sales.sample_features(self._rng, n, shift)
            if "missing-data" in self.faults:
                feed = sales.with_missing(self._rng, feed)
        return sales.schema_changed(feed) if "schema-change" in self.faults else feed

    def actuals(self, store: int, features: dict[str, np.ndarray]) -> np.ndarray:
        n = features["price"].shape[0]
        days = np.arange(sales.HISTORY_DAYS, sales.HISTORY_DAYS + n)
        # The world itself does not drift in price/temperature response: the unshifted
        # features drive actual demand, so drift changes inputs, not the truth.
        with self._lock:
            return sales.demand(days, store, sales.sample_features(self._rng, n), self._rng)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the service. Starts the model monitor (its /metrics and cycle) on app start-up."""
    settings = settings or ServiceSettings.from_env()
    faults = Faults(settings.faults)
    world = _World(faults)
    failures = itertools.count(1)
    monitor = ModelMonitor(
        {
            "metrics_port": settings.model_metrics_port,
            "metrics_addr": settings.host,
            "monitoring_interval": settings.monitoring_interval,
            "window_size": settings.drift_window,
            "min_samples_for_drift": settings.drift_window,
            "drift_method": "psi",
            "prediction_buckets": CONFIG.model_health.prediction_buckets,
        },
        pipeline=MetricsPipeline(process_metrics=True),  # model_service's process, as in production
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        monitor.register_model(MODEL_ID, MODEL_VERSION, {"description": "Holt-Winters sales forecaster"})
        with monitor.model_loading(MODEL_ID):  # loading = fitting on every store's history
            reference = [holt_winters(history, REFERENCE_HORIZON).mean for history in world.histories]
        monitor.load_reference_predictions(MODEL_ID, np.concatenate(reference))
        monitor.track_memory(MODEL_ID, lambda: estimate_nbytes(world.histories))  # the model's state
        monitor.set_anomaly_scorer(MODEL_ID, largest_relative_error)
        if not monitor.load_reference_data(MODEL_ID, str(settings.reference_csv)):
            raise RuntimeError(f"reference data {settings.reference_csv} could not be loaded")
        monitor.record_feature_importance(MODEL_ID, FEATURE_IMPORTANCE)
        monitor.start()
        logger.info("quantis service ready", extra={"faults": faults.active(),
                                                    "model_metrics_port": monitor.metrics_port})
        yield
        monitor.stop()

    app = FastAPI(title="Quantis demo service", lifespan=lifespan)
    app.state.monitor = monitor
    app.state.faults = faults
    # Per-request metrics of the areas: each install() below may append its own (the middleware
    # reads the list when it is built, at the first request); install() finds the pipeline here too.
    app.state.request_metrics = []
    app.state.instrumentation = instrument(app, service=SERVICE_NAME, metrics=MetricsPipeline(),
                                           excluded_paths=("/health",), request_metrics=app.state.request_metrics)

    for area in (security, activity, mlops):  # each adds its own routes and instruments
        area.install(app, monitor, settings, faults)

    @app.post("/api/forecast", response_model=ForecastResponse)
    async def forecast(request: ForecastRequest) -> ForecastResponse:
        if request.model_id != MODEL_ID:
            raise HTTPException(404, f"unknown model {request.model_id!r}; this service serves {MODEL_ID!r}")
        if "errors" in faults and next(failures) % FAILURE_EVERY == 0:
            raise ModelBackendError("model backend failed to load store history (injected fault)")
        started = time.perf_counter()
        result = holt_winters(world.histories[request.store_id], request.horizon)
        mean = result.mean * (ERROR_FACTOR if "errors" in faults else 1.0) * bias_factor(faults)
        if "latency" in faults:
            await asyncio.sleep(LATENCY_SECONDS)
        latency = time.perf_counter() - started
        features = world.features(request.horizon)
        actuals = world.actuals(request.store_id, features)
        errors = monitor.record_batch_metrics(MODEL_ID, mean, actuals, features,
                                              lower=result.lower, upper=result.upper, latencies=[latency],
                                              duration=latency)
        monitor.record_feature_importance(MODEL_ID, feature_importance(faults))
        world.recent.append((mean, actuals))
        prediction_id = uuid.uuid4().hex[:12]
        logger.info("Prediction request processed successfully", extra={
            "model_id": MODEL_ID, "prediction_id": prediction_id, "store_id": request.store_id,
            "execution_time_ms": round(latency * 1000, 3),
            "mape": None if errors is None or errors.mape is None else round(errors.mape, 3),
        })
        return ForecastResponse(
            prediction_id=prediction_id, model_id=MODEL_ID, model_version=MODEL_VERSION,
            store_id=request.store_id, forecast=mean.round(2).tolist(),
            lower=result.lower.round(2).tolist(), upper=result.upper.round(2).tolist(),
        )

    @app.get("/api/models/{model_id}/performance")
    async def performance(model_id: str) -> dict[str, Any]:
        if model_id != MODEL_ID:
            raise HTTPException(404, f"unknown model {model_id!r}; this service serves {MODEL_ID!r}")
        recent = list(world.recent)
        metrics: dict[str, float] = {}
        if recent:
            errors = forecast_errors(np.concatenate([p for p, _ in recent]), np.concatenate([a for _, a in recent]))
            metrics = {k: round(v, 4) for k, v in errors.gauges().items()}
        return {"model_id": MODEL_ID, "model_version": MODEL_VERSION, "evaluated_forecasts": len(recent),
                "metrics": metrics, "feature_importance": feature_importance(faults)}

    @app.get("/health")
    async def health() -> dict[str, Any]:
        if "slow-health" in faults:
            await asyncio.sleep(SLOW_HEALTH_SECONDS)
        return {"status": "ok", "model_id": MODEL_ID, "faults": faults.active()}

    @app.get("/api/faults")
    async def list_faults() -> dict[str, list[str]]:
        return {"active": faults.active()}

    @app.post("/api/faults/{name}")
    async def enable_fault(name: str) -> dict[str, list[str]]:
        _switch(faults.enable, name)
        logger.warning("fault switched on", extra={"fault": name})
        return {"active": faults.active()}

    @app.delete("/api/faults/{name}")
    async def disable_fault(name: str) -> dict[str, list[str]]:
        _switch(faults.disable, name)
        logger.info("fault switched off", extra={"fault": name})
        return {"active": faults.active()}

    return app


def feature_importance(faults: Faults) -> dict[str, float]:
    """The importances the served model reports (reordered under the ``importance-shift`` fault)."""
    return SHIFTED_IMPORTANCE if "importance-shift" in faults else FEATURE_IMPORTANCE


def bias_factor(faults: Faults) -> float:
    """What the ``bias`` and ``severe-bias`` faults multiply forecasts by."""
    return SEVERE_BIAS_FACTOR if "severe-bias" in faults else BIAS_FACTOR if "bias" in faults else 1.0


def largest_relative_error(predictions: np.ndarray, actuals: np.ndarray | None) -> float:
    """The demo's anomaly score of a batch: its largest |prediction - actual| / |actual|."""
    if actuals is None:
        return 0.0
    return float(np.max(np.abs(predictions - actuals) / np.maximum(np.abs(actuals), 1.0), initial=0.0))


def _switch(action: Any, name: str) -> None:
    try:
        action(name)
    except UnknownFault as exc:
        raise HTTPException(404, str(exc)) from None
