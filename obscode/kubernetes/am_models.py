"""The typed AlertmanagerConfig (monitoring.coreos.com/v1alpha1) the ``kubernetes`` output
writes: route tree, receivers, inhibit rules and mute time intervals, in the operator's
camelCase (aliases). Python field names are obscode's own (``send_resolved``, ``api_url``), so
:mod:`obscode.kubernetes.am_receivers` converts an obscode integration by walking its fields
into the model of the same names; unknown fields are refused, as the API server refuses them.

Secrets are ``SecretKeySelector`` references (a key of one Secret), never values."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from obscode.kubernetes.meta import KubeModel, ObjectMeta, SecretKeySelector

API_VERSION = "monitoring.coreos.com/v1alpha1"
KIND = "AlertmanagerConfig"


class KeyValue(KubeModel):
    key: str
    value: str


class MatcherSpec(KubeModel):
    name: str
    value: str
    match_type: Literal["=", "!=", "=~", "!~"] = Field(alias="matchType")


class RouteSpec(KubeModel):
    receiver: str | None = None
    group_by: list[str] | None = Field(default=None, alias="groupBy")
    group_wait: str | None = Field(default=None, alias="groupWait")
    group_interval: str | None = Field(default=None, alias="groupInterval")
    repeat_interval: str | None = Field(default=None, alias="repeatInterval")
    matchers: list[MatcherSpec] = Field(default_factory=list)
    continue_: bool = Field(default=False, alias="continue")
    mute_time_intervals: list[str] = Field(default_factory=list, alias="muteTimeIntervals")
    active_time_intervals: list[str] = Field(default_factory=list, alias="activeTimeIntervals")
    routes: list["RouteSpec"] = Field(default_factory=list)


class InhibitRuleSpec(KubeModel):
    source_match: list[MatcherSpec] = Field(default_factory=list, alias="sourceMatch")
    target_match: list[MatcherSpec] = Field(default_factory=list, alias="targetMatch")
    equal: list[str] = Field(default_factory=list)


class TimeSpec(KubeModel):
    start_time: str = Field(alias="startTime")
    end_time: str = Field(alias="endTime")


class DayOfMonthRange(KubeModel):
    start: int
    end: int


class TimeRangeSpec(KubeModel):
    times: list[TimeSpec] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)
    days_of_month: list[DayOfMonthRange] = Field(default_factory=list, alias="daysOfMonth")
    months: list[str] = Field(default_factory=list)
    years: list[str] = Field(default_factory=list)


class MuteTimeIntervalSpec(KubeModel):
    name: str
    time_intervals: list[TimeRangeSpec] = Field(default_factory=list, alias="timeIntervals")


# Receivers. ``send_resolved`` is always written: the operator's defaults are not every
# integration's Alertmanager default, and obscode's model says which it means.

class AuthorizationSpec(KubeModel):
    type: str | None = None
    credentials: SecretKeySelector


class HTTPConfigSpec(KubeModel):
    authorization: AuthorizationSpec | None = None


class EmailSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    to: str | None = None
    from_: str | None = Field(default=None, alias="from")
    hello: str | None = None
    smarthost: str | None = None
    auth_username: str | None = Field(default=None, alias="authUsername")
    auth_password: SecretKeySelector | None = Field(default=None, alias="authPassword")
    headers: list[KeyValue] | None = None
    require_tls: bool | None = Field(default=None, alias="requireTLS")


class PagerdutySpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    routing_key: SecretKeySelector | None = Field(default=None, alias="routingKey")
    service_key: SecretKeySelector | None = Field(default=None, alias="serviceKey")
    url: str | None = None
    severity: str | None = None


class SlackSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_url: SecretKeySelector | None = Field(default=None, alias="apiURL")
    channel: str | None = None
    username: str | None = None
    title: str | None = None
    text: str | None = None


class WebhookSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    url: str | None = None
    url_secret: SecretKeySelector | None = Field(default=None, alias="urlSecret")
    max_alerts: int | None = Field(default=None, alias="maxAlerts")


class OpsgenieResponderSpec(KubeModel):
    id: str | None = None
    name: str | None = None
    username: str | None = None
    type: Literal["team", "teams", "user", "escalation", "schedule"]


class OpsgenieSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_key: SecretKeySelector | None = Field(default=None, alias="apiKey")
    api_url: str | None = Field(default=None, alias="apiURL")
    message: str | None = None
    description: str | None = None
    source_: str | None = Field(default=None, alias="source")
    details: list[KeyValue] | None = None
    entity: str | None = None
    responders: list[OpsgenieResponderSpec] | None = None
    actions: str | None = None
    tags: str | None = None
    note: str | None = None
    priority: str | None = None
    update_alerts: bool | None = Field(default=None, alias="updateAlerts")


class MSTeamsSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    webhook_url: SecretKeySelector = Field(alias="webhookUrl")
    title: str | None = None
    summary: str | None = None
    text: str | None = None


class MSTeamsV2Spec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    webhook_url: SecretKeySelector | None = Field(default=None, alias="webhookURL")
    title: str | None = None
    text: str | None = None


class TelegramSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_url: str | None = Field(default=None, alias="apiURL")
    bot_token: SecretKeySelector | None = Field(default=None, alias="botToken")
    chat_id: int = Field(alias="chatID")
    message_thread_id: int | None = Field(default=None, alias="messageThreadID")
    message: str | None = None
    disable_notifications: bool | None = Field(default=None, alias="disableNotifications")
    parse_mode: Literal["MarkdownV2", "Markdown", "HTML"] | None = Field(default=None, alias="parseMode")


class DiscordSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    # obscode's webhook_url is the CRD's apiURL (the channel webhook, a secret).
    webhook_url: SecretKeySelector = Field(alias="apiURL")
    title: str | None = None
    message: str | None = None
    content: str | None = None
    username: str | None = None
    avatar_url: str | None = Field(default=None, alias="avatarURL")


class WebexSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_url: str | None = Field(default=None, alias="apiURL")
    room_id: str = Field(alias="roomID")
    message: str | None = None
    # obscode's bot_token: the only way Webex authenticates.
    http_config: HTTPConfigSpec | None = Field(default=None, alias="httpConfig")


class SigV4Spec(KubeModel):
    region: str | None = None
    profile: str | None = None
    role_arn: str | None = Field(default=None, alias="roleArn")


class SNSSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_url: str | None = Field(default=None, alias="apiURL")
    sigv4: SigV4Spec | None = None
    topic_arn: str | None = Field(default=None, alias="topicARN")
    phone_number: str | None = Field(default=None, alias="phoneNumber")
    target_arn: str | None = Field(default=None, alias="targetARN")
    subject: str | None = None
    message: str | None = None
    attributes: dict[str, str] | None = None


class VictorOpsSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_key: SecretKeySelector | None = Field(default=None, alias="apiKey")
    api_url: str | None = Field(default=None, alias="apiUrl")
    routing_key: str = Field(alias="routingKey")
    message_type: str | None = Field(default=None, alias="messageType")
    entity_display_name: str | None = Field(default=None, alias="entityDisplayName")
    state_message: str | None = Field(default=None, alias="stateMessage")
    monitoring_tool: str | None = Field(default=None, alias="monitoringTool")
    custom_fields: list[KeyValue] | None = Field(default=None, alias="customFields")


class PushoverSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    user_key: SecretKeySelector | None = Field(default=None, alias="userKey")
    token: SecretKeySelector | None = None
    title: str | None = None
    message: str | None = None
    url: str | None = None
    url_title: str | None = Field(default=None, alias="urlTitle")
    device: str | None = None
    sound: str | None = None
    priority: str | None = None
    retry: str | None = None
    expire: str | None = None
    html: bool | None = None


class WechatSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_secret: SecretKeySelector | None = Field(default=None, alias="apiSecret")
    api_url: str | None = Field(default=None, alias="apiURL")
    corp_id: str | None = Field(default=None, alias="corpID")
    agent_id: str | None = Field(default=None, alias="agentID")
    to_user: str | None = Field(default=None, alias="toUser")
    to_party: str | None = Field(default=None, alias="toParty")
    to_tag: str | None = Field(default=None, alias="toTag")
    message: str | None = None
    message_type: str | None = Field(default=None, alias="messageType")


class RocketchatSpec(KubeModel):
    send_resolved: bool | None = Field(default=None, alias="sendResolved")
    api_url: str | None = Field(default=None, alias="apiURL")
    token_id: SecretKeySelector = Field(alias="tokenID")
    token: SecretKeySelector
    channel: str | None = None
    color: str | None = None
    title: str | None = None
    title_link: str | None = Field(default=None, alias="titleLink")
    text: str | None = None
    emoji: str | None = None
    icon_url: str | None = Field(default=None, alias="iconURL")
    image_url: str | None = Field(default=None, alias="imageURL")
    thumb_url: str | None = Field(default=None, alias="thumbURL")
    link_names: bool | None = Field(default=None, alias="linkNames")
    short_fields: bool | None = Field(default=None, alias="shortFields")


class ReceiverSpec(KubeModel):
    """A receiver; its python field names are obscode ``Receiver``'s, so an integration the
    CRD lacks (Jira, incident.io) has no field here and is refused by name."""

    name: str
    email_configs: list[EmailSpec] = Field(default_factory=list, alias="emailConfigs")
    pagerduty_configs: list[PagerdutySpec] = Field(default_factory=list, alias="pagerdutyConfigs")
    slack_configs: list[SlackSpec] = Field(default_factory=list, alias="slackConfigs")
    webhook_configs: list[WebhookSpec] = Field(default_factory=list, alias="webhookConfigs")
    opsgenie_configs: list[OpsgenieSpec] = Field(default_factory=list, alias="opsgenieConfigs")
    msteams_configs: list[MSTeamsSpec] = Field(default_factory=list, alias="msteamsConfigs")
    msteamsv2_configs: list[MSTeamsV2Spec] = Field(default_factory=list, alias="msteamsv2Configs")
    telegram_configs: list[TelegramSpec] = Field(default_factory=list, alias="telegramConfigs")
    discord_configs: list[DiscordSpec] = Field(default_factory=list, alias="discordConfigs")
    webex_configs: list[WebexSpec] = Field(default_factory=list, alias="webexConfigs")
    sns_configs: list[SNSSpec] = Field(default_factory=list, alias="snsConfigs")
    victorops_configs: list[VictorOpsSpec] = Field(default_factory=list, alias="victoropsConfigs")
    pushover_configs: list[PushoverSpec] = Field(default_factory=list, alias="pushoverConfigs")
    wechat_configs: list[WechatSpec] = Field(default_factory=list, alias="wechatConfigs")
    rocketchat_configs: list[RocketchatSpec] = Field(default_factory=list, alias="rocketchatConfigs")


class AlertmanagerConfigSpec(KubeModel):
    route: RouteSpec | None = None
    receivers: list[ReceiverSpec] = Field(default_factory=list)
    inhibit_rules: list[InhibitRuleSpec] = Field(default_factory=list, alias="inhibitRules")
    mute_time_intervals: list[MuteTimeIntervalSpec] = Field(default_factory=list, alias="muteTimeIntervals")


class AlertmanagerConfigObject(KubeModel):
    api_version: Literal["monitoring.coreos.com/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["AlertmanagerConfig"]
    metadata: ObjectMeta
    spec: AlertmanagerConfigSpec
