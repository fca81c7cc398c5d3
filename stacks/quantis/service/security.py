"""Login, authorization and rate limits of the demo service, through instrumentation.audit.

Endpoints::

    POST /api/login                          {"username": "...", "password": "..."} -> {"token": "..."}
    GET  /api/models/{model_id}/reference    the model's reference data summary (bearer token;
                                             roles analyst and admin, a viewer is denied)

Every login is an authentication event (``password``); a client sending more than
``Security.login_attempts_per_window`` logins per ``login_window_seconds`` is refused with 429
(the ``login`` limit, through the auditor's limiter hook), and every 429 is counted by route
(``RateLimitedResponses``). A bearer token the service never issued is a failed ``token``
authentication; the reference route makes an authorization decision (``model``, ``read``) and,
when allowed, a data-access event; every answered forecast is a data-access event
(``forecast``, ``read``).

The audit lines go to ``OBSCODE_AUDIT_LOG_FILE``, else to ``audit/<service>.ndjson`` next to
the service log (``OBSCODE_LOG_FILE``), else standard output. Without ``OBSCODE_AUDIT_KEY`` the demo
service draws a random key at start, so its lines carry pseudonyms that hold for one run
(a real service takes a stable key from its secret store).
"""

from __future__ import annotations

import csv
import dataclasses
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from instrumentation import instrument
from instrumentation.audit import AuditConfig, Auditor, RateLimitedResponses
from instrumentation.catalog import AUDIT_RATE_LIMITED_RESPONSES
from stacks.quantis.config import CONFIG, Security

SERVICE_NAME = "quantis-api"
LOGIN_PATH = "/api/login"
FORECAST_PATH = "/api/forecast"
#: Where the audit lines go when neither OBSCODE_AUDIT_LOG_FILE nor OBSCODE_LOG_FILE is set.
STDOUT_FILE = "/dev/stdout"


@dataclass(frozen=True)
class DemoUser:
    password: str
    role: str


#: The demo service's toy user set (demo credentials, not secrets: they guard nothing real).
DEMO_USERS: dict[str, DemoUser] = {
    "ana@quantis.example.com": DemoUser("demo-analyst", "analyst"),
    "max@quantis.example.com": DemoUser("demo-admin", "admin"),
    "vic@quantis.example.com": DemoUser("demo-viewer", "viewer"),
}
#: Roles allowed to read a model's reference data.
REFERENCE_ROLES = frozenset({"analyst", "admin"})
#: Issued tokens kept at most (the oldest is forgotten first).
MAX_TOKENS = 10_000
#: Clients the login limiter remembers at most (the least recently seen is forgotten first).
MAX_CLIENTS = 10_000


class LoginRequest(BaseModel):
    username: str
    password: str


