"""Alertmanager integrations beyond e-mail, PagerDuty, Slack and webhook: Opsgenie, Microsoft
Teams (and v2), Telegram, Discord, Webex, SNS, VictorOps, Pushover, WeChat, Jira, Rocket.Chat
and incident.io. Field names are Alertmanager's (0.34.0 ``config/notifiers.go`` and
``notify/*/config.go``). Every secret is a :class:`SecretRef` written as the ``*_file`` field
Alertmanager reads; :mod:`obscode.versions` refuses those a targeted release lacks."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from obscode.model.base import FieldError, Model
from obscode.model.duration import Duration
from obscode.model.secrets import SecretRef, file_only, looks_like_secret, secret_field

_AM = "Alertmanager"


def _plain(value: Any) -> Any:
    if isinstance(value, Model) and hasattr(value, "render"):
        return value.render()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return dict(value)
    return value


class Integration(Model):
    """One notification target of a receiver. Subclasses declare their secrets; rendering
    writes the fields in declaration order, each secret as ``<field>_file``, ``send_resolved`` last."""

    #: Secret fields, each with the obscode.versions feature gating its ``*_file`` (None: the
    #: file variant came with the integration).
    secrets: ClassVar[dict[str, str | None]] = {}
    #: Fields written inside ``http_config`` by :meth:`http_config`, not at the top level.
    http_fields: ClassVar[tuple[str, ...]] = ()
    #: Plain-text fields whose value must not carry a token (a URL with ``?token=``).
    public_urls: ClassVar[tuple[str, ...]] = ()

    send_resolved: bool = True

    @model_validator(mode="before")
    @classmethod
    def _secrets_are_refs(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name in cls.secrets:
            value = data.get(name)
            if value is not None:
                try:
                    secret_field(value, name, _AM)
                except ValueError as exc:
                    raise FieldError(name, str(exc)) from None
        for name in cls.public_urls:
            value = data.get(name)
            if isinstance(value, str) and looks_like_secret(value):
                raise FieldError(name, f"{name} carries a token; secrets never go into definitions or generated "
                                       "files: keep the token in its own SecretRef field")
        return data

    def http_config(self) -> dict[str, Any] | None:
        """The ``http_config`` block this integration needs (authentication), if any."""
        return None

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            if name in ("ignore", "send_resolved") or name in self.http_fields:
                continue
            value = getattr(self, name)
            if value is None:
                continue
            if name in self.secrets:
                out[f"{name}_file"] = file_only(value, _AM)
            else:
                out[info.alias or name] = _plain(value)
        http = self.http_config()
        if http:
            out["http_config"] = http
        out["send_resolved"] = self.send_resolved
        return out


def _require(config: Model, *names: str, message: str) -> None:
    if all(getattr(config, n) is None for n in names):
        raise FieldError(names[0], message)


class OpsgenieResponder(Model):
    """Who Opsgenie notifies: one of ``id``, ``name`` or ``username``, and its ``type``."""

    kind = "opsgenie responder"

    id: str | None = None
    name: str | None = None
    username: str | None = None
    type: str

    @model_validator(mode="after")
    def _who(self) -> "OpsgenieResponder":
        if self.id is None and self.name is None and self.username is None:
            raise ValueError("an Opsgenie responder needs one of id, name or username")
        if "{{" not in self.type and self.type not in ("team", "teams", "user", "escalation", "schedule"):
            raise FieldError("type", f"type {self.type!r} is not one of team, teams, user, escalation, schedule "
                                     "(or a template)")
        return self

    def render(self) -> dict[str, Any]:
        return {k: v for k, v in (("id", self.id), ("name", self.name), ("username", self.username),
                                  ("type", self.type)) if v is not None}


class OpsgenieConfig(Integration):
    """Opsgenie alerts. ``api_key`` (a SecretRef, written as ``api_key_file``, Alertmanager
    >= 0.24) may be left to the global ``opsgenie_api_key``."""

    kind = "opsgenie_config"
    secrets = {"api_key": "opsgenie api_key_file"}

    api_key: SecretRef | None = None
    api_url: str | None = None
    message: str | None = None
    description: str | None = None
    source_: str | None = Field(default=None, alias="source")
    details: dict[str, str] | None = None
    entity: str | None = None
    responders: list[OpsgenieResponder] | None = None
    actions: str | None = None
    tags: str | None = None
    note: str | None = None
    priority: str | None = None
    update_alerts: bool | None = None

    @model_validator(mode="after")
    def _priority(self) -> "OpsgenieConfig":
        if self.priority and "{{" not in self.priority and not re.fullmatch(r"P[1-5]", self.priority):
            raise FieldError("priority", f"priority {self.priority!r} is not one of P1..P5 (or a template)")
        return self


class _TeamsBase(Integration):
    secrets = {"webhook_url": None}

    webhook_url: SecretRef
    title: str | None = None
    text: str | None = None


class MSTeamsConfig(_TeamsBase):
    """Microsoft Teams through an incoming webhook (Alertmanager >= 0.26; the webhook URL
    carries a token, so it is read from ``webhook_url_file``, Alertmanager >= 0.27)."""

    kind = "msteams_config"
    secrets = {"webhook_url": "msteams webhook_url_file"}

    summary: str | None = None


class MSTeamsV2Config(_TeamsBase):
    """Microsoft Teams through a Power Automate (Flows) workflow URL, Alertmanager >= 0.28."""

    kind = "msteamsv2_config"


class TelegramConfig(Integration):
    """A Telegram bot message. ``bot_token`` (written as ``bot_token_file``, Alertmanager >= 0.26)
    may be left to the global ``telegram_bot_token`` (Alertmanager >= 0.31)."""

    kind = "telegram_config"
    secrets = {"bot_token": "telegram bot_token_file"}

    api_url: str | None = None
    bot_token: SecretRef | None = None
    chat_id: int
    message_thread_id: int | None = None
    message: str | None = None
    disable_notifications: bool | None = None
    parse_mode: Literal["Markdown", "MarkdownV2", "HTML"] | None = None


class DiscordConfig(Integration):
    """A Discord channel webhook (Alertmanager >= 0.25; read from ``webhook_url_file``, >= 0.27)."""

    kind = "discord_config"
    secrets = {"webhook_url": "discord webhook_url_file"}

    webhook_url: SecretRef
    title: str | None = None
    message: str | None = None
    content: str | None = None
    username: str | None = None
    avatar_url: str | None = None


class WebexConfig(Integration):
    """A Webex room message (Alertmanager >= 0.25). ``bot_token`` is written as
    ``http_config.authorization.credentials_file``, the only way Webex authenticates."""

    kind = "webex_config"
    secrets = {"bot_token": None}
    http_fields = ("bot_token",)

    api_url: str | None = None
    room_id: str
    message: str | None = None
    bot_token: SecretRef

    def http_config(self) -> dict[str, Any] | None:
        return {"authorization": {"credentials_file": file_only(self.bot_token, _AM)}}


class SigV4Config(Model):
    """AWS request signing for SNS. Alertmanager reads ``secret_key`` only inline (no
    ``secret_key_file`` in any release up to 0.34), so obscode takes no secret here: use
    ``profile`` or ``role_arn``, or the AWS credentials of Alertmanager's environment."""

    kind = "sigv4"

    region: str | None = None
    access_key: str | None = None
    secret_key: Any = None
    profile: str | None = None
    role_arn: str | None = None

    @model_validator(mode="after")
    def _no_inline_secret(self) -> "SigV4Config":
        if self.secret_key is not None or self.access_key is not None:
            raise FieldError("secret_key" if self.secret_key is not None else "access_key",
                             "Alertmanager reads the SigV4 access and secret keys only inline (no secret_key_file "
                             "in any release up to 0.34), and secrets never go into generated files: give profile "
                             "or role_arn, or the AWS credentials of Alertmanager's environment or shared "
                             "credentials file")
        return self

    def render(self) -> dict[str, Any]:
        return {k: v for k, v in (("region", self.region), ("profile", self.profile),
                                  ("role_arn", self.role_arn)) if v is not None}


