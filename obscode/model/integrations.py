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
from obscode.model.secrets import SecretRef, looks_like_secret, secret_field

_AM = "Alertmanager"


class Integration(Model):
    """One notification target of a receiver. Subclasses declare their secrets; the
    Alertmanager serialiser (obscode.emit.alertmanager) writes the fields in declaration order,
    each secret as ``<field>_file``, those with an ``http_config.…`` path inside ``http_config``,
    and ``send_resolved`` last."""

    #: Secret fields, each with the obscode.versions feature gating its ``*_file`` (None: the
    #: file variant came with the integration).
    secrets: ClassVar[dict[str, str | None]] = {}
    #: Plain fields some releases lack, each with the obscode.versions feature that gates it.
    field_features: ClassVar[dict[str, str]] = {}
    #: Fields written inside ``http_config``, not at the top level: those whose
    #: ``json_schema_extra`` path starts with ``http_config.`` (set from the fields).
    http_fields: ClassVar[tuple[str, ...]] = ()
    #: Plain-text fields whose value must not carry a token (a URL with ``?token=``).
    public_urls: ClassVar[tuple[str, ...]] = ()

    #: Whether to notify when the alerts are resolved.
    send_resolved: bool = Field(default=True, json_schema_extra={"written": "always"})

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.http_fields = tuple(name for name, info in cls.model_fields.items()
                                if isinstance(info.json_schema_extra, dict)
                                and str(info.json_schema_extra.get("path", "")).startswith("http_config."))

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



def _require(config: Model, *names: str, message: str) -> None:
    if all(getattr(config, n) is None for n in names):
        raise FieldError(names[0], message)


class OpsgenieResponder(Model):
    """Who Opsgenie notifies: one of ``id``, ``name`` or ``username``, and its ``type``."""

    kind = "opsgenie responder"

    #: The responder's Opsgenie id.
    id: str | None = None
    #: The responder's name (a team or schedule name).
    name: str | None = None
    #: The responder's user name (for type user).
    username: str | None = None
    #: team, teams, user, escalation or schedule (or a template).
    type: str

    @model_validator(mode="after")
    def _who(self) -> "OpsgenieResponder":
        if self.id is None and self.name is None and self.username is None:
            raise ValueError("an Opsgenie responder needs one of id, name or username")
        if "{{" not in self.type and self.type not in ("team", "teams", "user", "escalation", "schedule"):
            raise FieldError("type", f"type {self.type!r} is not one of team, teams, user, escalation, schedule "
                                     "(or a template)")
        return self


class OpsgenieConfig(Integration):
    """Opsgenie alerts. ``api_key`` (a SecretRef, written as ``api_key_file``, Alertmanager
    >= 0.24) may be left to the global ``opsgenie_api_key``."""

    kind = "opsgenie_config"
    secrets = {"api_key": "opsgenie api_key_file"}

    #: The API key, a SecretRef; written as api_key_file. Leave it out to use the global one.
    api_key: SecretRef | None = None
    #: The API address, when not the service's default (or the global one).
    api_url: str | None = None
    #: The alert text (a template).
    message: str | None = None
    #: The description (a template).
    description: str | None = None
    #: The alert's source field (YAML `source`; the keyword source= works).
    source_: str | None = Field(default=None, alias="source")
    #: Extra key/value details sent with the alert.
    details: dict[str, str] | None = None
    #: The entity the alert is about (a template).
    entity: str | None = None
    #: Who is notified.
    responders: list[OpsgenieResponder] | None = None
    #: Comma-separated custom actions.
    actions: str | None = None
    #: Comma-separated tags.
    tags: str | None = None
    #: An additional note.
    note: str | None = None
    #: P1 to P5 (or a template).
    priority: str | None = None
    #: Whether to update the message and description of an open alert.
    update_alerts: bool | None = None

    @model_validator(mode="after")
    def _priority(self) -> "OpsgenieConfig":
        if self.priority and "{{" not in self.priority and not re.fullmatch(r"P[1-5]", self.priority):
            raise FieldError("priority", f"priority {self.priority!r} is not one of P1..P5 (or a template)")
        return self


