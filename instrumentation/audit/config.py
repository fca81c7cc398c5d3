"""Settings of :class:`~instrumentation.audit.Auditor`, readable from environment variables. Stdlib only."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from instrumentation.catalog import (
    AUDIT_AUTHORIZATIONS,
    AUDIT_DATA_ACCESSES,
    AUDIT_METRICS,
    AUDIT_RATE_LIMIT_HITS,
    OTHER_VALUE,
    MetricSpec,
)
from instrumentation.config import ConfigError

#: Actions a service may name in authorization and data-access events unless it declares its own.
DEFAULT_ACTIONS: tuple[str, ...] = ("read", "list", "create", "update", "delete", "execute", "admin")

#: Logger of the audit stream (it does not propagate to the root logger).
AUDIT_LOGGER = "instrumentation.audit"

#: ``event.dataset`` of every audit line: what routes it to the audit index.
AUDIT_DATASET = "obscode.audit"

#: Every environment variable :meth:`AuditConfig.from_env` reads, for the docs.
AUDIT_ENV_VARS: dict[str, str] = {
    "OBSCODE_AUDIT_KEY": "secret key (at least 32 bytes) of the HMAC-SHA256 pseudonyms of user ids and "
    "client addresses; unset: audit lines carry no user id or client address at all",
    "OBSCODE_AUDIT_LOG_FILE": "append audit lines to this file (the audit stream) instead of stdout",
    "OBSCODE_AUDIT_RESOURCES": "comma-separated resources named in authorization and data-access events; "
    "others are counted as `other`",
    "OBSCODE_AUDIT_ACTIONS": "comma-separated actions; default " + ",".join(DEFAULT_ACTIONS),
    "OBSCODE_AUDIT_LIMITS": "comma-separated names of the service's rate limits; others are counted as `other`",
}


@dataclass(frozen=True)
class AuditConfig:
    """What the audit stream may say. Every label value is declared here; others fold to ``other``."""

    service: str = "unknown_service"
    #: HMAC key of the pseudonyms; ``None``: no user id or client address is written.
    key: bytes | None = field(default=None, repr=False)
    #: File the audit lines are appended to; ``None`` writes them to stdout.
    log_file: str | None = None
    resources: tuple[str, ...] = ()
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    limits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("resources", "actions", "limits"):
            values = getattr(self, name)
            if isinstance(values, str):
                raise ConfigError(f"audit {name} must be a sequence of names, not the string {values!r}")
            object.__setattr__(self, name, _declared(name, values))

    def specs(self) -> tuple[MetricSpec, ...]:
        """``AUDIT_METRICS`` with this service's declared resources, actions and limits (and
        ``other``) as label values: a stack's catalog built from them lets ``obscode check``
        refuse a query for a resource the service never reports."""
        resources = (*self.resources, OTHER_VALUE)
        actions = (*self.actions, OTHER_VALUE)
        declared = {
            AUDIT_AUTHORIZATIONS.name: {"resource": resources, "action": actions},
            AUDIT_DATA_ACCESSES.name: {"resource": resources, "action": actions},
            AUDIT_RATE_LIMIT_HITS.name: {"limit": (*self.limits, OTHER_VALUE)},
        }
        return tuple(
            replace(spec, label_values={**spec.label_values, **declared[spec.name]}) if spec.name in declared else spec
            for spec in AUDIT_METRICS
        )

    @classmethod
    def from_env(cls, service: str | None = None, environ: Mapping[str, str] | None = None,
                 **overrides: object) -> AuditConfig:
        """The configuration from ``OBSCODE_AUDIT_*`` variables (see :data:`AUDIT_ENV_VARS`),
        with ``overrides`` (any field) winning."""
        env = os.environ if environ is None else environ
        key = env.get("OBSCODE_AUDIT_KEY")
        values: dict[str, object] = {
            "service": service or env.get("OTEL_SERVICE_NAME") or cls.service,
            "key": key.encode("utf-8") if key else None,
            "log_file": env.get("OBSCODE_AUDIT_LOG_FILE") or None,
            "resources": _csv(env.get("OBSCODE_AUDIT_RESOURCES", "")),
            "limits": _csv(env.get("OBSCODE_AUDIT_LIMITS", "")),
        }
        if env.get("OBSCODE_AUDIT_ACTIONS"):
            values["actions"] = _csv(env["OBSCODE_AUDIT_ACTIONS"])
        unknown = sorted(set(overrides) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"unknown audit option(s): {', '.join(unknown)}; "
                              f"known options: {', '.join(sorted(cls.__dataclass_fields__))}")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _declared(name: str, values: Iterable[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
    if OTHER_VALUE in out:
        raise ConfigError(f"audit {name}: {OTHER_VALUE!r} is the value undeclared names fold to; "
                          "it cannot be declared")
    return out


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())
