"""Profiles: a stack rewritten for another place to run, derived from its definition.

``obscode generate --profile local`` applies :func:`local` to any stack. A stack module may
define ``profiles = {"local": ...}``: its own profile of a name wins over the generic one,
and may build on it (``obscode.profiles.local(stack, job_ports=..., ...)``).

The ``local`` profile is the stack on one machine, every address on ``127.0.0.1``:

- every static scrape target on ``127.0.0.1``, its port kept, or the job's port from
  ``job_ports`` or ``OBSCODE_LOCAL_<JOB>_PORT``;
- jobs that cannot run here (service discovery, e.g. Kubernetes) dropped, with their catalogs,
  collectors, versions and labels;
- scrape and rule evaluation every second; every alert's ``for`` (and ``keep_firing_for``)
  divided by :data:`FOR_SCALE`, rounded up to whole seconds, at least :data:`MIN_FOR`;
- Alertmanager targets on ``127.0.0.1``, port kept or ``OBSCODE_LOCAL_ALERTMANAGER_PORT``;
  short grouping timers; the same routes and inhibit rules, every receiver a webhook to
  ``http://127.0.0.1:<webhook port>/<receiver name>`` (``OBSCODE_LOCAL_WEBHOOK_PORT``,
  default 9099); a receiver with no integrations (one that drops alerts on purpose) stays so;
- hand-written alert tests dropped: they pin production's ``for`` durations. The tests obscode
  synthesises from the rules still run;
- every SLO's burn-rate windows divided by :data:`SLO_WINDOW_SCALE` (1h -> 1m, 5m -> 5s), the
  tiers' burn-rate factors kept, so a fault burns the budget at production's rate and the page
  tier fires within seconds (the SLO's proofs are generated for these windows too); no
  ``openslo`` output (OpenSLO durations have no seconds; the documents describe production).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from obscode.errors import UsageError
from obscode.model.alertmanager import AlertmanagerConfig, Receiver, Route, WebhookConfig
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule, RuleFile
from obscode.model.scrape import AlertmanagerEndpoint, PrometheusConfig, ScrapeConfig, StaticConfig
from obscode.model.slo import SLO
from obscode.stack import Stack

#: Production ``for:`` durations are divided by this locally (1h -> 6s).
FOR_SCALE = 600
#: ... and never shorter than this, so a condition still has to hold for two evaluations.
MIN_FOR = "2s"
#: SLO burn-rate windows are divided by this locally (1h -> 1m, 5m -> 5s).
SLO_WINDOW_SCALE = 60
#: Scrape and rule evaluation interval of the local profile.
LOCAL_INTERVAL = "1s"
LOCAL_HOST = "127.0.0.1"
DEFAULT_WEBHOOK_PORT = 9099
ENV_PREFIX = "OBSCODE_LOCAL_"
#: Alertmanager timers of the local profile's routes (and its resolve_timeout).
LOCAL_TIMERS = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1h"}
LOCAL_RESOLVE_TIMEOUT = "10s"

Profile = Callable[[Stack], Stack]


def shorten(duration: str, scale: int = FOR_SCALE, floor: str = MIN_FOR) -> str:
    """``duration`` divided by ``scale``, rounded up to whole seconds, at least ``floor``
    (``0s`` stays ``0s``: no wait is no wait locally either)."""
    millis = parse_duration(duration)
    if millis == 0:
        return duration
    millis = max(millis // scale, parse_duration(floor))
    return f"{-(-millis // 1000)}s"


def local_slos(slos: list[SLO], scale: int = SLO_WINDOW_SCALE) -> list[SLO]:
    """The same SLOs with every tier's windows divided by ``scale`` (whole seconds, at least
    2s) and its burn-rate factor pinned, so thresholds stay production's."""
    out = []
    for slo in slos:
        tiers = [tier.model_copy(update={"long_window": shorten(tier.long_window, scale, "4s"),
                                         "short_window": shorten(tier.short_window, scale, "2s"),
                                         "burn_rate": tier.factor(slo.period)})
                 for tier in slo.tiers]
        out.append(slo.model_copy(update={"tiers": tiers}))
    return out


