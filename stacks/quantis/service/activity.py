"""User activity of the demo service, through instrumentation.activity.

Requests say who and which plan they are for in two headers, as a gateway that authenticated
them would: ``X-User-Id`` (counted in ``active_users``, never a label) and ``X-Plan`` (one of
``config.activity.plans``; others read ``other``, none ``none``). Every request counts in
``api_usage_total{path, plan}``; a successful request to a feature's route counts one use of it
in ``feature_usage_total{feature, plan}``:

    POST /api/sessions        visit      a user opens the app (a session starts)
    POST /api/forecast        forecast   (app.py's route)
    POST /api/backtest        backtest   {"store_id": 3, "horizon": 14}: a forecast of the last
                                         ``horizon`` days of history, scored against them
    POST /api/export          export     {"store_id": 3, "horizon": 14}: a forecast as CSV
    POST /api/sessions/end    -          {"seconds": 312.5}: the client reports a session's length
                                         (user_session_duration_seconds)

The service keeps no state per user or session. ``QUANTIS_ACTIVITY_TIME_SCALE`` (default 1)
divides the active-user windows (5m, 1h, 1d), so a live test sees the 5-minute window empty
in seconds; the gauges keep their window names.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from instrumentation.activity import WINDOWS, SlidingDistinctCounter, UserActivity
from instrumentation.request_metrics import CompletedRequest, header_value
from stacks.quantis.config import CONFIG
from stacks.quantis.service import sales
from stacks.quantis.service.forecaster import holt_winters

USER_HEADER = "x-user-id"
PLAN_HEADER = "x-plan"
TIME_SCALE_VARIABLE = "QUANTIS_ACTIVITY_TIME_SCALE"
#: Successful requests to these routes (method, route template) count as a use of the feature.
FEATURE_ROUTES: Mapping[tuple[str, str], str] = {
    ("POST", "/api/sessions"): "visit",
    ("POST", "/api/forecast"): "forecast",
    ("POST", "/api/backtest"): "backtest",
    ("POST", "/api/export"): "export",
}
#: The longest session the service accepts a report of (a week).
MAX_SESSION_SECONDS = 7 * 86400.0


class StoreHorizon(BaseModel):
    store_id: int = Field(default=0, ge=0, lt=sales.STORES)
    horizon: int = Field(default=14, ge=1, le=90)


class SessionEnd(BaseModel):
    seconds: float = Field(ge=0, le=MAX_SESSION_SECONDS, allow_inf_nan=False)


def time_scale(environ: Mapping[str, str] | None = None) -> float:
    """``QUANTIS_ACTIVITY_TIME_SCALE``: how many times shorter the active-user windows are."""
    raw = (os.environ if environ is None else environ).get(TIME_SCALE_VARIABLE, "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale >= 1):
        raise ValueError(f"{TIME_SCALE_VARIABLE}={raw!r} must be a number of at least 1")
    return scale


class FeatureRoutes:
    """Counts a feature use for each successful request to a route of :data:`FEATURE_ROUTES`.

    It sits in ``instrument(request_metrics=...)`` beside ``api_usage_total``, so the routes stay
    free of bookkeeping; it records into ``activity``'s own counter (``feature_used``), so it
    binds to no pipeline of its own.
    """

    def __init__(self, activity: UserActivity, plan: Any, routes: Mapping[tuple[str, str], str]) -> None:
        undeclared = sorted(set(routes.values()) - set(activity.features))
        if undeclared:
            raise ValueError(f"feature route(s) for undeclared feature(s): {', '.join(undeclared)}")
        self.activity = activity
        self.plan = plan
        self.routes = dict(routes)
        self.headers = (PLAN_HEADER.encode("latin-1"),)

    def bind(self, pipeline: Any) -> FeatureRoutes:
        return self

    def record(self, request: CompletedRequest) -> None:
        feature = self.routes.get((request.method, request.route))
        if feature is not None and request.status < 400:
            self.activity.feature_used(feature, plan=self.plan(request))


def install(app: FastAPI, monitor: Any, settings: Any, faults: Any) -> UserActivity:
    """Count the users, plans, features and sessions of ``app`` (see the module docstring)."""
    config = CONFIG.activity
    scale = time_scale()
    activity = UserActivity(
        plans=config.plans, features=config.features, pipeline=app.state.instrumentation.metrics,
        counter=SlidingDistinctCounter({name: seconds / scale for name, seconds in WINDOWS.items()}),
    )
    app.state.activity = activity
    user_header = header_value(USER_HEADER, missing="")
    plan = header_value(PLAN_HEADER)

    def user(request: CompletedRequest) -> str | None:
        if "no-user-id" in faults:
            return None
        return user_header(request) or None

    app.state.request_metrics.extend([
        activity.request_metric(user=user, plan=plan, headers=(USER_HEADER, PLAN_HEADER)),
        FeatureRoutes(activity, plan, FEATURE_ROUTES),
    ])
    histories = [sales.history(store) for store in range(sales.STORES)]

    @app.post("/api/sessions", status_code=201)
    async def start_session() -> dict[str, str]:
        return {"session": "started"}

    @app.post("/api/sessions/end")
    async def end_session(session: SessionEnd) -> dict[str, float]:
        activity.session_ended(session.seconds)
        return {"recorded_seconds": session.seconds}

    @app.post("/api/backtest")
    async def backtest(request: StoreHorizon) -> dict[str, Any]:
        history = histories[request.store_id]
        past, actual = history[:-request.horizon], history[-request.horizon:]
        mean = holt_winters(past, request.horizon).mean
        mape = float(np.mean(np.abs((actual - mean) / actual)) * 100)
        return {"store_id": request.store_id, "horizon": request.horizon, "mape": round(mape, 3)}

    @app.post("/api/export", response_class=PlainTextResponse)
    async def export(request: StoreHorizon) -> PlainTextResponse:
        result = holt_winters(histories[request.store_id], request.horizon)
        out = io.StringIO()
        out.write("day,forecast,lower,upper\n")
        for day, row in enumerate(zip(result.mean, result.lower, result.upper), start=1):
            out.write(f"{day},{row[0]:.2f},{row[1]:.2f},{row[2]:.2f}\n")
        return PlainTextResponse(out.getvalue(), media_type="text/csv")

    return activity


# -- demo traffic (stacks/quantis/demo.py scenarios, tests/integration/test_activity_live.py) ------

#: The demo's signed-in users: ids are made up, and plans rotate over the declared ones.
DEMO_USERS = tuple(f"demo-user-{n}" for n in range(7))
#: In the funnel-drop traffic, one visit in this many goes on to a forecast (and none to an export).
FORECAST_EVERY = 12


def signed_in(n: int) -> dict[str, str]:
    """The headers of the ``n``-th signed-in request: one of :data:`DEMO_USERS` and a declared plan."""
    plans = CONFIG.activity.plans
    return {"X-User-Id": DEMO_USERS[n % len(DEMO_USERS)], "X-Plan": plans[n % len(plans)]}


def funnel_drop_step(client: Any, base_url: str, n: int) -> list[Any]:
    """The ``n``-th step of a funnel that breaks: a visit, and every :data:`FORECAST_EVERY` th one a
    forecast; nobody exports. Returns the responses."""
    headers = signed_in(n)
    responses = [client.post(f"{base_url}/api/sessions", headers=headers)]
    if n % FORECAST_EVERY == 0:
        responses.append(client.post(f"{base_url}/api/forecast", headers=headers,
                                     json={"store_id": n % sales.STORES, "horizon": 7}))
    return responses


def _drive(step: Any, base_url: str, stop: Any, rate: float) -> None:
    import httpx

    with httpx.Client(timeout=10.0) as client:
        n = 0
        while not stop.is_set():
            try:
                step(client, base_url, n)
            except httpx.HTTPError:
                pass  # the service restarting; keep going
            n += 1
            stop.wait(1.0 / rate)


def funnel_drop(base_url: str, stop: Any, rate: float = 20.0) -> None:
    """Signed-in visits at about ``rate`` per second, few forecasts, no export, until ``stop`` is set:
    FunnelConversionLow fires for visit -> forecast and forecast -> export."""
    _drive(funnel_drop_step, base_url, stop, rate)


def lost_user_ids(base_url: str, stop: Any, rate: float = 5.0) -> None:
    """Switch on the no-user-id fault, then signed-in backtests at about ``rate`` per second:
    ActiveUsersMissing fires once the 5-minute window of active users is empty."""
    import httpx

    httpx.post(f"{base_url}/api/faults/no-user-id", timeout=10.0).raise_for_status()

    def backtest(client: Any, url: str, n: int) -> None:
        client.post(f"{url}/api/backtest", headers=signed_in(n), json={"store_id": n % sales.STORES, "horizon": 7})

    _drive(backtest, base_url, stop, rate)
