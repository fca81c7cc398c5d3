"""The ``local`` profile: the Quantis stack on one machine, for ``make demo`` and the
integration tests.

Derived from the production definitions, never a second copy of them:

- the same :data:`~stacks.quantis.config.CONFIG`, with ``dataclasses.replace`` pointing every
  scrape target at ``127.0.0.1`` ports and shortening intervals;
- every alert's ``for:`` shortened by :data:`FOR_SCALE` (1h -> 6s, 1m -> 2s, never below
  :data:`MIN_FOR`), so a condition fires in seconds instead of hours;
- the same route tree and inhibit rules with local timings, every receiver replaced by a
  webhook to ``http://127.0.0.1:<webhook port>/<receiver name>``;
- the ``kubernetes`` job dropped (no cluster here; Debian's Prometheus has no Kubernetes SD).

Ports come from ``QUANTIS_LOCAL_<NAME>_PORT`` environment variables (see :class:`LocalPorts`)
or, in tests, from a :class:`LocalPorts` passed to :func:`local`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from obscode import Receiver, Stack, WebhookConfig
from obscode.model.duration import parse_duration

from .alerts import model_alerts, system_alerts
from .config import CONFIG, For, QuantisConfig
from .routing import alertmanager
from .scrape import prometheus

#: Production ``for:`` durations are divided by this locally.
FOR_SCALE = 600
MIN_FOR = "2s"
LOCAL_INTERVAL = "1s"
#: Jobs with no local equivalent.
DROPPED_JOBS = ("kubernetes",)


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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LocalPorts:
        """``QUANTIS_LOCAL_API_PORT``, ``..._MODEL_SERVICE_PORT``, ``..._DATABASE_PORT``,
        ``..._NODE_PORT``, ``..._ALERTMANAGER_PORT``, ``..._WEBHOOK_PORT``; defaults above."""
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


def shorten(duration: str, scale: int = FOR_SCALE, floor: str = MIN_FOR) -> str:
    """``duration`` divided by ``scale``, rounded up to whole seconds, at least ``floor``."""
    millis = max(parse_duration(duration) // scale, parse_duration(floor))
    return f"{-(-millis // 1000)}s"


def local_config(config: QuantisConfig = CONFIG, ports: LocalPorts | None = None) -> QuantisConfig:
    """``config`` with local addresses, 1s intervals and shortened ``for:`` durations."""
    ports = ports or LocalPorts.from_env()

    def job(current, port: int):  # type: ignore[no-untyped-def]
        return dataclasses.replace(current, targets=(f"127.0.0.1:{port}",), interval=LOCAL_INTERVAL)

    short_for = For(**{f.name: shorten(getattr(config.for_, f.name)) for f in dataclasses.fields(For)})
    return dataclasses.replace(
        config,
        scrape_interval=LOCAL_INTERVAL,
        evaluation_interval=LOCAL_INTERVAL,
        alertmanager_targets=(f"127.0.0.1:{ports.alertmanager}",),
        api=job(config.api, ports.api),
        model_service=job(config.model_service, ports.model_service),
        database=job(config.database, ports.database),
        node=job(config.node, ports.node),
        for_=short_for,
        group_wait="1s",
        group_interval="2s",
        repeat_interval="1h",
        resolve_timeout="10s",
    )


def webhook_receivers(receivers: list[Receiver], port: int) -> list[Receiver]:
    """Each receiver, same name, delivering to the local sink at ``/<name>``."""
    return [
        Receiver(name=r.name, webhook_configs=[WebhookConfig(url=f"http://127.0.0.1:{port}/{r.name}", send_resolved=True)])
        for r in receivers
    ]


def local(stack: Stack, ports: LocalPorts | None = None, config: QuantisConfig = CONFIG) -> Stack:
    """The local profile of ``stack`` (see the module docstring)."""
    ports = ports or LocalPorts.from_env()
    cfg = local_config(config, ports)
    scrape = prometheus(cfg)
    scrape = scrape.model_copy(update={
        "scrape_configs": [job for job in scrape.scrape_configs if job.job_name not in DROPPED_JOBS],
    })
    routing = alertmanager(cfg)
    routing = routing.model_copy(update={"receivers": webhook_receivers(routing.receivers, ports.webhook)})
    fields = {name: getattr(stack, name) for name in type(stack).model_fields}
    fields.update(
        prometheus=scrape,
        rule_files=[system_alerts(cfg), model_alerts(cfg)],
        # The hand-written alert tests pin production's for: durations (minutes); the local
        # profile's are seconds, so only the tests obscode synthesises from the rules run here.
        alert_tests=[],
        alertmanager=routing,
    )
    if "job_catalogs" in fields:
        fields["job_catalogs"] = {j: c for j, c in fields["job_catalogs"].items() if j not in DROPPED_JOBS}
    return type(stack)(**fields)


profiles = {"local": local}
