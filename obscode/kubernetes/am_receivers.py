"""obscode receivers as AlertmanagerConfig receivers.

The conversion walks each integration's fields into the typed spec of the same field names
(:mod:`obscode.kubernetes.am_models`), so a field or an integration the CRD cannot express is
a ``ValueError`` naming the receiver and the field, never silently dropped. Secrets become
keys of one Secret; what a receiver took from Alertmanager's ``global`` section (the SMTP
server, API addresses and keys) is written into each receiver config, because an
AlertmanagerConfig has no global section: those settings belong to the whole Alertmanager."""

from __future__ import annotations

import re
import types
import typing
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel

from obscode.kubernetes import am_models as crd
from obscode.kubernetes.meta import KubeModel
from obscode.model.alertmanager import AlertmanagerGlobal, Receiver
from obscode.model.base import Model
from obscode.model.integrations import OpsgenieResponder, SigV4Config
from obscode.model.secrets import SecretRef

#: A key of a Kubernetes Secret.
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

#: What a receiver config takes from ``global`` when it leaves a field out:
#: integration -> {spec field: AlertmanagerGlobal field}.
FROM_GLOBAL: dict[str, dict[str, str]] = {
    "email_configs": {"from_": "smtp_from", "smarthost": "smtp_smarthost", "hello": "smtp_hello",
                      "auth_username": "smtp_auth_username", "auth_password": "smtp_auth_password",
                      "require_tls": "smtp_require_tls"},
    "slack_configs": {"api_url": "slack_api_url"},
    "pagerduty_configs": {"url": "pagerduty_url"},
    "opsgenie_configs": {"api_url": "opsgenie_api_url", "api_key": "opsgenie_api_key"},
    "victorops_configs": {"api_url": "victorops_api_url", "api_key": "victorops_api_key"},
    "telegram_configs": {"api_url": "telegram_api_url", "bot_token": "telegram_bot_token"},
    "webex_configs": {"api_url": "webex_api_url"},
    "wechat_configs": {"api_url": "wechat_api_url", "api_secret": "wechat_api_secret",
                       "corp_id": "wechat_api_corp_id"},
    "rocketchat_configs": {"api_url": "rocketchat_api_url", "token_id": "rocketchat_token_id",
                           "token": "rocketchat_token"},
}

#: obscode field -> spec field, where the names differ.
RENAMED: dict[str, dict[str, str]] = {
    "webhook_configs": {"url_file": "url_secret"},
}

#: Nested obscode models and the spec each becomes.
NESTED: dict[type[Model], type[KubeModel]] = {
    OpsgenieResponder: crd.OpsgenieResponderSpec,
    SigV4Config: crd.SigV4Spec,
}

#: Integrations of obscode's Receiver the CRD has no field for, in words.
_NAMES = {"jira_configs": "Jira", "incidentio_configs": "incident.io"}


class SecretKeys:
    """The keys of the one Secret holding a stack's receiver secrets: each SecretRef becomes
    ``{name: <the Secret>, key: <the file's name>}``; two files of the same name would share a
    key, which is an error."""

    def __init__(self, secret_name: str) -> None:
        self.name = secret_name
        self.keys: dict[str, str] = {}

    def ref(self, secret: SecretRef, where: str) -> crd.SecretKeySelector:
        source = secret.file if secret.file is not None else f"env {secret.env}"
        key = PurePosixPath(secret.file).name if secret.file is not None else str(secret.env)
        if not _SECRET_KEY.match(key):
            raise ValueError(f"{where}: secret {source} would be key {key!r} of Secret {self.name}, but a Secret key "
                             "is letters, digits, '-', '_' and '.': rename the file")
        first = self.keys.setdefault(key, source)
        if first != source:
            raise ValueError(f"{where}: secrets {first} and {source} would both be key {key!r} of Secret {self.name}; "
                             "give the files different names")
        return crd.SecretKeySelector(name=self.name, key=key)


