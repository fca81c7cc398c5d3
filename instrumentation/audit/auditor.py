"""The :class:`Auditor`: one call per security event, counted and written to the audit stream."""

from __future__ import annotations

import logging
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Literal

from opentelemetry.metrics import Observation

from instrumentation.audit.config import AUDIT_DATASET, AuditConfig
from instrumentation.audit.failures import FailureWindow
from instrumentation.audit.pseudonym import Pseudonymiser
from instrumentation.audit.stream import AuditStream
from instrumentation.catalog import (
    AUDIT_AUTHENTICATIONS,
    AUDIT_AUTHORIZATIONS,
    AUDIT_DATA_ACCESSES,
    AUDIT_FAILED_LOGINS_TOP_CLIENT,
    AUDIT_RATE_LIMIT_HITS,
    AUDIT_RATE_LIMITED_RESPONSES,
    OTHER_VALUE,
    MetricSpec,
)
from instrumentation.metrics import MetricsPipeline, default_pipeline

Outcome = Literal["success", "failure", "unknown"]
Decision = Literal["allow", "deny"]

_AUTH_METHODS = AUDIT_AUTHENTICATIONS.label_values["auth_method"]
_OUTCOMES = AUDIT_AUTHENTICATIONS.label_values["outcome"]
#: ECS ``event.type`` of a data access, by action (the types ECS expects with ``database``);
#: other actions are ``access``.
_DATA_EVENT_TYPES = {"create": "change", "update": "change", "delete": "change"}

_windows: weakref.WeakKeyDictionary[MetricsPipeline, FailureWindow] = weakref.WeakKeyDictionary()
_windows_lock = threading.Lock()


