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

__all__ = [
    "AUDIT_DATASET", "AUDIT_ENV_VARS", "AUDIT_LOGGER", "DEFAULT_ACTIONS", "MIN_KEY_BYTES",
    "AuditConfig", "Auditor", "Pseudonymiser", "RateLimitedResponses",
]
