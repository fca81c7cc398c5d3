"""Scrape credentials as the operator reads them: references to keys of one Secret in the
objects' namespace (``KubernetesSettings.secret_name``, default ``<stack>-secrets``), never values.

A secret's key is its name: the file name of ``SecretRef(file=...)`` (``/etc/prometheus/secrets/
api-password`` → ``api-password``) or the variable of ``SecretRef(env=...)``. The operator reads a
basic-auth user name from the Secret too: its key is the password's key followed by ``-username``."""

from __future__ import annotations

import re
from typing import Literal

from obscode.kubernetes.meta import KubeModel, SecretKeySelector
from obscode.model.kubernetes import KubernetesSettings
from obscode.model.scrape import ScrapeConfig
from obscode.model.secrets import SecretRef

#: What a key of a Secret may hold.
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class BasicAuth(KubeModel):
    username: SecretKeySelector
    password: SecretKeySelector


class Authorization(KubeModel):
    """``authorization``: the credentials sent in the ``Authorization`` header."""

    type: Literal["Bearer"]
    credentials: SecretKeySelector


def secret_name(settings: KubernetesSettings, stack: str) -> str:
    return settings.secret_name or f"{stack}-secrets"


def secret_key(ref: SecretRef, where: str) -> str:
    """The key of the Secret holding ``ref``; ``where`` names the field for the message."""
    key = ref.env if ref.env is not None else (ref.file or "").rstrip("/").rsplit("/", 1)[-1]
    if len(key) > 253 or not _SECRET_KEY.match(key):
        raise ValueError(f"{where}: the secret {key!r} cannot be a key of a Kubernetes Secret (letters, digits, "
                         "'-', '_' and '.'); name the secret's file accordingly")
    return key


def basic_auth(job: ScrapeConfig, settings: KubernetesSettings, stack: str) -> BasicAuth | None:
    if job.basic_auth is None:
        return None
    name = secret_name(settings, stack)
    key = secret_key(job.basic_auth.password, f"scrape job {job.job_name}, field 'basic_auth.password'")
    return BasicAuth(username=SecretKeySelector(name=name, key=f"{key}-username"),
                     password=SecretKeySelector(name=name, key=key))


def authorization(job: ScrapeConfig, settings: KubernetesSettings, stack: str) -> Authorization | None:
    if job.bearer_token is None:
        return None
    key = secret_key(job.bearer_token, f"scrape job {job.job_name}, field 'bearer_token'")
    return Authorization(type="Bearer", credentials=SecretKeySelector(name=secret_name(settings, stack), key=key))
