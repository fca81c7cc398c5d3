"""``instrument(app)``: traces, Prometheus metrics and JSON logs for one FastAPI/Starlette app.

::

    from fastapi import FastAPI
    from instrumentation import instrument

    app = FastAPI()
    instrument(app, service="api")

Settings not passed as arguments come from the environment (see
:class:`~instrumentation.config.InstrumentationConfig`). Instrumenting an app twice returns
the first :class:`Instrumentation`; :meth:`Instrumentation.uninstrument` undoes everything,
so tests can build many apps in one process.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from instrumentation import errors
from instrumentation.catalog import INSTRUMENTATION_ERRORS
from instrumentation.config import ConfigError, InstrumentationConfig
from instrumentation.logs import configure_logging, remove_logging
from instrumentation.metrics import MetricsPipeline, default_pipeline
from instrumentation.middleware import ObscodeMiddleware, RequestHook
from instrumentation.multiproc import MultiprocessMetrics
from instrumentation.request_metrics import RequestMetric
from instrumentation.routes import RouteTemplates
from instrumentation.tracing import build_tracer_provider

_APP_ATTR = "_obscode_instrumentation"
_global_lock = threading.Lock()


@dataclass
class Instrumentation:
    """What :func:`instrument` set up for one app; call :meth:`uninstrument` to undo it."""

    app: Any
    config: InstrumentationConfig
    tracer_provider: TracerProvider
    metrics: MetricsPipeline
    multiproc: MultiprocessMetrics | None = None
    _owns_provider: bool = False
    _metrics_server: Any = None
    _logging: bool = False
    _original_build: Any = field(default=None, repr=False)
    _native_saved: dict[str, Any] | None = field(default=None, repr=False)
    _clients: Any = field(default=None, repr=False)

    def exposition(self) -> bytes:
        """What ``/metrics`` serves (merged over workers in multi-worker mode)."""
        return self.multiproc.exposition() if self.multiproc else self.metrics.exposition()

    def uninstrument(self) -> None:
        """Remove the middleware, stop background work and restore logging."""
        app = self.app
        if getattr(app, _APP_ATTR, None) is not self:
            return
        app.__dict__.pop("build_middleware_stack", None)
        app.middleware_stack = None
        delattr(app, _APP_ATTR)
        if self._native_saved is not None:
            app._telemetry.update(self._native_saved)
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
        if self.multiproc is not None:
            self.multiproc.stop()
        if self._logging:
            remove_logging()
        if self._clients is not None:
            self._clients.uninstrument()
        if self._owns_provider:
            self.tracer_provider.shutdown()


def instrument(
    app: Any,
    service: str | None = None,
    *,
    config: InstrumentationConfig | None = None,
    tracer_provider: TracerProvider | None = None,
    span_exporter: SpanExporter | None = None,
    metrics: MetricsPipeline | None = None,
    request_hook: RequestHook | None = None,
    request_metrics: Sequence[RequestMetric] = (),
    **options: Any,
) -> Instrumentation:
    """Trace, measure and log every HTTP request ``app`` serves.

    ``service`` and ``options`` (any :class:`InstrumentationConfig` field, e.g.
    ``log_format="ecs"``) override ``config``, which defaults to the environment.
    ``tracer_provider`` or ``span_exporter`` replace the OTLP setup; ``metrics`` replaces
    the process-wide pipeline (give each test app its own). ``request_metrics`` are metrics
    of your own recorded once per request (:mod:`instrumentation.request_metrics`).
    """
    existing = getattr(app, _APP_ATTR, None)
    if existing is not None:
        return existing
    base = config or InstrumentationConfig.from_env()
    if service is not None:
        options["service"] = service
    cfg = base.with_overrides(**options) if options else base

    if metrics is None:
        pipeline = default_pipeline(cfg.series_limit)
    else:
        pipeline = metrics
        if "series_limit" in options and options["series_limit"] != metrics.series_limit:
            raise ConfigError(
                f"series_limit={options['series_limit']} differs from the series_limit={metrics.series_limit} "
                "of the metrics pipeline passed; give it to MetricsPipeline(series_limit=...) instead"
            )

    owns_provider = tracer_provider is None
    provider = tracer_provider or build_tracer_provider(cfg, span_exporter)
    if owns_provider:
        _offer_global_provider(provider)
    errors.register(pipeline, pipeline.instrument(INSTRUMENTATION_ERRORS))
    pipeline.include_process_metrics()

    multiproc = None
    if cfg.multiproc_dir:
        multiproc = MultiprocessMetrics(cfg.multiproc_dir, pipeline, cfg.multiproc_interval)
    handle = Instrumentation(app, cfg, provider, pipeline, multiproc, owns_provider)
    if multiproc is not None:
        multiproc.start()
    if cfg.metrics_port is not None:
        try:
            handle._metrics_server = _serve_metrics(handle, cfg.metrics_port, cfg.metrics_addr)
        except ConfigError:
            if multiproc is not None:
                multiproc.stop()
            raise
    handle._logging = configure_logging(cfg) is not None
    if cfg.trace_clients:
        from instrumentation.clients import instrument_http_clients

        handle._clients = instrument_http_clients(provider, metrics=pipeline, redact=cfg.redact)

    tracer = provider.get_tracer("obscode.instrumentation")
    routes = RouteTemplates(app)
    original_build = app.build_middleware_stack

    def build_middleware_stack() -> Any:
        return ObscodeMiddleware(
            original_build(),
            tracer=tracer,
            metrics=pipeline,
            routes=routes,
            exposition=handle.exposition,
            metrics_path=cfg.metrics_path if cfg.metrics_port is None else None,
            excluded_paths=cfg.excluded_paths,
            trace_id_header=cfg.trace_id_header,
            access_log=cfg.access_log,
            request_hook=request_hook,
            request_metrics=request_metrics,
        )

    handle._original_build = original_build
    handle._native_saved = _silence_native_telemetry(app)
    app.build_middleware_stack = build_middleware_stack
    app.middleware_stack = None
    setattr(app, _APP_ATTR, handle)
    return handle


def uninstrument(app: Any) -> None:
    """Undo :func:`instrument` on ``app`` (no-op when it is not instrumented)."""
    handle = getattr(app, _APP_ATTR, None)
    if handle is not None:
        handle.uninstrument()


def _silence_native_telemetry(app: Any) -> dict[str, Any] | None:
    """Switch off FastAPI's own telemetry (newer FastAPI versions), which ours replaces.

    It would otherwise open a second server span around ours, with operation spans below,
    whenever a global tracer provider is set. Returns the settings to restore.
    """
    native = getattr(app, "_telemetry", None)
    if not isinstance(native, dict):
        return None
    saved = {key: native.get(key) for key in ("tracing", "metrics", "logs")}
    native.update(tracing=False, metrics=False, logs=False)
    return saved


def _offer_global_provider(provider: TracerProvider) -> None:
    """Make ``provider`` the global one unless the process already set one."""
    with _global_lock:
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            trace.set_tracer_provider(provider)


def _serve_metrics(handle: Instrumentation, port: int, addr: str) -> Any:
    """Serve the exposition on ``addr:port`` from a thread; a port that cannot be bound
    raises :class:`ConfigError` naming it (not a bare ``OSError`` from deep in the stdlib)."""
    from prometheus_client import start_http_server

    class _Exposition:
        def collect(self) -> Any:
            from prometheus_client.parser import text_string_to_metric_families

            return text_string_to_metric_families(handle.exposition().decode("utf-8"))

    try:
        server, _thread = start_http_server(port, addr=addr, registry=_Exposition())  # type: ignore[arg-type]
    except OSError as error:
        reason = f"{error.strerror or error}"
        if error.errno == errno.EADDRINUSE:
            reason += (
                "; another process, or another worker of this service, holds it: choose a free port, "
                "or with several workers unset OBSCODE_METRICS_PORT and scrape the app's metrics path"
            )
        raise ConfigError(
            f"OBSCODE_METRICS_PORT={port}: cannot serve metrics on {addr}:{port} "
            f"(OBSCODE_METRICS_ADDR={addr}): {reason}"
        ) from error
    return server
