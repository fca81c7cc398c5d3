"""Settings of the demo service, from ``QUANTIS_*`` environment variables.

The instrumentation's own settings (log format, log file, service name...) are the
``OTEL_*``/``OBSCODE_*`` variables of ``instrumentation.config``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stacks.quantis.service.faults import Faults

REFERENCE_CSV = Path(__file__).with_name("data") / "sales_reference.csv"


@dataclass(frozen=True)
class ServiceSettings:
    host: str = "127.0.0.1"
    #: Port of the API (and its /metrics: HTTP metrics, scrape job ``api``).
    port: int = 8000
    #: Port of the model monitor's /metrics (model metrics, scrape job ``model_service``).
    model_metrics_port: int = 8001
    #: Seconds between monitoring cycles (drift checks, error gauges).
    monitoring_interval: float = 15.0
    #: Feature rows kept for drift checks; the oldest are replaced first.
    drift_window: int = 1000
    faults: tuple[str, ...] = ()
    reference_csv: Path = REFERENCE_CSV

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if environ is None else environ
        return cls(
            host=env.get("QUANTIS_HOST", cls.host),
            port=int(env.get("QUANTIS_PORT", cls.port)),
            model_metrics_port=int(env.get("QUANTIS_MODEL_METRICS_PORT", cls.model_metrics_port)),
            monitoring_interval=float(env.get("QUANTIS_MONITORING_INTERVAL", cls.monitoring_interval)),
            drift_window=int(env.get("QUANTIS_DRIFT_WINDOW", cls.drift_window)),
            faults=Faults.parse(env.get("QUANTIS_FAULTS", "")),
            reference_csv=Path(env.get("QUANTIS_REFERENCE_CSV", str(REFERENCE_CSV))),
        )
