"""Runtime instrumentation for FastAPI services: traces, Prometheus metrics, JSON logs.

``from instrumentation import instrument`` (or ``import instrumentation.auto``). Imports are
lazy: ``import instrumentation.catalog`` does not load OpenTelemetry.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "instrument": ("instrumentation.fastapi", "instrument"),
    "uninstrument": ("instrumentation.fastapi", "uninstrument"),
    "Instrumentation": ("instrumentation.fastapi", "Instrumentation"),
    "InstrumentationConfig": ("instrumentation.config", "InstrumentationConfig"),
    "ConfigError": ("instrumentation.config", "ConfigError"),
    "MetricsPipeline": ("instrumentation.metrics", "MetricsPipeline"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'instrumentation' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
