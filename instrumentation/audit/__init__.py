"""Security and audit events of a FastAPI service: bounded-label metrics and an ECS audit stream.

::

    from instrumentation.audit import Auditor, AuditConfig, RateLimitedResponses

    audit = Auditor(AuditConfig.from_env(service="api", resources=("forecast", "model")))
    app.add_middleware(RateLimitedResponses, auditor=audit)

    @app.post("/login")
    def login(form: Form, request: Request):
        ok = check_password(form)
        audit.authentication(ok, "password", user_id=form.username, request=request)

Every label value is declared (the catalog's, or the service's ``resources``, ``actions`` and
``limits``); any other value is counted and written as ``other``. User ids and client
addresses are written only as HMAC-SHA256 pseudonyms under ``OBSCODE_AUDIT_KEY``, and left
out without it: a raw identifier never reaches the audit stream. See docs/audit.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from instrumentation.audit.auditor import Auditor
    from instrumentation.audit.config import (
        AUDIT_DATASET,
        AUDIT_ENV_VARS,
        AUDIT_LOGGER,
        DEFAULT_ACTIONS,
        AuditConfig,
    )
    from instrumentation.audit.middleware import RateLimitedResponses
    from instrumentation.audit.pseudonym import MIN_KEY_BYTES, Pseudonymiser

# Lazy, as in ``instrumentation``: ``instrumentation.audit.config`` (the catalog side, for
# stacks) is importable without OpenTelemetry.
_LAZY = {
    "Auditor": "instrumentation.audit.auditor",
    "RateLimitedResponses": "instrumentation.audit.middleware",
    "AuditConfig": "instrumentation.audit.config",
    "AUDIT_DATASET": "instrumentation.audit.config",
    "AUDIT_ENV_VARS": "instrumentation.audit.config",
    "AUDIT_LOGGER": "instrumentation.audit.config",
    "DEFAULT_ACTIONS": "instrumentation.audit.config",
    "Pseudonymiser": "instrumentation.audit.pseudonym",
    "MIN_KEY_BYTES": "instrumentation.audit.pseudonym",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'instrumentation.audit' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
