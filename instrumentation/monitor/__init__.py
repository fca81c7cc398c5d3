"""Model monitoring: forecast-error metrics, drift detection and webhook alerts.

``from instrumentation.monitor import ModelMonitor`` — the submodules (numpy, scipy,
OpenTelemetry) load on first attribute access, so importing the package is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from instrumentation.monitor.config import MonitorConfig
    from instrumentation.monitor.drift import DriftReport, FeatureDrift
    from instrumentation.monitor.forecast_metrics import ForecastErrors, forecast_errors
    from instrumentation.monitor.monitor import ModelMonitor, MonitorError, UnknownModelError

_EXPORTS = {
    "ModelMonitor": "instrumentation.monitor.monitor",
    "MonitorError": "instrumentation.monitor.monitor",
    "UnknownModelError": "instrumentation.monitor.monitor",
    "MonitorConfig": "instrumentation.monitor.config",
    "DriftReport": "instrumentation.monitor.drift",
    "FeatureDrift": "instrumentation.monitor.drift",
    "ForecastErrors": "instrumentation.monitor.forecast_metrics",
    "forecast_errors": "instrumentation.monitor.forecast_metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'instrumentation.monitor' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