class Auditor:
    """Authentication, authorization, rate-limit and data-access events of one service.

    Each event adds one to its counter (labels from the declared values only; anything else
    is counted as ``other``) and writes one ECS line to the audit stream. User ids and client
    addresses appear only as keyed pseudonyms (:mod:`~instrumentation.audit.pseudonym`), and
    not at all without a key. Pass ``request`` (a Starlette/FastAPI ``Request``) to take the
    client address from it.
    """

    def __init__(
        self,
        config: AuditConfig | None = None,
        *,
        metrics: MetricsPipeline | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or AuditConfig.from_env()
        self.pseudonym = Pseudonymiser(self.config.key)
        self.metrics = metrics if metrics is not None else default_pipeline()
        self._resources = frozenset(self.config.resources)
        self._actions = frozenset(self.config.actions)
        self._limits = frozenset(self.config.limits)
        self._failures = _failure_window(self.metrics, clock)
        self._counters = {spec.name: self.metrics.instrument(spec) for spec in _COUNTERS}
        self._start_series()
        self.stream = AuditStream(self.config)
        if not self.pseudonym.enabled:
            sys.stderr.write(
                "obscode audit: OBSCODE_AUDIT_KEY is not set, so audit lines carry no user.id and no "
                "source.address; set a key of at least 32 bytes to write them as keyed pseudonyms\n"
            )

    def authentication(
        self,
        outcome: Outcome | bool,
        method: str,
        *,
        user_id: object = None,
        client: str | None = None,
        request: Any = None,
    ) -> None:
        """One authentication attempt (``outcome`` ``True`` is ``success``)."""
        result = _outcome(outcome)
        auth_method = _fold(method, _AUTH_METHODS)
        self._count(AUDIT_AUTHENTICATIONS, auth_method=auth_method, outcome=result)
        address = client or _client(request)
        if result == "failure" and address:
            self._failures.add(address)
        self._write(
            logging.WARNING if result == "failure" else logging.INFO,
            f"authentication {result} ({auth_method})",
            category="authentication", types=["start"], action="authentication", outcome=result,
            labels={"auth_method": auth_method}, user_id=user_id, client=address,
        )

    def authorization(
        self,
        decision: Decision | bool,
        resource: str,
        action: str,
        *,
        user_id: object = None,
        client: str | None = None,
        request: Any = None,
    ) -> None:
        """One authorization decision (``decision`` ``True`` is ``allow``)."""
        verdict = _decision(decision)
        folded_resource = _fold(resource, self._resources)
        folded_action = _fold(action, self._actions)
        self._count(AUDIT_AUTHORIZATIONS, decision=verdict, resource=folded_resource, action=folded_action)
        self._write(
            logging.WARNING if verdict == "deny" else logging.INFO,
            f"authorization {verdict}: {folded_action} on {folded_resource}",
            category="iam", types=["info"],
            action="authorization", outcome="success" if verdict == "allow" else "failure",
            labels={"decision": verdict, "resource": folded_resource, "action": folded_action},
            user_id=user_id, client=client or _client(request),
        )

    def rate_limited(
        self, limit: str, *, user_id: object = None, client: str | None = None, request: Any = None,
    ) -> None:
        """The hook for the service's own rate limiter: call it when ``limit`` refuses a request."""
        folded = _fold(limit, self._limits)
        self._count(AUDIT_RATE_LIMIT_HITS, limit=folded)
        self._write(
            logging.WARNING, f"rate limit {folded} hit",
            category="web", types=["access"], action="rate-limit", outcome="failure",
            labels={"limit": folded}, user_id=user_id, client=client or _client(request),
        )

    def data_access(
        self,
        resource: str,
        action: str,
        *,
        outcome: Outcome | bool = "success",
        records: int | None = None,
        user_id: object = None,
        client: str | None = None,
        request: Any = None,
    ) -> None:
        """One access to data: ``action`` on ``resource``, optionally how many ``records``."""
        result = _outcome(outcome)
        folded_resource = _fold(resource, self._resources)
        folded_action = _fold(action, self._actions)
        self._count(AUDIT_DATA_ACCESSES, resource=folded_resource, action=folded_action, outcome=result)
        labels: dict[str, Any] = {"resource": folded_resource, "action": folded_action}
        if records is not None:
            labels["records"] = str(int(records))
        self._write(
            logging.INFO, f"data access {result}: {folded_action} on {folded_resource}",
            category="database", types=[_DATA_EVENT_TYPES.get(folded_action, "access")],
            action="data-access", outcome=result, labels=labels,
            user_id=user_id, client=client or _client(request),
        )

    def specs(self) -> tuple[MetricSpec, ...]:
        """The catalog entries with this service's declared values (:meth:`AuditConfig.specs`)."""
        return self.config.specs()

    def rate_limited_response(self, method: str, route: str) -> None:
        """Count one HTTP 429 response (:class:`~instrumentation.audit.RateLimitedResponses` calls it)."""
        self._count(AUDIT_RATE_LIMITED_RESPONSES, method=method, path=route)

    def close(self) -> None:
        """Detach the audit stream (flushing it); the metrics stay with their pipeline."""
        self.stream.close()

    def _count(self, spec: MetricSpec, **labels: str) -> None:
        attributes = self.metrics.limiter(spec).attributes(tuple(labels[name] for name in spec.labels))
        self._counters[spec.name].add(1, attributes)

    def _start_series(self) -> None:
        """Zero-valued series for every declared label set, so alerts can take ``rate()`` at once."""
        resources = (*self.config.resources, OTHER_VALUE)
        actions = (*self.config.actions, OTHER_VALUE)
        sets: list[tuple[MetricSpec, tuple[str, ...]]] = []
        sets += [(AUDIT_AUTHENTICATIONS, (m, o)) for m in _AUTH_METHODS for o in _OUTCOMES]
        sets += [(AUDIT_AUTHORIZATIONS, (d, r, a)) for d in ("allow", "deny") for r in resources for a in actions]
        sets += [(AUDIT_RATE_LIMIT_HITS, (limit,)) for limit in (*self.config.limits, OTHER_VALUE)]
        sets += [(AUDIT_DATA_ACCESSES, (r, a, o)) for r in resources for a in actions for o in _OUTCOMES]
        for spec, values in sets:
            self._counters[spec.name].add(0, self.metrics.limiter(spec).attributes(values))

    def _write(
        self,
        level: int,
        message: str,
        *,
        category: str,
        types: list[str],
        action: str,
        outcome: str,
        labels: dict[str, Any],
        user_id: object,
        client: str | None,
    ) -> None:
        fields: dict[str, Any] = {
            "event": {
                "kind": "event", "dataset": AUDIT_DATASET, "category": [category], "type": types,
                "action": action, "outcome": outcome,
            },
            "labels": labels,
        }
        user = self.pseudonym(user_id)
        if user is not None:
            fields["user"] = {"id": user}
        source = self.pseudonym(client)
        if source is not None:
            fields["source"] = {"address": source}
        self.stream.write(level, message, fields)


_COUNTERS: tuple[MetricSpec, ...] = (
    AUDIT_AUTHENTICATIONS, AUDIT_AUTHORIZATIONS, AUDIT_RATE_LIMIT_HITS, AUDIT_RATE_LIMITED_RESPONSES,
    AUDIT_DATA_ACCESSES,
)


def _fold(value: object, allowed: Any) -> str:
    text = str(value)
    return text if text in allowed else OTHER_VALUE


def _outcome(outcome: object) -> str:
    if outcome is True:
        return "success"
    if outcome is False:
        return "failure"
    return outcome if outcome in _OUTCOMES else "unknown"  # type: ignore[return-value]


def _decision(decision: object) -> str:
    if decision is True or decision == "allow":
        return "allow"
    if decision is False or decision == "deny":
        return "deny"
    raise ValueError(f"authorization decision must be 'allow', 'deny', True or False, got {decision!r}")


def _client(request: Any) -> str | None:
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return host if isinstance(host, str) else None


def _failure_window(pipeline: MetricsPipeline, clock: Callable[[], float]) -> FailureWindow:
    """The pipeline's one window of failed logins, with its gauge (created with the first auditor)."""
    with _windows_lock:
        window = _windows.get(pipeline)
        if window is None:
            window = _windows[pipeline] = FailureWindow(clock)
            spec = AUDIT_FAILED_LOGINS_TOP_CLIENT
            ref = weakref.ref(window)

            def observe(options: Any = None) -> list[Observation]:
                live = ref()
                return [Observation(live.top() if live is not None else 0, {})]

            pipeline.meter.create_observable_gauge(spec.name, [observe], unit=spec.unit, description=spec.help)
        return window