class LoginLimiter:
    """At most ``attempts`` logins per client per ``window`` seconds (fixed windows)."""

    def __init__(self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def allow(self, client: str) -> bool:
        now = self._clock()
        with self._lock:
            start, count = self._clients.pop(client, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            allowed = count < self.attempts
            self._clients[client] = (start, count + 1 if allowed else count)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            return allowed


class Tokens:
    """Bearer tokens issued at login, in memory: token -> username."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: OrderedDict[str, str] = OrderedDict()

    def issue(self, username: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._users[token] = username
            while len(self._users) > MAX_TOKENS:
                self._users.popitem(last=False)
        return token

    def user(self, token: str) -> str | None:
        with self._lock:
            return self._users.get(token)


def check_password(username: str, password: str) -> bool:
    """The toy credential check (constant time for known users)."""
    user = DEMO_USERS.get(username)
    if user is None:
        return False
    return hmac.compare_digest(user.password.encode(), password.encode())


def audit_config(security: Security = CONFIG.security, environ: Mapping[str, str] | None = None) -> AuditConfig:
    """The demo service's audit settings: its declared resources and limits, its audit file and key."""
    env = os.environ if environ is None else environ
    config = AuditConfig.from_env(service=SERVICE_NAME, environ=env, resources=security.resources,
                                  limits=security.limits)
    overrides: dict[str, Any] = {}
    if config.log_file is None and env.get("OBSCODE_LOG_FILE"):
        overrides["log_file"] = str(audit_log_path(Path(env["OBSCODE_LOG_FILE"])))
    elif config.log_file is None and Path(STDOUT_FILE).exists():
        # Standard output opened as a file of the auditor's own: a sink nobody else closes under
        # it (the stream sys.stdout names may be closed first, as pytest's capture is at exit).
        overrides["log_file"] = STDOUT_FILE
    if config.key is None:
        overrides["key"] = secrets.token_bytes(32)  # pseudonyms for this run only
    config = dataclasses.replace(config, **overrides)
    if config.log_file is not None and config.log_file != STDOUT_FILE:
        Path(config.log_file).parent.mkdir(parents=True, exist_ok=True)
    return config


def audit_log_path(service_log: Path) -> Path:
    """Where the audit stream goes next to the service log ``service_log``."""
    return service_log.parent / "audit" / f"{SERVICE_NAME}.ndjson"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class AnsweredForecasts:
    """ASGI middleware: ``on_answer(request)`` after each ``POST /api/forecast`` answered 200."""

    def __init__(self, app: Any, on_answer: Callable[[Request], None]) -> None:
        self.app = app
        self.on_answer = on_answer

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != FORECAST_PATH:
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == 200:
            self.on_answer(Request(scope))


def install(app: FastAPI, monitor: Any, settings: Any, faults: Any, security: Security = CONFIG.security) -> Auditor:
    """Add this area's routes and instruments to the demo service ``app``; returns its auditor."""
    pipeline = instrument(app).metrics
    audit = Auditor(audit_config(security), metrics=pipeline)
    # The login route's 429 series starts at 0 (as the auditor's own counters do), so rate()
    # sees the first refusal.
    pipeline.instrument(AUDIT_RATE_LIMITED_RESPONSES).add(
        0, pipeline.limiter(AUDIT_RATE_LIMITED_RESPONSES).attributes(("POST", LOGIN_PATH)))
    limiter = LoginLimiter(security.login_attempts_per_window, security.login_window_seconds)
    tokens = Tokens()
    app.state.audit = audit
    app.add_middleware(RateLimitedResponses, auditor=audit)

    def caller(request: Request) -> str | None:
        """The user of a bearer token, if any; a token never issued is a failed authentication."""
        token = _bearer(request)
        if token is None:
            return None
        user = tokens.user(token)
        if user is None:
            audit.authentication(False, "token", request=request)
        return user

    def forecast_read(request: Request) -> None:
        audit.data_access("forecast", "read", records=1, user_id=caller(request), request=request)

    app.add_middleware(AnsweredForecasts, on_answer=forecast_read)

    @app.post(LOGIN_PATH)
    async def login(body: LoginRequest, request: Request) -> dict[str, str]:
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            audit.rate_limited("login", user_id=body.username, request=request)
            raise HTTPException(429, "too many login attempts; try again later",
                                headers={"Retry-After": str(int(security.login_window_seconds))})
        ok = check_password(body.username, body.password)
        audit.authentication(ok, "password", user_id=body.username, request=request)
        if not ok:
            raise HTTPException(401, "unknown user or wrong password")
        return {"token": tokens.issue(body.username), "token_type": "bearer"}

    @app.get("/api/models/{model_id}/reference")
    async def reference(model_id: str, request: Request) -> dict[str, Any]:
        from stacks.quantis.service.app import MODEL_ID  # app.py imports this module

        if model_id != MODEL_ID:
            raise HTTPException(404, f"unknown model {model_id!r}; this service serves {MODEL_ID!r}")
        token = _bearer(request)
        user = caller(request)
        if user is None:
            raise HTTPException(401, "log in first (POST /api/login) and send the token as "
                                     "'Authorization: Bearer <token>'" if token is None else "unknown token",
                                headers={"WWW-Authenticate": "Bearer"})
        allowed = DEMO_USERS[user].role in REFERENCE_ROLES
        audit.authorization(allowed, "model", "read", user_id=user, request=request)
        if not allowed:
            raise HTTPException(403, f"role {DEMO_USERS[user].role!r} may not read reference data")
        with open(settings.reference_csv, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        columns, records = (rows[0], len(rows) - 1) if rows else ([], 0)
        audit.data_access("model", "read", records=records, user_id=user, request=request)
        return {"model_id": model_id, "columns": columns, "rows": records}

    return audit


# -- driving it (the brute-force demo scenario and the live tests) ------------------------------


def brute_force(base_url: str, stop: threading.Event, username: str = "ana@quantis.example.com",
                rate: float = 20.0) -> None:
    """Failed logins for ``username`` from this one client at about ``rate`` per second until
    ``stop`` is set: failures first, then 429s once the login limiter refuses the client."""
    with httpx.Client(timeout=10.0) as client:
        i = 0
        while not stop.is_set():
            try:
                client.post(f"{base_url}{LOGIN_PATH}", json={"username": username, "password": f"guess-{i}"})
            except httpx.HTTPError:
                pass
            i += 1
            stop.wait(1.0 / rate)


def denied_reads(base_url: str, stop: threading.Event, username: str = "vic@quantis.example.com",
                 rate: float = 5.0) -> None:
    """A viewer reading reference data it may not read, about ``rate`` times per second."""
    with httpx.Client(timeout=10.0) as client:
        token = None
        while token is None and not stop.is_set():  # the login limiter may refuse this client a while
            answer = client.post(f"{base_url}{LOGIN_PATH}",
                                 json={"username": username, "password": DEMO_USERS[username].password})
            token = answer.json()["token"] if answer.status_code == 200 else None
            stop.wait(0 if token else 1.0)
        while not stop.is_set():
            try:
                client.get(f"{base_url}/api/models/tft-sales/reference", headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError:
                pass
            stop.wait(1.0 / rate)