def _spec_type(model: type[BaseModel], field: str) -> type[KubeModel] | None:
    """The KubeModel class a field of ``model`` holds (through ``X | None`` and ``list[X]``)."""
    pending = [model.model_fields[field].annotation]
    while pending:
        current = pending.pop()
        if isinstance(current, type) and issubclass(current, KubeModel):
            return current
        if typing.get_origin(current) in (list, typing.Union, types.UnionType):
            pending.extend(typing.get_args(current))
    return None


def _key_values(model: type[BaseModel], field: str) -> bool:
    return _spec_type(model, field) is crd.KeyValue


def _value(value: Any, target: type[KubeModel], field: str, secrets: SecretKeys, where: str) -> Any:
    if isinstance(value, SecretRef):
        return secrets.ref(value, f"{where}, field {field!r}")
    if isinstance(value, dict) and _key_values(target, field):
        return [crd.KeyValue(key=str(k), value=str(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_value(item, target, field, secrets, where) for item in value]
    if isinstance(value, Model):
        spec = NESTED.get(type(value))
        if spec is None:
            raise ValueError(f"{where}, field {field!r}: the AlertmanagerConfig CRD cannot express a {value.kind}")
        return convert(value, spec, secrets, f"{where}, {field}")
    return value


def convert(config: Model, spec: type[KubeModel], secrets: SecretKeys, where: str,
            renamed: dict[str, str] | None = None, defaults: dict[str, Any] | None = None) -> KubeModel:
    """``config`` as ``spec``, field by field; a set field ``spec`` has no place for is an error."""
    data: dict[str, Any] = {}
    for name, info in type(config).model_fields.items():
        value = getattr(config, name)
        if info.exclude or value is None:
            continue
        target = (renamed or {}).get(name, name)
        if target not in spec.model_fields:
            raise ValueError(f"{where}, field {name!r}: the AlertmanagerConfig CRD ({crd.API_VERSION}) has no "
                             f"counterpart for {config.kind} {name}; leave it out for the kubernetes output")
        data[target] = _value(value, spec, target, secrets, where)
    for target, value in (defaults or {}).items():
        if data.get(target) is None and value is not None:
            data[target] = _value(value, spec, target, secrets, where)
    try:
        return spec.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"{where}: the AlertmanagerConfig CRD refuses it: {exc}") from None


def _webex(config: Model, secrets: SecretKeys, where: str, defaults: dict[str, Any]) -> KubeModel:
    """Webex authenticates only with ``httpConfig.authorization``: the bot token goes there."""
    token = secrets.ref(config.bot_token, f"{where}, field 'bot_token'")  # type: ignore[attr-defined]
    stripped = config.model_copy(update={"bot_token": None})
    out = convert(stripped, crd.WebexSpec, secrets, where, defaults=defaults)
    return out.model_copy(update={"http_config": crd.HTTPConfigSpec(
        authorization=crd.AuthorizationSpec(credentials=token))})


def receiver(receiver: Receiver, global_: AlertmanagerGlobal, secrets: SecretKeys) -> crd.ReceiverSpec:
    """One receiver of the AlertmanagerConfig."""
    where = f"receiver {receiver.name!r}"
    data: dict[str, Any] = {"name": receiver.name}
    for field in receiver.integrations():
        configs = getattr(receiver, field)
        if not configs:
            continue
        if field not in crd.ReceiverSpec.model_fields:
            what = _NAMES.get(field, field.removesuffix("_configs"))
            raise ValueError(f"{where}, field {field!r}: the AlertmanagerConfig CRD ({crd.API_VERSION}) has no "
                             f"{what} integration; send these alerts to a receiver of another type, or leave "
                             "'kubernetes' out of the stack's outputs")
        spec = _spec_type(crd.ReceiverSpec, field)
        assert spec is not None
        defaults = {target: getattr(global_, name) for target, name in FROM_GLOBAL.get(field, {}).items()}
        converted = []
        for index, config in enumerate(configs):
            at = f"{where}, {field}[{index}]"
            if spec is crd.WebexSpec:
                converted.append(_webex(config, secrets, at, defaults))
            else:
                converted.append(convert(config, spec, secrets, at, RENAMED.get(field), defaults))
        data[field] = converted
    return crd.ReceiverSpec.model_validate(data)
