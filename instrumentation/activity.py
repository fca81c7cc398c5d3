"""User activity without a label per user: active users, API and feature usage, sessions.

::

    from instrumentation import instrument
    from instrumentation.activity import UserActivity

    activity = UserActivity(plans=("free", "pro"), features=("forecast", "backtest"))
    instrument(app, request_metrics=[activity.request_metric(user=user_id_of, plan=plan_of)])

    activity.feature_used("forecast", plan="pro")
    activity.session_ended(seconds=312.0)

``active_users{window="5m"|"1h"|"1d"}`` are gauges read at collection from a
:class:`SlidingDistinctCounter`: HyperLogLog sketches (Apache DataSketches, ``lg_k=12``, a
relative standard error of 1.04/sqrt(4096), about 1.6 %) kept per time slice and merged over
the window. Memory is bounded whatever the number of users (:attr:`SlidingDistinctCounter.max_bytes`),
and no user id is kept, logged or used as a label: a sketch holds only register values of hashes.

``api_usage_total{path, plan}`` counts requests by route template and plan, and
``feature_usage_total{feature, plan}`` uses of declared features. Plans and features are
declared sets: a plan outside them reads ``other`` (``none`` when the request has none), an
undeclared feature is refused. :meth:`UserActivity.specs` gives the catalog entries with those
values, so a stack's dashboards and alerts are checked against them.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from datasketches import hll_sketch, hll_union, tgt_hll_type

from instrumentation.catalog import (
    ACTIVE_USER_WINDOWS,
    ACTIVE_USERS,
    API_USAGE,
    FEATURE_USAGE,
    OVERFLOW_VALUE,
    SESSION_DURATION,
    UNMATCHED_PATH,
    MetricSpec,
)
from instrumentation.request_metrics import MISSING_VALUE, OTHER_VALUE, CompletedRequest, RequestMetric

#: log2 of the number of HyperLogLog registers (4096).
LG_K = 12
#: The sketches' relative standard error, 1.04/sqrt(2**LG_K) (about 1.6 %).
RELATIVE_ERROR = 1.04 / math.sqrt(2**LG_K)
#: Slices per window: a window of W counts the ids seen in the last W to W + W/SLICES.
SLICES = 12
#: The windows of ``active_users``, in seconds.
WINDOWS: Mapping[str, float] = dict(zip(ACTIVE_USER_WINDOWS, (300.0, 3600.0, 86400.0)))

_TYPE = tgt_hll_type.HLL_8


class SlidingDistinctCounter:
    """Distinct ids seen over sliding windows, in bounded memory.

    Each window of W seconds keeps at most ``slices + 1`` HyperLogLog sketches, one per slice of
    W/``slices`` seconds; :meth:`count` merges those of the last W (plus the current slice's start,
    so between W and W + W/``slices``). ``clock`` gives seconds (``time.time`` by default).
    """

    def __init__(
        self,
        windows: Mapping[str, float] = WINDOWS,
        *,
        lg_k: int = LG_K,
        slices: int = SLICES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 4 <= lg_k <= 21:
            raise ValueError(f"lg_k must be between 4 and 21 (DataSketches' range), got {lg_k}")
        if slices < 1:
            raise ValueError(f"slices must be at least 1, got {slices}")
        for name, seconds in windows.items():
            if not seconds > 0:
                raise ValueError(f"window {name!r} must last more than 0 seconds, got {seconds}")
        self.lg_k = lg_k
        self.slices = slices
        self._clock = clock
        self._widths = {name: float(seconds) / slices for name, seconds in windows.items()}
        #: Per window: (slice index, sketch), oldest first.
        self._rings: dict[str, deque[tuple[int, hll_sketch]]] = {name: deque() for name in windows}
        self._lock = threading.Lock()

    @property
    def windows(self) -> tuple[str, ...]:
        return tuple(self._rings)

    @property
    def max_bytes(self) -> int:
        """The most the sketches can take, however many ids are added."""
        per_sketch = hll_sketch.get_max_updatable_serialization_bytes(self.lg_k, _TYPE)
        return len(self._rings) * (self.slices + 1) * per_sketch

    def add(self, item: str) -> None:
        """Count ``item`` as seen now in every window."""
        now = self._clock()
        with self._lock:
            for name, ring in self._rings.items():
                index = math.floor(now / self._widths[name])
                if not ring or ring[-1][0] != index:
                    ring.append((index, hll_sketch(self.lg_k, _TYPE)))
                    self._expire(ring, index)
                ring[-1][1].update(item)

    def count(self, window: str) -> float:
        """Estimated distinct ids seen in ``window`` (0.0 when none)."""
        if window not in self._rings:
            raise KeyError(f"no window {window!r}; the windows are {', '.join(self._rings)}")
        index = math.floor(self._clock() / self._widths[window])
        union = hll_union(self.lg_k)
        with self._lock:
            ring = self._rings[window]
            self._expire(ring, index)
            for _, sketch in ring:
                union.update(sketch)
        return float(union.get_estimate())

    def counts(self) -> dict[str, float]:
        return {name: self.count(name) for name in self._rings}

    def bytes_used(self) -> int:
        """What the sketches take now (their updatable serialization size)."""
        with self._lock:
            sketches = [sketch for ring in self._rings.values() for _, sketch in ring]
        return sum(sketch.get_updatable_serialization_bytes() for sketch in sketches)

    def _expire(self, ring: deque[tuple[int, hll_sketch]], index: int) -> None:
        oldest = index - self.slices
        while ring and ring[0][0] < oldest:
            ring.popleft()


def _declared(kind: str, values: Collection[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ValueError(f"{kind} must be a collection of names, not the string {values!r}")
    out = tuple(dict.fromkeys(values))
    reserved = {OTHER_VALUE, MISSING_VALUE, OVERFLOW_VALUE} & set(out)
    if reserved:
        raise ValueError(f"{kind} cannot include {', '.join(sorted(reserved))}: the value is reserved")
    for value in out:
        if not value or not isinstance(value, str):
            raise ValueError(f"{kind} must be non-empty strings, got {value!r}")
    return out


_BOUND: weakref.WeakKeyDictionary[Any, UserActivity] = weakref.WeakKeyDictionary()
_BOUND_LOCK = threading.Lock()


class UserActivity:
    """Active users, API and feature usage and session durations of one service (module docstring).

    ``plans`` and ``features`` are the declared label values. ``pipeline`` is the
    :class:`~instrumentation.metrics.MetricsPipeline` (default: the process-wide one; give the
    same one to ``instrument(app, metrics=...)``); one :class:`UserActivity` per pipeline.
    """

    def __init__(
        self,
        *,
        plans: Collection[str] = (),
        features: Collection[str] = (),
        pipeline: Any = None,
        counter: SlidingDistinctCounter | None = None,
    ) -> None:
        self.plans = _declared("plans", plans)
        self.features = _declared("features", features)
        self.counter = counter if counter is not None else SlidingDistinctCounter()
        missing = set(ACTIVE_USER_WINDOWS) - set(self.counter.windows)
        if missing:
            raise ValueError(f"the counter lacks the window(s) {', '.join(sorted(missing))} active_users reports")
        if pipeline is None:
            from instrumentation.metrics import default_pipeline

            pipeline = default_pipeline()
        with _BOUND_LOCK:
            if pipeline in _BOUND:
                raise ValueError(
                    "this metrics pipeline already has a UserActivity (its active_users gauge exists); "
                    "create one UserActivity per pipeline and share it"
                )
            _BOUND[pipeline] = self
        self.pipeline = pipeline
        self._plan_set = frozenset(self.plans)
        self._feature_set = frozenset(self.features)
        specs = self.specs()
        self._api_usage, self._feature_usage, self._session = specs[1], specs[2], specs[3]
        self._window_attributes = {window: {"window": window} for window in ACTIVE_USER_WINDOWS}
        pipeline.meter.create_observable_gauge(
            ACTIVE_USERS.name, [self._observe], unit=ACTIVE_USERS.unit, description=ACTIVE_USERS.help,
        )
        self._features = pipeline.observed(self._feature_usage)
        self._feature_limiter = pipeline.limiter(self._feature_usage)
        self._sessions = pipeline.histogram(self._session)
        self._session_cell = self._sessions.cell({})

    def specs(self) -> tuple[MetricSpec, ...]:
        """The catalog entries of what this emits, with the declared plans and features as label values."""
        plans = (*self.plans, OTHER_VALUE, MISSING_VALUE)
        return (
            ACTIVE_USERS,
            replace(API_USAGE, label_values={"plan": plans}),
            replace(FEATURE_USAGE, label_values={"feature": self.features, "plan": plans}),
            SESSION_DURATION,
        )

    def plan_value(self, plan: str | None) -> str:
        """The ``plan`` label of ``plan``: itself when declared, ``none`` for None (or ``none``, what
        :func:`~instrumentation.request_metrics.header_value` gives for a missing header), else ``other``."""
        if plan is None or plan == MISSING_VALUE:
            return MISSING_VALUE
        return plan if plan in self._plan_set else OTHER_VALUE

    def seen(self, user_id: str | None) -> None:
        """Count ``user_id`` as active now (None: nobody, e.g. an anonymous request)."""
        if user_id:
            self.counter.add(str(user_id))

    def feature_used(self, feature: str, *, plan: str | None = None, user_id: str | None = None) -> None:
        """Count one use of a declared ``feature`` (and ``user_id`` as active, when given)."""
        if feature not in self._feature_set:
            declared = ", ".join(self.features) or "none"
            raise ValueError(f"feature {feature!r} is not declared; the declared features are: {declared}")
        attributes = self._feature_limiter.attributes((feature, self.plan_value(plan)))
        self._features.add(1, attributes)
        self.seen(user_id)

    def session_ended(self, seconds: float) -> None:
        """Record a session that lasted ``seconds``."""
        if not (seconds >= 0 and math.isfinite(seconds)):
            raise ValueError(f"a session lasts a finite, non-negative number of seconds, got {seconds!r}")
        self._sessions.record_in(self._session_cell, float(seconds))

    def request_metric(
        self,
        *,
        user: Callable[[CompletedRequest], str | None],
        plan: Callable[[CompletedRequest], str | None] | None = None,
        headers: Collection[str] = (),
    ) -> RequestMetric:
        """``api_usage_total`` for ``instrument(app, request_metrics=[...])``: each request counts by route
        and plan, and ``user(request)`` (an id, or None) as active. ``headers`` names the request headers
        ``user`` or ``plan`` read. Requests that matched no route count under ``<unmatched>``."""

        def labels(request: CompletedRequest) -> tuple[str, str]:
            self.seen(user(request))
            return request.route or UNMATCHED_PATH, self.plan_value(plan(request) if plan is not None else None)

        return RequestMetric(self._api_usage, labels, headers=headers)

    def _observe(self, options: Any = None) -> list[Any]:
        from opentelemetry.metrics import Observation

        return [Observation(value, self._window_attributes[window]) for window, value in self.counter.counts().items()
                if window in self._window_attributes]
