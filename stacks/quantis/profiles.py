"""The ``local`` profile of Quantis: the generic one (:func:`obscode.profiles.local`, every
address on ``127.0.0.1``, 1s intervals, ``for:`` / 600, webhook receivers, the ``kubernetes``
job dropped) with the ports Quantis' demo and integration tests choose, and alert
descriptions that quote the local ``for:`` ("for 2 seconds"), as Quantis writes them from its config.

Ports come from ``QUANTIS_LOCAL_<NAME>_PORT`` environment variables (see :class:`LocalPorts`)
or, in tests, from a :class:`LocalPorts` passed to :func:`local`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from obscode import Stack, profiles as generic
from obscode.profiles import shorten

from .config import CONFIG, For, QuantisConfig
from .rule_files import rule_files


@dataclasses.dataclass(frozen=True)
class LocalPorts:
    """127.0.0.1 ports of everything the local stack talks to."""

    api: int = 8000
    model_service: int = 8001
    database: int = 9187
    node: int = 9100
    alertmanager: int = 9093
    #: One sink receives every receiver's webhooks, on path /<receiver name>.
    webhook: int = 9099
    #: The blackbox exporter the ``blackbox`` job probes through.
    blackbox: int = 9115
    #: The Pushgateway training runs push to (scrape job ``pushgateway``).
    pushgateway: int = 9091

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LocalPorts:
        """``QUANTIS_LOCAL_API_PORT``, ``..._MODEL_SERVICE_PORT``, ``..._DATABASE_PORT``,
        ``..._NODE_PORT``, ``..._ALERTMANAGER_PORT``, ``..._WEBHOOK_PORT``, ``..._PUSHGATEWAY_PORT``;
        defaults above."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for field in dataclasses.fields(cls):
            variable = f"QUANTIS_LOCAL_{field.name.upper()}_PORT"
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise ValueError(f"{variable}={raw!r} is not a port number (1-65535)")
            values[field.name] = int(raw)
        return cls(**values)

    def env(self) -> dict[str, str]:
        """The environment variables that select these ports (for subprocesses)."""
        return {f"QUANTIS_LOCAL_{f.name.upper()}_PORT": str(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def jobs(self) -> dict[str, int]:
        """The port of each Quantis scrape job."""
        return {"api": self.api, "model_service": self.model_service, "database": self.database, "node": self.node,
                "pushgateway": self.pushgateway}


def local_config(config: QuantisConfig = CONFIG) -> QuantisConfig:
    """``config`` with the local profile's ``for:`` durations."""
    short = For(**{f.name: shorten(getattr(config.for_, f.name)) for f in dataclasses.fields(For)})
    # The issue-18 area sections (config.activity, ...) name their for: durations for_<alert>.
    areas = {name: _short_area(getattr(config, name)) for name in _AREAS}
    return dataclasses.replace(config, for_=short, **areas)


_AREAS = ("data_quality", "model_health", "mlops", "security", "activity", "probes")


def _short_area(section):
    """An area section of the config with each ``for_*`` field shortened like ``For``."""
    return dataclasses.replace(section, **{f.name: shorten(getattr(section, f.name))
                                           for f in dataclasses.fields(section) if f.name.startswith("for_")})


#: The local blackbox job's interval and timeout: a probe may take the scrape timeout less the
#: exporter's 0.5 s offset, so SlowProbe's critical threshold (2 s) is measurable, not a timeout.
PROBE_INTERVAL = "5s"
PROBE_TIMEOUT = "4s"


def local_blackbox(stack: Stack, ports: LocalPorts, config: QuantisConfig) -> Stack:
    """The ``blackbox`` job probing the local services through the local exporter (the generic
    profile would put every probed target on one port, the exporter's)."""
    from .scrape import blackbox, probed_jobs

    job = blackbox(config, exporter=f"127.0.0.1:{ports.blackbox}", interval=PROBE_INTERVAL,
                   targets={j.name: [f"127.0.0.1:{ports.jobs()[j.name]}"] for j in probed_jobs(config)})
    job = job.model_copy(update={"scrape_timeout": PROBE_TIMEOUT})
    jobs = [job if j.job_name == job.job_name else j for j in stack.prometheus.scrape_configs]
    return stack.model_copy(update={"prometheus": stack.prometheus.model_copy(update={"scrape_configs": jobs})})


def local(stack: Stack, ports: LocalPorts | None = None, config: QuantisConfig = CONFIG) -> Stack:
    """The generic local profile of ``stack`` on ``ports`` (default: from the environment)."""
    ports = ports or LocalPorts.from_env()
    stack = generic.local(stack, job_ports=ports.jobs(), alertmanager_port=ports.alertmanager,
                          webhook_port=ports.webhook)
    # The same rules the generic profile shortened, rebuilt so their descriptions say so.
    cfg = local_config(config)
    slo_rules = [f for f in stack.rule_files if f.generated_by]  # the SLOs' own, already local
    stack = local_blackbox(stack, ports, config)
    return stack.model_copy(update={"rule_files": [*rule_files(cfg), *slo_rules]})


profiles = {"local": local}
