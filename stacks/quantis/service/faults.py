"""Fault injection: the conditions the Quantis alerts exist for, switchable at run time.

``drift``   the feature feed shifts (DataDriftDetected)
``errors``  a degraded model is served: forecasts 60% too high (HighModelError), and one
            forecast in ten fails with HTTP 500 (the API error-rate panels)
``latency`` every prediction takes an extra 0.8 s (SlowPredictions)
``no-user-id`` the service ignores X-User-Id, as behind a gateway that drops it (ActiveUsersMissing)
``schema-change`` the feature frame renames temperature to temperature_c and sends price as text
            (FeatureSchemaChanged; temperature is then missing: HighMissingValueShare)
``missing-data`` 30% of the temperature values are NaN (HighMissingValueShare)
``importance-shift`` the model reports reordered feature importances (FeatureImportanceShift)
``bias``    forecasts 25% too high: HighPredictionBias (warning) and, as the predictions
            move, PredictionDriftDetected
``severe-bias`` forecasts twice too high: HighPredictionBias (critical)
``slow-health`` GET /health answers after 2.5 s, so the blackbox probe of the api is slow
            (SlowProbe at warning and critical)

Switch them with ``POST``/``DELETE /api/faults/{name}`` or start with
``QUANTIS_FAULTS=drift,latency``. (ServiceDown needs no switch: stop the process.)
"""

from __future__ import annotations

import threading
from typing import Literal, get_args

Fault = Literal["drift", "errors", "latency", "no-user-id", "schema-change", "missing-data", "importance-shift",
                "bias", "severe-bias", "slow-health"]
FAULTS: tuple[str, ...] = get_args(Fault)
LATENCY_SECONDS = 0.8
#: /health's delay under ``slow-health``: above SlowProbe's critical 2 s (config.Probes).
SLOW_HEALTH_SECONDS = 2.5
ERROR_FACTOR = 1.6
#: Forecasts times these under ``bias`` / ``severe-bias``: about +25% and +100% of actual volume.
BIAS_FACTOR = 1.25
SEVERE_BIAS_FACTOR = 2.0


class UnknownFault(ValueError):
    pass


class Faults:
    """The set of active faults; thread-safe."""

    def __init__(self, active: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self._active: set[str] = set()
        for name in active:
            self.enable(name)

    @staticmethod
    def parse(raw: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def _check(self, name: str) -> None:
        if name not in FAULTS:
            raise UnknownFault(f"unknown fault {name!r}; known faults: {', '.join(FAULTS)}")

    def enable(self, name: str) -> None:
        self._check(name)
        with self._lock:
            self._active.add(name)

    def disable(self, name: str) -> None:
        self._check(name)
        with self._lock:
            self._active.discard(name)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._active

    def active(self) -> list[str]:
        with self._lock:
            return sorted(self._active)