class _TeamsBase(Integration):
    secrets = {"webhook_url": None}

    #: The webhook (or workflow) URL, a SecretRef: it carries a token; written as webhook_url_file.
    webhook_url: SecretRef
    #: The title (a template).
    title: str | None = None
    #: The body text (a template).
    text: str | None = None


class MSTeamsConfig(_TeamsBase):
    """Microsoft Teams through an incoming webhook (Alertmanager >= 0.26; the webhook URL
    carries a token, so it is read from ``webhook_url_file``, Alertmanager >= 0.27)."""

    kind = "msteams_config"
    secrets = {"webhook_url": "msteams webhook_url_file"}
    field_features = {"summary": "msteams summary"}

    #: The notification summary (Alertmanager >= 0.27).
    summary: str | None = None


class MSTeamsV2Config(_TeamsBase):
    """Microsoft Teams through a Power Automate (Flows) workflow URL, Alertmanager >= 0.28."""

    kind = "msteamsv2_config"


class TelegramConfig(Integration):
    """A Telegram bot message. ``bot_token`` (written as ``bot_token_file``, Alertmanager >= 0.26)
    may be left to the global ``telegram_bot_token`` (Alertmanager >= 0.31)."""

    kind = "telegram_config"
    secrets = {"bot_token": "telegram bot_token_file"}
    field_features = {"message_thread_id": "telegram message_thread_id"}

    #: The API address, when not the service's default (or the global one).
    api_url: str | None = None
    #: The bot token, a SecretRef; written as bot_token_file. Leave it out to use the global telegram_bot_token.
    bot_token: SecretRef | None = None
    #: The chat to post to (a number; group chats are negative).
    chat_id: int
    #: The topic of a forum chat (Alertmanager >= 0.28).
    message_thread_id: int | None = None
    #: The message text (a template).
    message: str | None = None
    #: Whether the message arrives silently.
    disable_notifications: bool | None = None
    #: How Telegram reads the message: Markdown, MarkdownV2 or HTML.
    parse_mode: Literal["Markdown", "MarkdownV2", "HTML"] | None = None


class DiscordConfig(Integration):
    """A Discord channel webhook (Alertmanager >= 0.25; read from ``webhook_url_file``, >= 0.27)."""

    kind = "discord_config"
    secrets = {"webhook_url": "discord webhook_url_file"}
    field_features = {name: "discord content, username, avatar_url" for name in ("content", "username", "avatar_url")}

    #: The webhook URL, a SecretRef (the URL carries a token); written as webhook_url_file.
    webhook_url: SecretRef
    #: The title (a template).
    title: str | None = None
    #: The message text (a template).
    message: str | None = None
    #: Plain text sent above the embed (Alertmanager >= 0.28).
    content: str | None = None
    #: Overrides the webhook's user name (Alertmanager >= 0.28).
    username: str | None = None
    #: Overrides the webhook's avatar (Alertmanager >= 0.28).
    avatar_url: str | None = None


class WebexConfig(Integration):
    """A Webex room message (Alertmanager >= 0.25). ``bot_token`` is written as
    ``http_config.authorization.credentials_file``, the only way Webex authenticates."""

    kind = "webex_config"
    secrets = {"bot_token": None}

    #: The API address, when not the service's default (or the global one).
    api_url: str | None = None
    #: The room to post to.
    room_id: str
    #: The message text (a template).
    message: str | None = None
    #: The bot's access token, a SecretRef; written as http_config.authorization.credentials_file.
    bot_token: SecretRef = Field(json_schema_extra={"path": "http_config.authorization.credentials"})


