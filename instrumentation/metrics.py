"""Prometheus metrics through the OpenTelemetry SDK, built from ``instrumentation.catalog``.

A :class:`MetricsPipeline` owns one ``MeterProvider`` with a ``PrometheusMetricReader``
writing into its own ``prometheus_client`` registry, so tests can build many apps in one
process without their series mixing. Services share :func:`default_pipeline`.
"""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, generate_latest

from instrumentation.catalog import MetricSpec

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
        self.reader = PrometheusMetricReader(
            disable_target_info=True,
            scope_info_enabled=False,
            registry=self.registry,
        )
        self.provider = MeterProvider(
            metric_readers=[self.reader],
            resource=resource or Resource.create({}),
        )
        self.meter = self.provider.get_meter("obscode.instrumentation")
        self._instruments: dict[str, Any] = {}
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

    def exposition(self) -> bytes:
        """The text exposition format, as served on ``/metrics``."""
        return generate_latest(self.registry)

    def shutdown(self) -> None:
        self.provider.shutdown()


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
                _default = MetricsPipeline()
    return _default


def reset_default_pipeline() -> None:
    """Shut down and forget the process-wide pipeline (for tests)."""
    global _default
    with _default_lock:
        if _default is not None:
            _default.shutdown()
        _default = None
