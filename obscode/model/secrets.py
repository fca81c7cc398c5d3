"""Secrets are referenced, never written: a file path (or an environment variable where
the consumer expands it) that compiles to the ``*_file`` fields Alertmanager, Prometheus
and Grafana understand."""

from __future__ import annotations

import re
from typing import Any

from pydantic import model_validator

from obscode.model.base import FieldError, Model

_TOKEN_IN_URL = re.compile(
    r"(hooks\.slack\.com/services/|[?&](token|key|api_key|apikey|secret|access_token|sig)=|//[^/@\s]+:[^/@\s]+@)",
    re.I,
)
_KEY_LIKE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-+/=]{20,}$")
_PLACEHOLDER = re.compile(r"^<[^>]+>$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")

HOW_TO = (
    "store the secret in a file the service reads and reference it: "
    "SecretRef(file='/etc/alertmanager/secrets/<name>')"
)


def looks_like_secret(value: str) -> bool:
    """A URL carrying a token, or a long key-like string."""
    return bool(_TOKEN_IN_URL.search(value) or _KEY_LIKE.match(value.strip()))


class SecretRef(Model):
    """Where a secret lives. Exactly one of ``file`` or ``env``.

    ``file`` compiles to the consumer's ``*_file`` field. ``env`` is only accepted
    where the consumer expands environment variables (Grafana provisioning);
    Prometheus and Alertmanager refuse it with a message saying so.
    """

    kind = "secret reference"

    file: str | None = None
    env: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "SecretRef":
        if (self.file is None) == (self.env is None):
            raise ValueError("give exactly one of file=... or env=...")
        if self.file is not None:
            if "://" in self.file or looks_like_secret(self.file.rsplit("/", 1)[-1]):
                raise FieldError("file", f"file= takes the path of a file holding the secret, not the secret; {HOW_TO}")
            if not self.file.startswith("/"):
                raise FieldError("file", f"file {self.file!r} must be an absolute path on the host that reads it")
        if self.env is not None and not _ENV_NAME.match(self.env):
            raise ValueError(f"env {self.env!r} must be an environment variable name like SLACK_WEBHOOK_URL")
        return self


def secret_field(value: Any, field: str, consumer: str | None = None) -> Any:
    """Validate a value given for a secret field: only a SecretRef passes, and only a
    file reference when ``consumer`` (e.g. "Alertmanager") cannot expand variables."""
    env = value.env if isinstance(value, SecretRef) else value.get("env") if isinstance(value, dict) else None
    if consumer and env:
        raise ValueError(
            f"{consumer} does not expand environment variables in its configuration; "
            f"use SecretRef(file=...) instead of SecretRef(env={env!r})"
        )
    if isinstance(value, str):
        if looks_like_secret(value) or _PLACEHOLDER.match(value):
            raise ValueError(
                f"{field} looks like a literal secret; secrets never go into definitions or "
                f"generated files: {HOW_TO}"
            )
        raise ValueError(f"{field} takes a SecretRef, not a string; {HOW_TO}")
    return value


def file_only(ref: SecretRef | None, consumer: str) -> str | None:
    """The path to emit for a consumer that cannot expand environment variables."""
    if ref is None:
        return None
    if ref.env is not None:
        raise ValueError(
            f"{consumer} does not expand environment variables in its configuration; "
            f"use SecretRef(file=...) instead of SecretRef(env={ref.env!r})"
        )
    return ref.file