class SigV4Config(Model):
    """AWS request signing for SNS. Alertmanager reads ``secret_key`` only inline (no
    ``secret_key_file`` in any release up to 0.34), so obscode takes no secret here: use
    ``profile`` or ``role_arn``, or the AWS credentials of Alertmanager's environment."""

    kind = "sigv4"

    #: The AWS region.
    region: str | None = None
    #: Refused: Alertmanager reads it only inline; use profile, role_arn or the environment.
    access_key: str | None = None
    #: Refused: Alertmanager reads it only inline; use profile, role_arn or the environment.
    secret_key: Any = None
    #: The AWS profile of the shared credentials file.
    profile: str | None = None
    #: The role to assume.
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


class SNSConfig(Integration):
    """An AWS SNS topic, phone number or target (Alertmanager >= 0.23)."""

    kind = "sns_config"

    #: The SNS API address, when not the region's default.
    api_url: str | None = None
    sigv4: SigV4Config | None = None
    #: The topic to publish to (one of topic_arn, phone_number, target_arn).
    topic_arn: str | None = None
    #: The phone number to send an SMS to.
    phone_number: str | None = None
    #: The mobile endpoint to publish to.
    target_arn: str | None = None
    #: The subject (a template).
    subject: str | None = None
    #: The message text (a template).
    message: str | None = None
    #: Message attributes.
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

    #: The API key, a SecretRef; written as api_key_file. Leave it out to use the global one.
    api_key: SecretRef | None = None
    #: The API address, when not the service's default (or the global one).
    api_url: str | None = None
    #: The VictorOps route the alert takes (a template; not a secret).
    routing_key: str
    #: CRITICAL, WARNING, INFO, ... (a template).
    message_type: str | None = None
    #: The long description (a template).
    state_message: str | None = None
    #: The summary shown (a template).
    entity_display_name: str | None = None
    #: The tool named as the source.
    monitoring_tool: str | None = None
    #: Extra fields sent with the alert.
    custom_fields: dict[str, str] | None = None


class PushoverConfig(Integration):
    """Pushover. ``user_key`` and ``token`` are SecretRefs (``*_file``, Alertmanager >= 0.26)."""

    kind = "pushover_config"
    secrets = {"user_key": "pushover key files", "token": "pushover key files"}
    public_urls = ("url",)

    #: The recipient's user key, a SecretRef; written as user_key_file.
    user_key: SecretRef
    #: The application token, a SecretRef; written as token_file.
    token: SecretRef
    #: The title (a template).
    title: str | None = None
    #: The message text (a template).
    message: str | None = None
    #: A link shown with the message (one carrying a token is refused).
    url: str | None = None
    #: The link's title.
    url_title: str | None = None
    #: The device to notify (all when left out).
    device: str | None = None
    #: The notification sound.
    sound: str | None = None
    #: The Pushover priority, -2 to 2 (a template).
    priority: str | None = None
    #: How often an emergency notification repeats.
    retry: Duration | None = None
    #: How long an emergency notification repeats.
    expire: Duration | None = None
    #: Whether the message is HTML.
    html: bool | None = None


class WechatConfig(Integration):
    """WeChat Work. ``api_secret`` (written as ``api_secret_file``, Alertmanager >= 0.31) and
    ``corp_id`` may be left to the global ``wechat_api_secret`` and ``wechat_api_corp_id``."""

    kind = "wechat_config"
    secrets = {"api_secret": "wechat api_secret_file"}

    #: Whether to notify when the alerts are resolved (Alertmanager's default: no).
    send_resolved: bool = Field(default=False, json_schema_extra={"written": "always"})
    #: The API secret, a SecretRef; written as api_secret_file. Leave it out to use the global one.
    api_secret: SecretRef | None = None
    #: The corp id (or the global wechat_api_corp_id).
    corp_id: str | None = None
    #: The API address, when not the service's default (or the global one).
    api_url: str | None = None
    #: The message text (a template).
    message: str | None = None
    #: The users to notify.
    to_user: str | None = None
    #: The parties to notify.
    to_party: str | None = None
    #: The tags to notify.
    to_tag: str | None = None
    #: The application's agent id.
    agent_id: str | None = None
    #: text or markdown.
    message_type: Literal["text", "markdown"] | None = None