def port_variable(name: str) -> str:
    """``OBSCODE_LOCAL_<NAME>_PORT`` for a job or component name (``model-service`` -> ``MODEL_SERVICE``)."""
    return f"{ENV_PREFIX}{re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_').upper()}_PORT"


def env_port(variable: str, environ: Mapping[str, str] | None = None) -> int | None:
    """The port an environment variable gives, None when unset or empty; anything else is a usage error."""
    raw = (os.environ if environ is None else environ).get(variable, "")
    if raw == "":
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise UsageError(f"{variable}={raw!r} is not a port number (1-65535)")
    return int(raw)


def _port_of(target: str) -> int | None:
    _, sep, port = target.rpartition(":")
    return int(port) if sep and port.isdigit() else None


def _local_targets(targets: list[str], port: int | None) -> list[str]:
    """Each target on 127.0.0.1 with its own port (or ``port``), duplicates dropped in order."""
    out: list[str] = []
    for target in targets:
        own = _port_of(target)
        chosen = port if port is not None else own
        local = f"{LOCAL_HOST}:{chosen}" if chosen is not None else LOCAL_HOST
        if local not in out:
            out.append(local)
    return out


def runs_locally(job: ScrapeConfig) -> bool:
    """A job with only static targets; service discovery (Kubernetes, ...) needs what is not here."""
    discovery = [name for name in type(job).model_fields if name.endswith("_sd_configs")]
    return bool(job.static_configs) and not any(getattr(job, name) for name in discovery)


def _local_job(job: ScrapeConfig, port: int | None) -> ScrapeConfig:
    static = [c.model_copy(update={"targets": _local_targets(c.targets, port)}) for c in job.static_configs]
    update: dict[str, Any] = {"static_configs": static}
    if job.scrape_interval is not None:
        update["scrape_interval"] = LOCAL_INTERVAL
    if job.scrape_timeout is not None and parse_duration(job.scrape_timeout) > parse_duration(LOCAL_INTERVAL):
        update["scrape_timeout"] = LOCAL_INTERVAL
    return job.model_copy(update=update)


def local_prometheus(config: PrometheusConfig, job_ports: Mapping[str, int], alertmanager_port: int | None,
                     environ: Mapping[str, str] | None = None) -> PrometheusConfig:
    """``config`` with local targets and intervals; jobs that cannot run locally left out."""
    jobs = []
    for job in config.scrape_configs:
        if not runs_locally(job):
            continue
        port = job_ports.get(job.job_name)
        if port is None:
            port = env_port(port_variable(job.job_name), environ)
        jobs.append(_local_job(job, port))
    global_update: dict[str, Any] = {"scrape_interval": LOCAL_INTERVAL, "evaluation_interval": LOCAL_INTERVAL}
    if config.global_.scrape_timeout is not None:
        global_update["scrape_timeout"] = None
    alertmanagers = [
        endpoint.model_copy(update={"static_configs": [
            c.model_copy(update={"targets": _local_targets(c.targets, alertmanager_port)}) for c in endpoint.static_configs
        ]})
        for endpoint in config.alertmanagers
    ]
    return config.model_copy(update={
        "global_": config.global_.model_copy(update=global_update),
        "alertmanagers": alertmanagers,
        "scrape_configs": jobs,
    })


def local_rule_files(rule_files: list[RuleFile], scale: int = FOR_SCALE, floor: str = MIN_FOR) -> list[RuleFile]:
    """The same rules with every alert's ``for`` and ``keep_firing_for`` shortened and groups
    evaluated at the global (local) interval."""
    def rule(r: Any) -> Any:
        if not isinstance(r, AlertRule):
            return r
        update = {name: shorten(getattr(r, name), scale, floor)
                  for name in ("for_", "keep_firing_for") if getattr(r, name) is not None}
        return r.model_copy(update=update) if update else r

    return [
        f.model_copy(update={"groups": [
            g.model_copy(update={"rules": [rule(r) for r in g.rules],
                                 "interval": LOCAL_INTERVAL if g.interval is not None else None})
            for g in f.groups
        ]})
        for f in rule_files
    ]


