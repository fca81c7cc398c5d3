"""Settings for :func:`instrumentation.instrument`, readable from environment variables.

Standard OpenTelemetry variables are used where they exist (``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``, ``OTEL_TRACES_SAMPLER_ARG``,
``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``); everything else is an
``OBSCODE_*`` variable. :data:`ENV_VARS` lists them all, with their meaning, for the docs.

Stdlib only: importing this module must not import OpenTelemetry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

LogFormat = Literal["json", "ecs", "off"]

#: Header names and context keys masked in logs unless configured otherwise.
DEFAULT_REDACT: tuple[str, ...] = (
    "authorization", "cookie", "set-cookie", "password", "token", "api_key", "secret",
)

#: Series per metric before new label sets collapse into the overflow series.
DEFAULT_SERIES_LIMIT = 2000

#: Samplers understood in ``OTEL_TRACES_SAMPLER`` (the OpenTelemetry names).
SAMPLERS = (
    "always_on", "always_off", "traceidratio",
    "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
)


class ConfigError(ValueError):
    """An environment variable or argument has a value the instrumentation cannot use."""


@dataclass(frozen=True)
class InstrumentationConfig:
    """Everything :func:`instrumentation.instrument` can be told. Defaults suit production."""

    service: str = "unknown_service"
    version: str | None = None
    environment: str | None = None
    #: Extra resource attributes (``OTEL_RESOURCE_ATTRIBUTES``).
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    sampler: str = "parentbased_traceidratio"
    sample_ratio: float = 1.0
    #: OTLP/HTTP traces endpoint; ``None`` exports nothing.
    otlp_endpoint: str | None = None
    #: Path the app serves the exposition on; ``None`` to not serve it from the app.
    metrics_path: str | None = "/metrics"
    #: Serve ``/metrics`` on this port from a separate thread instead (single process only).
    metrics_port: int | None = None
    #: Address the separate metrics port binds to.
    metrics_addr: str = "0.0.0.0"
    #: Series per metric before new label sets go to the overflow series (at least 1).
    series_limit: int = DEFAULT_SERIES_LIMIT
    #: Shared directory for multi-worker metrics (see docs/instrumentation.md).
    multiproc_dir: str | None = None
    #: Seconds between a worker's snapshots into ``multiproc_dir``.
    multiproc_interval: float = 1.0
    log_format: LogFormat = "json"
    #: File to append log lines to; ``None`` writes to stdout.
    log_file: str | None = None
    log_level: str = "INFO"
    #: Seconds INFO lines may wait in the stream's buffer (0: lines written on an event loop
    #: are flushed at the end of its pass, others at once, like stdlib ``logging``).
    #: WARNING and above always flush at once, with everything before them.
    log_flush_interval: float = 0.0
    access_log: bool = True
    #: Client spans and W3C trace-context headers for outgoing httpx and requests calls.
    trace_clients: bool = True
    #: Add redacted request headers to each access-log line.
    access_log_headers: bool = False
    redact: tuple[str, ...] = DEFAULT_REDACT
    #: Response header that carries the trace id; empty to send none.
    trace_id_header: str = "x-trace-id"
    #: Paths (exact) that get no span, metrics or access log, e.g. health checks.
    excluded_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_series_limit(self.series_limit, "series_limit")

    def with_overrides(self, **overrides: Any) -> InstrumentationConfig:
        """A copy with the given fields replaced; unknown names raise :class:`ConfigError`."""
        known = set(self.__dataclass_fields__)
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(
                f"unknown instrumentation option(s): {', '.join(unknown)}; "
                f"known options: {', '.join(sorted(known))}"
            )
        return replace(self, **overrides)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> InstrumentationConfig:
        """Read the configuration from ``OTEL_*`` and ``OBSCODE_*`` environment variables."""
        env = os.environ if environ is None else environ
        attrs = _parse_resource_attributes(env.get("OTEL_RESOURCE_ATTRIBUTES", ""))
        service = env.get("OTEL_SERVICE_NAME") or attrs.pop("service.name", None) or cls.service
        attrs.pop("service.name", None)
        version = env.get("OBSCODE_SERVICE_VERSION") or attrs.pop("service.version", None)
        environment = (
            env.get("OBSCODE_ENVIRONMENT")
            or attrs.pop("deployment.environment.name", None)
            or attrs.pop("deployment.environment", None)
        )
        sampler = env.get("OTEL_TRACES_SAMPLER", cls.sampler).strip().lower()
        if sampler not in SAMPLERS:
            raise ConfigError(
                f"OTEL_TRACES_SAMPLER={sampler!r} is not supported; use one of {', '.join(SAMPLERS)}"
            )
        ratio = _float(env, "OTEL_TRACES_SAMPLER_ARG", 1.0)
        if not 0.0 <= ratio <= 1.0:
            raise ConfigError(f"OTEL_TRACES_SAMPLER_ARG={ratio} must be between 0 and 1")
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or _signal_endpoint(
            env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        )
        log_format = env.get("OBSCODE_LOG_FORMAT", cls.log_format).strip().lower()
        if log_format not in ("json", "ecs", "off"):
            raise ConfigError(f"OBSCODE_LOG_FORMAT={log_format!r} must be one of json, ecs, off")
        flush_interval = _float(env, "OBSCODE_LOG_FLUSH_INTERVAL", cls.log_flush_interval)
        if not 0.0 <= flush_interval <= 60.0:
            raise ConfigError(f"OBSCODE_LOG_FLUSH_INTERVAL={flush_interval} must be between 0 and 60 seconds")
        metrics_path = env.get("OBSCODE_METRICS_PATH", "/metrics").strip()
        redact = env.get("OBSCODE_LOG_REDACT")
        excluded = env.get("OBSCODE_EXCLUDED_PATHS", "")
        return cls(
            service=service,
            version=version,
            environment=environment,
            resource_attributes=attrs,
            sampler=sampler,
            sample_ratio=ratio,
            otlp_endpoint=endpoint or None,
            metrics_path=None if metrics_path in ("", "off") else metrics_path,
            metrics_port=_int(env, "OBSCODE_METRICS_PORT", None),
            metrics_addr=env.get("OBSCODE_METRICS_ADDR", cls.metrics_addr).strip() or cls.metrics_addr,
            series_limit=series_limit_from_env(env),
            multiproc_dir=env.get("OBSCODE_MULTIPROC_DIR") or None,
            multiproc_interval=_float(env, "OBSCODE_MULTIPROC_INTERVAL", cls.multiproc_interval),
            log_format=log_format,  # type: ignore[arg-type]
            log_file=env.get("OBSCODE_LOG_FILE") or None,
            log_level=env.get("OBSCODE_LOG_LEVEL", cls.log_level).upper(),
            log_flush_interval=flush_interval,
            access_log=_bool(env, "OBSCODE_ACCESS_LOG", True),
            trace_clients=_bool(env, "OBSCODE_TRACE_CLIENTS", True),
            access_log_headers=_bool(env, "OBSCODE_ACCESS_LOG_HEADERS", False),
            redact=_csv(redact) if redact is not None else DEFAULT_REDACT,
            trace_id_header=env.get("OBSCODE_TRACE_ID_HEADER", cls.trace_id_header).strip().lower(),
            excluded_paths=_csv(excluded, lower=False),
        )


#: Every environment variable :meth:`InstrumentationConfig.from_env` reads, for the docs.
ENV_VARS: dict[str, str] = {
    "OTEL_SERVICE_NAME": "service.name of traces and the `service` field of logs",
    "OTEL_RESOURCE_ATTRIBUTES": "key=value,... resource attributes (service.version, deployment.environment.name, ...)",
    "OTEL_TRACES_SAMPLER": "sampler name; default parentbased_traceidratio",
    "OTEL_TRACES_SAMPLER_ARG": "sampling ratio 0..1; default 1.0",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "OTLP/HTTP base URL; /v1/traces is appended. Unset: no export",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "full OTLP/HTTP traces URL, wins over the base URL",
    "OBSCODE_SERVICE_VERSION": "service.version (wins over OTEL_RESOURCE_ATTRIBUTES)",
    "OBSCODE_ENVIRONMENT": "deployment.environment.name (wins over OTEL_RESOURCE_ATTRIBUTES)",
    "OBSCODE_METRICS_PATH": "path of the exposition served by the app; `off` to not serve it; default /metrics",
    "OBSCODE_METRICS_PORT": "serve the exposition on this port instead (single-process services)",
    "OBSCODE_METRICS_ADDR": "address the separate metrics port binds to; default 0.0.0.0",
    "OBSCODE_SERIES_LIMIT": f"series per metric before the overflow series (at least 1); default {DEFAULT_SERIES_LIMIT}",
    "OBSCODE_MULTIPROC_DIR": "shared empty directory: enables multi-worker metrics aggregation",
    "OBSCODE_MULTIPROC_INTERVAL": "seconds between a worker's metric snapshots; default 1",
    "OBSCODE_LOG_FORMAT": "json (seed fields), ecs (Elastic Common Schema) or off; default json",
    "OBSCODE_LOG_FILE": "append log lines to this file instead of stdout",
    "OBSCODE_LOG_LEVEL": "root logger level; default INFO",
    "OBSCODE_LOG_FLUSH_INTERVAL": "seconds INFO lines may wait in the buffer (WARNING and above flush at once); "
    "default 0: lines written on an event loop are flushed at the end of its pass, others at once",
    "OBSCODE_ACCESS_LOG": "one access-log line per request: true/false; default true",
    "OBSCODE_TRACE_CLIENTS": "client spans and W3C trace-context headers for outgoing httpx and requests calls: "
    "true/false; default true",
    "OBSCODE_ACCESS_LOG_HEADERS": "add the (redacted) request headers to access-log lines; default false",
    "OBSCODE_LOG_REDACT": "comma-separated keys whose values are masked; default " + ",".join(DEFAULT_REDACT),
    "OBSCODE_TRACE_ID_HEADER": "response header carrying the trace id; empty for none; default x-trace-id",
    "OBSCODE_EXCLUDED_PATHS": "comma-separated paths that are not traced, measured or logged",
    "OBSCODE_OTEL_FAST": "0: take the public OpenTelemetry SDK path instead of the fast path "
    "(read by instrumentation.fast.compat when imported); default: the fast path where the installed SDK allows it",
}


def series_limit_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``OBSCODE_SERIES_LIMIT``: a whole number of at least 1; unset or empty: the default.

    The one reading of the variable, for :meth:`InstrumentationConfig.from_env` and the
    process-wide metrics pipeline alike.
    """
    env = os.environ if environ is None else environ
    limit = _int(env, "OBSCODE_SERIES_LIMIT", DEFAULT_SERIES_LIMIT)
    assert limit is not None
    return check_series_limit(limit, "OBSCODE_SERIES_LIMIT")


def check_series_limit(limit: int, name: str) -> int:
    """``limit`` if it is a valid series limit, else :class:`ConfigError` naming ``name``."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"{name}={limit!r} must be a whole number of at least 1 (series per metric)")
    return limit


def _parse_resource_attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"OTEL_RESOURCE_ATTRIBUTES item {item.strip()!r} is not key=value"
            )
        attrs[key.strip()] = value.strip()
    return attrs


def _signal_endpoint(base: str | None) -> str | None:
    if not base:
        return None
    return base.rstrip("/") + "/v1/traces"


def _csv(raw: str, *, lower: bool = True) -> tuple[str, ...]:
    items = (part.strip() for part in raw.split(","))
    return tuple((p.lower() if lower else p) for p in items if p)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
