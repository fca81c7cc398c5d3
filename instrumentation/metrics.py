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

Hot paths skip the SDK's per-measurement work: :meth:`MetricsPipeline.observed` sums
counters in process and reports them through observable instruments at collection, and
:meth:`MetricsPipeline.histogram` keeps bucket counts in plain lists and exposes them
through a collector on the same registry, in exactly the exporter's format.
"""

from __future__ import annotations

import inspect
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Any

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
)
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import HistogramMetricFamily

from instrumentation.catalog import OVERFLOW_VALUE, MetricSpec
from instrumentation.config import DEFAULT_SERIES_LIMIT, ConfigError, check_series_limit, series_limit_from_env
from instrumentation.fast.compat import gauge_instrument_type

class MetricsPipeline:
    """One meter provider, one registry, instruments created once per catalog entry."""

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        resource: Resource | None = None,
        series_limit: int = DEFAULT_SERIES_LIMIT,
        process_metrics: bool = False,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self._process_metrics: Any = None
        self.series_limit = check_series_limit(series_limit, "series_limit")
        # Above the limiter's ceiling, so the SDK's own overflow (which adds an
        # undeclared otel_metric_overflow label) only fires for unguarded instruments.
        backstop = 2 * series_limit + 1000
        options: dict[str, Any] = {"disable_target_info": True, "scope_info_enabled": False, "registry": self.registry}
        if _READER_TAKES_LIMITS:  # exporter 0.66b2 and later; before, the SDK's default limit applies
            options["cardinality_limits"] = {kind: backstop for kind in _instrument_kinds()}
        self.reader = PrometheusMetricReader(**options)
        self.provider = MeterProvider(
            metric_readers=[self.reader],
            resource=resource or Resource.create({}),
            exemplar_filter=AlwaysOffExemplarFilter(),
        )
        self.meter = self.provider.get_meter("obscode.instrumentation")
        self._instruments: dict[str, Any] = {}
        self._limiters: dict[str, SeriesLimiter] = {}
        self._observed: dict[str, ObservedValues] = {}
        self._histograms: dict[str, HistogramValues] = {}
        self._lock = threading.Lock()
        #: The lock of every pre-aggregated value (observed() and histogram()) of this pipeline:
        #: one acquisition updates several metrics (the middleware's request count, duration
        #: and in-progress gauge at once). Held only for a few list operations, and to copy
        #: the values at collection.
        self.values_lock = threading.Lock()
        if process_metrics:
            self.include_process_metrics()

    def include_process_metrics(self) -> None:
        """Expose this process's CPU time, memory and file descriptors on this pipeline
        (``instrumentation.catalog.PROCESS_METRICS``); calling it again changes nothing.
        :func:`instrumentation.instrument` calls it for the app's pipeline."""
        from instrumentation.process_metrics import ProcessMetrics

        with self._lock:
            if self._process_metrics is None:
                self._process_metrics = ProcessMetrics()
                self.registry.register(self._process_metrics)

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
                    found = ObservedValues(self.values_lock)
                    _create_observable(self.meter, spec, found.observe)
                    self._observed[spec.name] = found
        return found

    def histogram(self, spec: MetricSpec) -> HistogramValues:
        """A pre-aggregated histogram for ``spec``, exposed on this pipeline's registry.

        For hot paths: ``record`` is a bisect and two additions under a lock, where the
        SDK's ``Histogram.record`` costs about ten times more. The family looks exactly as
        the exporter would show the instrument :meth:`instrument` builds (same name, help,
        labels, buckets); never use both for one spec.
        """
        if spec.instrument_kind != "histogram" or not spec.buckets:
            raise ValueError(f"metric {spec.name} is a {spec.instrument_kind} without buckets, not a histogram")
        found = self._histograms.get(spec.name)
        if found is None:
            with self._lock:
                found = self._histograms.get(spec.name)
                if found is None:
                    found = HistogramValues(spec, self.values_lock)
                    self.registry.register(found)
                    self._histograms[spec.name] = found
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


class CounterCell:
    """One series of an :class:`ObservedValues`: its attributes and current value."""

    __slots__ = ("attributes", "value")

    def __init__(self, attributes: dict[str, str]) -> None:
        self.attributes = attributes
        self.value: float = 0


class HistogramCell:
    """One series of a :class:`HistogramValues`: its attributes, per-bucket counts (the last one
    counts values above every bound) and the sum of the values."""

    __slots__ = ("attributes", "counts", "total")

    def __init__(self, attributes: dict[str, str], buckets: int) -> None:
        self.attributes = attributes
        self.counts = [0] * buckets
        self.total = 0.0


