"""Prometheus metrics through the OpenTelemetry SDK, built from ``instrumentation.catalog``.

A :class:`MetricsPipeline` owns one ``MeterProvider`` with a ``PrometheusMetricReader``
writing into its own ``prometheus_client`` registry, so tests can build many apps in one
process without their series mixing. Services share :func:`default_pipeline`.

Label explosions are stopped twice: :meth:`MetricsPipeline.limiter` gives a
:class:`SeriesLimiter` that sends new label sets past the per-metric ``series_limit`` to
one overflow series whose collapsed labels read ``OVERFLOW_VALUE`` (a value the catalog
declares), and the reader's own cardinality limit sits above that as a last resort.
Exemplars are off: the Prometheus text exporter drops them, and sampling one per
measurement in a traced request would cost time for nothing.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from collections.abc import Sequence

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Observation
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    Counter,
    Histogram,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
    _Gauge,
)
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest

from instrumentation.catalog import OVERFLOW_VALUE, MetricSpec

#: Series per metric before new label sets collapse into the overflow series.
DEFAULT_SERIES_LIMIT = 2000


class MetricsPipeline:
    """One meter provider, one registry, instruments created once per catalog entry."""

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        resource: Resource | None = None,
        series_limit: int = DEFAULT_SERIES_LIMIT,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.series_limit = series_limit
        # Above the limiter's ceiling, so the SDK's own overflow (which adds an
        # undeclared otel_metric_overflow label) only fires for unguarded instruments.
        backstop = 2 * series_limit + 1000
        self.reader = PrometheusMetricReader(
            disable_target_info=True,
            scope_info_enabled=False,
            registry=self.registry,
            cardinality_limits={
                kind: backstop
                for kind in (Counter, UpDownCounter, Histogram, _Gauge,
                             ObservableCounter, ObservableUpDownCounter, ObservableGauge)
            },
        )
        self.provider = MeterProvider(
            metric_readers=[self.reader],
            resource=resource or Resource.create({}),
            exemplar_filter=AlwaysOffExemplarFilter(),
        )
        self.meter = self.provider.get_meter("obscode.instrumentation")
        self._instruments: dict[str, Any] = {}
        self._limiters: dict[str, SeriesLimiter] = {}
        self._observed: dict[str, ObservedValues] = {}
        self._lock = threading.Lock()

    def instrument(self, spec: MetricSpec) -> Any:
        """The OTel instrument for ``spec``, created on first use."""
        found = self._instruments.get(spec.name)
        if found is not None:
            return found
        with self._lock:
            found = self._instruments.get(spec.name)
            if found is None:
                found = _create(self.meter, spec)
                self._instruments[spec.name] = found
        return found

    def limiter(self, spec: MetricSpec, collapse: Sequence[str] | None = None) -> SeriesLimiter:
        """The series guard for ``spec`` (one per metric, shared by all callers).

        ``collapse`` names the labels replaced by ``OVERFLOW_VALUE`` once the limit is
        reached (default: all of them, i.e. a single overflow series).
        """
        found = self._limiters.get(spec.name)
        if found is None:
            with self._lock:
                found = self._limiters.get(spec.name)
                if found is None:
                    found = SeriesLimiter(spec.labels, self.series_limit, collapse)
                    self._limiters[spec.name] = found
        return found

    def observed(self, spec: MetricSpec) -> ObservedValues:
        """A pre-aggregated counter/gauge for ``spec``, read by an observable instrument.

        For hot paths: ``add`` is a dict update under a lock, and the OpenTelemetry
        observable counter (or up-down counter, or gauge) built from ``spec`` reports the
        totals when the reader collects. One per metric; the same family as
        :meth:`instrument` would create, so never use both for one spec.
        """
        found = self._observed.get(spec.name)
        if found is None:
            with self._lock:
                found = self._observed.get(spec.name)
                if found is None:
                    found = ObservedValues()
                    _create_observable(self.meter, spec, found.observe)
                    self._observed[spec.name] = found
        return found

    def exposition(self) -> bytes:
        """The text exposition format, as served on ``/metrics``."""
        return generate_latest(self.registry)

    def shutdown(self) -> None:
        self.provider.shutdown()


class SeriesLimiter:
    """Maps label values to an attributes dict, sending new ones past the limit to overflow.

    The dicts are built once and reused, so recording a known series allocates nothing.
    """

    def __init__(self, labels: Sequence[str], limit: int, collapse: Sequence[str] | None = None) -> None:
        if limit < 1:
            raise ValueError(f"series_limit must be at least 1, got {limit}")
        self.labels = tuple(labels)
        self.limit = limit
        collapsed = set(self.labels if collapse is None else collapse)
        unknown = collapsed - set(self.labels)
        if unknown:
            raise ValueError(f"cannot collapse unknown label(s) {sorted(unknown)}; labels are {self.labels}")
        self._collapse = tuple(label in collapsed for label in self.labels)
        self._series: dict[tuple[str, ...], dict[str, str]] = {}
        self._lock = threading.Lock()
        self.overflowed = 0

    def attributes(self, values: tuple[str, ...]) -> dict[str, str]:
        """The attributes to record ``values`` under (its own series, or the overflow one)."""
        found = self._series.get(values)
        if found is not None:
            return found
        with self._lock:
            found = self._series.get(values)
            if found is not None:
                return found
            if len(self._series) < self.limit:
                found = dict(zip(self.labels, values))
                self._series[values] = found
                return found
            self.overflowed += 1
            collapsed = tuple(
                OVERFLOW_VALUE if hide else value for hide, value in zip(self._collapse, values)
            )
            found = self._series.get(collapsed)
            if found is None:
                # Overflow series live outside the limit; with every label collapsed there is one.
                found = dict(zip(self.labels, collapsed))
                self._series[collapsed] = found
            return found


class ObservedValues:
    """Values per attribute set, summed in process and observed at collection time."""

    def __init__(self) -> None:
        self._values: dict[int, list[Any]] = {}
        self._lock = threading.Lock()

    def add(self, amount: float, attributes: dict[str, str]) -> None:
        """Add ``amount`` to the series of ``attributes`` (pass the same dict object each time)."""
        key = id(attributes)
        with self._lock:
            cell = self._values.get(key)
            if cell is None:
                self._values[key] = [attributes, amount]
            else:
                cell[1] += amount

    def observe(self, options: Any = None) -> list[Observation]:
        with self._lock:
            cells = [(attributes, value) for attributes, value in self._values.values()]
        return [Observation(value, attributes) for attributes, value in cells]


def _create_observable(meter: Any, spec: MetricSpec, callback: Any) -> Any:
    kind = spec.instrument_kind
    if kind == "counter":
        return meter.create_observable_counter(spec.name, [callback], unit=spec.unit, description=spec.help)
    if kind == "up_down_counter":
        return meter.create_observable_up_down_counter(spec.name, [callback], unit=spec.unit, description=spec.help)
    if kind == "gauge":
        return meter.create_observable_gauge(spec.name, [callback], unit=spec.unit, description=spec.help)
    raise ValueError(f"metric {spec.name} is a {kind}; only counters and gauges can be observed")


def _create(meter: Any, spec: MetricSpec) -> Any:
    kind = spec.instrument_kind
    if kind == "counter":
        return meter.create_counter(spec.name, unit=spec.unit, description=spec.help)
    if kind == "up_down_counter":
        return meter.create_up_down_counter(spec.name, unit=spec.unit, description=spec.help)
    if kind == "gauge":
        return meter.create_gauge(spec.name, unit=spec.unit, description=spec.help)
    if kind == "histogram":
        return meter.create_histogram(
            spec.name,
            unit=spec.unit,
            description=spec.help,
            explicit_bucket_boundaries_advisory=list(spec.buckets or ()),
        )
    raise ValueError(f"unknown instrument kind {kind!r} for metric {spec.name}")


_default: MetricsPipeline | None = None
_default_lock = threading.Lock()


def default_pipeline() -> MetricsPipeline:
    """The process-wide pipeline services and model monitors share."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = MetricsPipeline(series_limit=_series_limit_from_env())
    return _default


def _series_limit_from_env() -> int:
    raw = os.environ.get("OBSCODE_SERIES_LIMIT", "").strip()
    if not raw:
        return DEFAULT_SERIES_LIMIT
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"OBSCODE_SERIES_LIMIT={raw!r} is not an integer") from None


def reset_default_pipeline() -> None:
    """Shut down and forget the process-wide pipeline (for tests)."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.shutdown()
        _default = None
