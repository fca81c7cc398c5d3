"""Tracing on the OpenTelemetry SDK: resource, sampler, and export that cannot hurt the app.

:func:`build_tracer_provider` turns an :class:`~instrumentation.config.InstrumentationConfig`
into a ``TracerProvider``: resource with ``service.name``, ``service.version`` and
``deployment.environment.name``; a parent-based ratio sampler (or the one named in
``OTEL_TRACES_SAMPLER``); OTLP/HTTP export through a ``BatchSpanProcessor`` (the
:class:`~instrumentation.fast.CompactBatchSpanProcessor` variant) when an endpoint is
configured, none otherwise. Export failures are counted, never raised.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

from instrumentation import errors
from instrumentation.config import ConfigError, InstrumentationConfig
from instrumentation.fast import CompactBatchSpanProcessor


def build_resource(config: InstrumentationConfig) -> Resource:
    """The resource every span (and the metrics provider) carries."""
    attributes: dict[str, str] = dict(config.resource_attributes)
    attributes["service.name"] = config.service
    if config.version:
        attributes["service.version"] = config.version
    if config.environment:
        attributes["deployment.environment.name"] = config.environment
    return Resource.create(attributes)


def build_sampler(config: InstrumentationConfig) -> Sampler:
    """The sampler named by ``config.sampler`` with ``config.sample_ratio``."""
    ratio = TraceIdRatioBased(config.sample_ratio)
    samplers: dict[str, Sampler] = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "traceidratio": ratio,
        "parentbased_always_on": ParentBased(ALWAYS_ON),
        "parentbased_always_off": ParentBased(ALWAYS_OFF),
        "parentbased_traceidratio": ParentBased(ratio),
    }
    try:
        return samplers[config.sampler]
    except KeyError:
        raise ConfigError(
            f"unknown sampler {config.sampler!r}; use one of {', '.join(samplers)}"
        ) from None


class GuardedSpanExporter(SpanExporter):
    """Wraps an exporter so failures (results or exceptions) are counted, never propagated."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception as error:  # noqa: BLE001 - a broken exporter must not break anything
            errors.report("span_exporter", error)
            return SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            errors.report("span_exporter")
        return result

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception as error:  # noqa: BLE001
            errors.report("span_exporter", error)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        try:
            return self.inner.force_flush(timeout_millis)
        except Exception as error:  # noqa: BLE001
            errors.report("span_exporter", error)
            return False


def build_tracer_provider(
    config: InstrumentationConfig, exporter: SpanExporter | None = None
) -> TracerProvider:
    """A provider for ``config``; ``exporter`` overrides the OTLP one (e.g. for tests)."""
    provider = TracerProvider(resource=build_resource(config), sampler=build_sampler(config))
    if exporter is None and config.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=config.otlp_endpoint)
    if exporter is not None:
        provider.add_span_processor(CompactBatchSpanProcessor(GuardedSpanExporter(exporter)))
    return provider