class SNSConfig(Integration):
    """An AWS SNS topic, phone number or target (Alertmanager >= 0.23)."""

    kind = "sns_config"

    api_url: str | None = None
    sigv4: SigV4Config | None = None
    topic_arn: str | None = None
    phone_number: str | None = None
    target_arn: str | None = None
    subject: str | None = None
    message: str | None = None
    attributes: dict[str, str] | None = None

    @model_validator(mode="after")
    def _destination(self) -> "SNSConfig":
        _require(self, "topic_arn", "phone_number", "target_arn",
                 message="an SNS config needs topic_arn, phone_number or target_arn")
        return self


class VictorOpsConfig(Integration):
    """VictorOps (Splunk On-Call). ``api_key`` (written as ``api_key_file``, Alertmanager >= 0.25)
    may be left to the global ``victorops_api_key``."""

    kind = "victorops_config"
    secrets = {"api_key": "victorops api_key_file"}

    api_key: SecretRef | None = None
    api_url: str | None = None
    routing_key: str
    message_type: str | None = None
    state_message: str | None = None
    entity_display_name: str | None = None
    monitoring_tool: str | None = None
    custom_fields: dict[str, str] | None = None


class PushoverConfig(Integration):
    """Pushover. ``user_key`` and ``token`` are SecretRefs (``*_file``, Alertmanager >= 0.26)."""

    kind = "pushover_config"
    secrets = {"user_key": "pushover key files", "token": "pushover key files"}
    public_urls = ("url",)

    user_key: SecretRef
    token: SecretRef
    title: str | None = None
    message: str | None = None
    url: str | None = None
    url_title: str | None = None
    device: str | None = None
    sound: str | None = None
    priority: str | None = None
    retry: Duration | None = None
    expire: Duration | None = None
    html: bool | None = None