class ObservedValues:
    """Values per attribute set, summed in process and observed at collection time."""

    def __init__(self, lock: threading.Lock | None = None) -> None:
        self._values: dict[int, CounterCell] = {}
        self._lock = lock if lock is not None else threading.Lock()

    def add(self, amount: float, attributes: dict[str, str]) -> None:
        """Add ``amount`` to the series of ``attributes`` (pass the same dict object each time)."""
        self.add_to(self.cell(attributes), amount)

    def cell(self, attributes: dict[str, str]) -> CounterCell:
        """The series of ``attributes``, created at 0 if new; hot paths keep it and call
        :meth:`add_to` (or add to its ``value`` holding :attr:`lock`)."""
        key = id(attributes)
        with self._lock:
            found = self._values.get(key)
            if found is None:
                found = self._values[key] = CounterCell(attributes)
            return found

    def add_to(self, cell: CounterCell, amount: float) -> None:
        """Add ``amount`` to a series :meth:`cell` gave."""
        with self._lock:
            cell.value += amount

    @property
    def lock(self) -> threading.Lock:
        """The lock every change of a value is made under."""
        return self._lock

    def observe(self, options: Any = None) -> list[Observation]:
        with self._lock:
            cells = [(cell.attributes, cell.value) for cell in self._values.values()]
        return [Observation(value, attributes) for attributes, value in cells]


class HistogramValues:
    """Bucket counts and sums per attribute set, collected as one Prometheus histogram family.

    A ``prometheus_client`` collector: registered on a registry, it yields the family with
    cumulative ``le`` buckets (the spec's bounds, then ``+Inf``), ``_count`` and ``_sum``.
    """

    def __init__(self, spec: MetricSpec, lock: threading.Lock | None = None) -> None:
        self.spec = spec
        self.bounds: tuple[float, ...] = tuple(spec.buckets or ())
        self._les = [str(float(bound)) for bound in self.bounds] + ["+Inf"]
        self._series: dict[int, HistogramCell] = {}
        self._lock = lock if lock is not None else threading.Lock()

    def record(self, value: float, attributes: dict[str, str]) -> None:
        """Count ``value`` in the series of ``attributes`` (pass the same dict object each time)."""
        self.record_in(self.cell(attributes), value)

    def cell(self, attributes: dict[str, str]) -> HistogramCell:
        """The series of ``attributes``, created empty if new; hot paths keep it and call
        :meth:`record_in` (or do what it does, holding :attr:`lock`)."""
        key = id(attributes)
        with self._lock:
            found = self._series.get(key)
            if found is None:
                found = self._series[key] = HistogramCell(attributes, len(self.bounds) + 1)
            return found

    def record_in(self, cell: HistogramCell, value: float) -> None:
        """Count ``value`` in a series :meth:`cell` gave."""
        index = bisect_left(self.bounds, value)  # le semantics: a value on a bound counts in it
        with self._lock:
            cell.counts[index] += 1
            cell.total += value

    @property
    def lock(self) -> threading.Lock:
        """The lock every change of a series is made under."""
        return self._lock

    def describe(self) -> list[HistogramMetricFamily]:
        """The family's name for the registry's duplicate check (no samples)."""
        return [self._family()]

    def collect(self) -> Iterator[HistogramMetricFamily]:
        """The family with every series, or nothing before the first record (as the exporter does)."""
        with self._lock:
            cells = [(cell.attributes, list(cell.counts), cell.total) for cell in self._series.values()]
        if not cells:
            return
        spec = self.spec
        family = self._family()
        for attributes, counts, total in cells:
            cumulative = 0
            buckets = []
            for le, count in zip(self._les, counts):
                cumulative += count
                buckets.append((le, cumulative))
            family.add_metric([attributes.get(label, "") for label in spec.labels], buckets, total)
        yield family

    def _family(self) -> HistogramMetricFamily:
        spec = self.spec
        return HistogramMetricFamily(spec.prometheus_name, spec.help, labels=spec.labels, unit=spec.prometheus_unit)


#: Whether the installed Prometheus exporter takes per-instrument cardinality limits (public API).
_READER_TAKES_LIMITS = "cardinality_limits" in inspect.signature(PrometheusMetricReader.__init__).parameters


def _instrument_kinds() -> tuple[type, ...]:
    """The SDK's instrument classes (its synchronous gauge only where the compat probe found it;
    without it, gauges keep the reader's default limit)."""
    gauge = gauge_instrument_type()
    kinds = (Counter, UpDownCounter, Histogram, ObservableCounter, ObservableUpDownCounter, ObservableGauge)
    return kinds if gauge is None else (*kinds, gauge)


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


def default_pipeline(series_limit: int | None = None) -> MetricsPipeline:
    """The process-wide pipeline services and model monitors share.

    Created with ``series_limit`` (default: ``OBSCODE_SERIES_LIMIT``, read by
    :func:`~instrumentation.config.series_limit_from_env`). Asking for another limit once it
    exists raises :class:`~instrumentation.config.ConfigError`: its series are already bounded.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                limit = series_limit if series_limit is not None else series_limit_from_env()
                _default = MetricsPipeline(series_limit=limit)
    if series_limit is not None and series_limit != _default.series_limit:
        raise ConfigError(
            f"series_limit={series_limit}: the process-wide metrics pipeline already exists with "
            f"series_limit={_default.series_limit}; set OBSCODE_SERIES_LIMIT (or the same series_limit) "
            "everywhere in the process, or pass instrument(app, metrics=MetricsPipeline(series_limit=...))"
        )
    return _default


def reset_default_pipeline() -> None:
    """Shut down and forget the process-wide pipeline (for tests)."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.shutdown()
        _default = None