class JiraConfig(Integration):
    """A Jira issue per alert group (Alertmanager >= 0.28). Authenticate with ``username`` and
    ``api_token`` (Jira Cloud: ``http_config.basic_auth``) or ``bearer_token`` (a Data Center
    personal access token: ``http_config.authorization``); ``api_url`` may be left to the
    global ``jira_api_url``."""

    kind = "jira_config"
    secrets = {"api_token": None, "bearer_token": None}

    #: The Jira address (or the global jira_api_url).
    api_url: str | None = None
    #: The project issues are created in (a template).
    project: str
    #: The type of the issues created, e.g. Bug (a template).
    issue_type: str
    #: The issue summary (a template).
    summary: str | None = None
    #: The issue description (a template).
    description: str | None = None
    #: Labels set on the issue.
    labels: list[str] | None = None
    #: The issue priority (a template).
    priority: str | None = None
    #: The transition that reopens a resolved issue.
    reopen_transition: str | None = None
    #: The transition that resolves an issue.
    resolve_transition: str | None = None
    #: The resolution of issues that are not reopened.
    wont_fix_resolution: str | None = None
    #: How long after resolution an issue is reopened rather than a new one created.
    reopen_duration: Duration | None = None
    #: Custom fields set on the issue.
    fields: dict[str, Any] | None = None
    #: The Jira Cloud user, with api_token (written to http_config.basic_auth).
    username: str | None = Field(default=None, json_schema_extra={"path": "http_config.basic_auth.username"})
    #: The Jira Cloud API token, a SecretRef; written as http_config.basic_auth.password_file.
    api_token: SecretRef | None = Field(default=None, json_schema_extra={"path": "http_config.basic_auth.password"})
    #: A Data Center personal access token, a SecretRef; written as http_config.authorization.credentials_file.
    bearer_token: SecretRef | None = Field(default=None,
                                           json_schema_extra={"path": "http_config.authorization.credentials"})

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


class RocketchatConfig(Integration):
    """Rocket.Chat (Alertmanager >= 0.28). ``token`` and ``token_id`` are SecretRefs; both may
    be left to the global ``rocketchat_token`` and ``rocketchat_token_id``."""

    kind = "rocketchat_config"
    secrets = {"token_id": None, "token": None}

    #: Whether to notify when the alerts are resolved (Alertmanager's default: no).
    send_resolved: bool = Field(default=False, json_schema_extra={"written": "always"})
    #: The API address, when not the service's default (or the global one).
    api_url: str | None = None
    #: The user id of the token, a SecretRef; written as token_id_file (or the global one).
    token_id: SecretRef | None = None
    #: The personal access token, a SecretRef; written as token_file (or the global one).
    token: SecretRef | None = None
    #: The channel to post to.
    channel: str | None = None
    #: The colour of the message's side bar (a template).
    color: str | None = None
    #: The title (a template).
    title: str | None = None
    #: The address the title links to.
    title_link: str | None = None
    #: The body text (a template).
    text: str | None = None
    #: The emoji shown as the sender's avatar.
    emoji: str | None = None
    #: The address of the icon shown with the message.
    icon_url: str | None = None
    #: The address of an image shown in the message.
    image_url: str | None = None
    #: The address of a thumbnail shown in the message.
    thumb_url: str | None = None
    #: Whether @names and #channels in the text become links.
    link_names: bool | None = None
    #: Whether fields are shown side by side.
    short_fields: bool | None = None


class IncidentioConfig(Integration):
    """An incident.io HTTP alert source (Alertmanager >= 0.29): its ``url`` and its
    ``alert_source_token`` (a SecretRef, written as ``alert_source_token_file``)."""

    kind = "incidentio_config"
    secrets = {"alert_source_token": None}
    public_urls = ("url",)

    #: The HTTP alert source address (one carrying a token is refused).
    url: str
    #: The alert source token, a SecretRef; written as alert_source_token_file.
    alert_source_token: SecretRef
    #: The most alerts sent in one notification (0: all).
    max_alerts: int | None = Field(default=None, ge=0)
    #: How long a notification may take.
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