def _local_route(route: Route, root: bool) -> Route:
    update: dict[str, Any] = {"routes": [_local_route(child, root=False) for child in route.routes]}
    for name, value in LOCAL_TIMERS.items():
        if root or getattr(route, name) is not None:
            update[name] = value
    return route.model_copy(update=update)


def webhook_receivers(receivers: list[Receiver], port: int) -> list[Receiver]:
    """Each receiver, same name, delivering to the local sink at ``/<name>``."""
    out = []
    for receiver in receivers:
        if not any(getattr(receiver, name) for name in type(receiver).model_fields if name.endswith("_configs")):
            out.append(receiver)  # a receiver that drops alerts on purpose stays one
            continue
        url = f"http://{LOCAL_HOST}:{port}/{quote(receiver.name, safe='')}"
        out.append(Receiver(name=receiver.name, webhook_configs=[WebhookConfig(url=url, send_resolved=True)]))
    return out


def local_alertmanager(config: AlertmanagerConfig, webhook_port: int) -> AlertmanagerConfig:
    """The same routes, inhibit rules and time intervals; short timers; webhook receivers.
    Global settings that only receivers read (SMTP, API URLs, secrets) are left out."""
    return config.model_copy(update={
        "global_": type(config.global_)(resolve_timeout=LOCAL_RESOLVE_TIMEOUT),
        "route": _local_route(config.route, root=True),
        "receivers": webhook_receivers(config.receivers, webhook_port),
    })


def local(stack: Stack, *, job_ports: Mapping[str, int] | None = None, alertmanager_port: int | None = None,
          webhook_port: int | None = None, for_scale: int = FOR_SCALE, min_for: str = MIN_FOR,
          environ: Mapping[str, str] | None = None) -> Stack:
    """The ``local`` profile of ``stack`` (see the module docstring).

    ``job_ports`` maps job names to the local port of all their targets; a port not given
    here comes from ``OBSCODE_LOCAL_<JOB>_PORT``, ``OBSCODE_LOCAL_ALERTMANAGER_PORT`` or
    ``OBSCODE_LOCAL_WEBHOOK_PORT`` (read from ``environ``, default ``os.environ``), else the
    production port is kept (9099 for the webhook sink)."""
    job_ports = dict(job_ports or {})
    if alertmanager_port is None:
        alertmanager_port = env_port(port_variable("alertmanager"), environ)
    if webhook_port is None:
        webhook_port = env_port(port_variable("webhook"), environ) or DEFAULT_WEBHOOK_PORT
    fields = {name: getattr(stack, name) for name in type(stack).model_fields}
    dropped: set[str] = set()
    if stack.prometheus is not None:
        dropped = {job.job_name for job in stack.prometheus.scrape_configs if not runs_locally(job)}
        fields["prometheus"] = local_prometheus(stack.prometheus, job_ports, alertmanager_port, environ)
    for name in ("job_catalogs", "job_collectors", "job_versions", "job_labels"):
        fields[name] = {job: value for job, value in fields[name].items() if job not in dropped}
    fields["rule_files"] = local_rule_files(stack.rule_files, for_scale, min_for)
    # Hand-written alert tests pin production's for: durations (minutes); the local profile's
    # are seconds, so only the tests obscode synthesises from the rules run here.
    fields["alert_tests"] = []
    fields["slos"] = local_slos(stack.slos)
    # OpenSLO durations have no seconds: the shortened windows are for this machine only.
    fields["outputs"] = [output for output in stack.outputs if output != "openslo"]
    if stack.alertmanager is not None:
        fields["alertmanager"] = local_alertmanager(stack.alertmanager, webhook_port)
    return type(stack)(**fields)


#: The profiles every stack has; a stack's own ``profiles`` dict wins by name.
PROFILES: dict[str, Profile] = {"local": local}


def profiles_of(module: Any) -> dict[str, Profile]:
    """The profiles a stack module can be generated with: the generic ones, overridden by its own."""
    return {**PROFILES, **(getattr(module, "profiles", None) or {})}