class WechatConfig(Integration):
    """WeChat Work. ``api_secret`` (written as ``api_secret_file``, Alertmanager >= 0.31) and
    ``corp_id`` may be left to the global ``wechat_api_secret`` and ``wechat_api_corp_id``."""

    kind = "wechat_config"
    secrets = {"api_secret": "wechat api_secret_file"}

    send_resolved: bool = False
    api_secret: SecretRef | None = None
    corp_id: str | None = None
    api_url: str | None = None
    message: str | None = None
    to_user: str | None = None
    to_party: str | None = None
    to_tag: str | None = None
    agent_id: str | None = None
    message_type: Literal["text", "markdown"] | None = None


class JiraConfig(Integration):
    """A Jira issue per alert group (Alertmanager >= 0.28). Authenticate with ``username`` and
    ``api_token`` (Jira Cloud: ``http_config.basic_auth``) or ``bearer_token`` (a Data Center
    personal access token: ``http_config.authorization``); ``api_url`` may be left to the
    global ``jira_api_url``."""

    kind = "jira_config"
    secrets = {"api_token": None, "bearer_token": None}
    http_fields = ("username", "api_token", "bearer_token")

    api_url: str | None = None
    project: str
    issue_type: str
    summary: str | None = None
    description: str | None = None
    labels: list[str] | None = None
    priority: str | None = None
    reopen_transition: str | None = None
    resolve_transition: str | None = None
    wont_fix_resolution: str | None = None
    reopen_duration: Duration | None = None
    fields: dict[str, Any] | None = None
    username: str | None = None
    api_token: SecretRef | None = None
    bearer_token: SecretRef | None = None

    @model_validator(mode="after")
    def _one_auth(self) -> "JiraConfig":
        basic = self.username is not None or self.api_token is not None
        if basic == (self.bearer_token is not None):
            raise FieldError("api_token", "a Jira config authenticates with username and api_token (Jira Cloud) "
                                          "or with bearer_token (Data Center), exactly one of them")
        if basic and (self.username is None or self.api_token is None):
            raise FieldError("username" if self.username is None else "api_token",
                             "Jira Cloud authentication needs both username and api_token")
        return self

    def http_config(self) -> dict[str, Any] | None:
        if self.bearer_token is not None:
            return {"authorization": {"credentials_file": file_only(self.bearer_token, _AM)}}
        return {"basic_auth": {"username": self.username, "password_file": file_only(self.api_token, _AM)}}


class RocketchatConfig(Integration):
    """Rocket.Chat (Alertmanager >= 0.28). ``token`` and ``token_id`` are SecretRefs; both may
    be left to the global ``rocketchat_token`` and ``rocketchat_token_id``."""

    kind = "rocketchat_config"
    secrets = {"token_id": None, "token": None}

    send_resolved: bool = False
    api_url: str | None = None
    token_id: SecretRef | None = None
    token: SecretRef | None = None
    channel: str | None = None
    color: str | None = None
    title: str | None = None
    title_link: str | None = None
    text: str | None = None
    emoji: str | None = None
    icon_url: str | None = None
    image_url: str | None = None
    thumb_url: str | None = None
    link_names: bool | None = None
    short_fields: bool | None = None


class IncidentioConfig(Integration):
    """An incident.io HTTP alert source (Alertmanager >= 0.29): its ``url`` and its
    ``alert_source_token`` (a SecretRef, written as ``alert_source_token_file``)."""

    kind = "incidentio_config"
    secrets = {"alert_source_token": None}
    public_urls = ("url",)

    url: str
    alert_source_token: SecretRef
    max_alerts: int | None = Field(default=None, ge=0)
    timeout: Duration | None = None


#: Receiver field -> config class, for the integrations of this module, in Receiver order.
INTEGRATIONS: dict[str, type[Integration]] = {
    "opsgenie_configs": OpsgenieConfig,
    "msteams_configs": MSTeamsConfig,
    "msteamsv2_configs": MSTeamsV2Config,
    "telegram_configs": TelegramConfig,
    "discord_configs": DiscordConfig,
    "webex_configs": WebexConfig,
    "sns_configs": SNSConfig,
    "victorops_configs": VictorOpsConfig,
    "pushover_configs": PushoverConfig,
    "wechat_configs": WechatConfig,
    "jira_configs": JiraConfig,
    "rocketchat_configs": RocketchatConfig,
    "incidentio_configs": IncidentioConfig,
}
