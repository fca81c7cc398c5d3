"""Alertmanager configuration: route tree, receivers, inhibition and time intervals."""

from __future__ import annotations

import re
import typing
from typing import Any, ClassVar, Iterator, Literal

from pydantic import Field, field_validator, model_validator

from obscode.model import text
from obscode.model.base import FieldError, Model
from obscode.model.duration import Duration
from obscode.model.integrations import (
    DiscordConfig, IncidentioConfig, JiraConfig, MSTeamsConfig, MSTeamsV2Config, OpsgenieConfig,
    PushoverConfig, RocketchatConfig, SNSConfig, TelegramConfig, VictorOpsConfig, WebexConfig, WechatConfig,
)
from obscode.model.secrets import SecretRef, looks_like_secret, secret_field

_MATCHER = re.compile(
    r'^\s*(?:([a-zA-Z_][a-zA-Z0-9_]*)|"((?:[^"\\]|\\.)+)")\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$')
CLASSIC_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_AM = "Alertmanager"


class Matcher(Model):
    """``name op "value"``; ``op`` is one of = != =~ !~. A label name outside
    [a-zA-Z_][a-zA-Z0-9_]* is written quoted (``"service.name"="api"``), which Alertmanager
    reads from 0.27 on (obscode.versions checks the target)."""

    kind = "matcher"

    name: str
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        match = _MATCHER.match(text)
        if not match:
            raise ValueError(f'matcher {text!r} is not of the form name="value" (operators = != =~ !~)')
        classic, quoted_name, op, quoted, bare = match.groups()
        name = classic if classic is not None else _unescape(quoted_name)
        value = _unescape(quoted) if quoted is not None else bare
        matcher = cls(name=name, op=op, value=value)
        return matcher

    @model_validator(mode="after")
    def _regex_compiles(self) -> "Matcher":
        text.check(self.name, "matcher label")
        text.check(self.value, f"matcher {self.name} value")
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"regex {self.value!r} in matcher {self.name} does not compile: {exc}") from None
        return self

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found

    @property
    def classic_name(self) -> bool:
        """Whether the label name is one every Alertmanager reads (no UTF-8 quoting)."""
        return bool(CLASSIC_LABEL_NAME.match(self.name))

    def __str__(self) -> str:
        name = self.name if self.classic_name else f'"{_escape(self.name)}"'
        return f'{name}{self.op}"{_escape(self.value)}"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _unescape(text: str) -> str:
    return text.replace('\\"', '"')


def _matchers(value: Any) -> list[Matcher]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [Matcher(name=k, op="=", value=v) for k, v in value.items()]
    return [Matcher.parse(v) if isinstance(v, str) else v for v in value]


def _from_legacy(data: Any, new: str, match: str, match_re: str) -> Any:
    """Accept the seed's ``match:``/``match_re:`` maps; they become modern matchers."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    merged: list[Any] = list(data.pop(new, None) or [])
    for key, op in ((match, "="), (match_re, "=~")):
        for name, value in (data.pop(key, None) or {}).items():
            merged.append(Matcher(name=name, op=op, value=value))
    data[new] = merged
    return data


class TimeRange(Model):
    kind = "time range"

    times: list[dict[str, str]] | None = None
    weekdays: list[str] | None = None
    days_of_month: list[str] | None = None
    months: list[str] | None = None
    years: list[str] | None = None
    location: str | None = None


class TimeInterval(Model):
    kind = "time interval"
    name_field = "name"

    name: str
    time_intervals: list[TimeRange]


class Route(Model):
    kind = "route"

    receiver: str | None = None
    group_by: list[str] | None = None
    matchers: list[Matcher] = Field(default_factory=list)
    continue_: bool = Field(default=False, alias="continue")
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    mute_time_intervals: list[str] = Field(default_factory=list)
    active_time_intervals: list[str] = Field(default_factory=list)
    routes: list["Route"] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _legacy_match(cls, data: Any) -> Any:
        return _from_legacy(data, "matchers", "match", "match_re")

    @field_validator("matchers", mode="before")
    @classmethod
    def _parse_matchers(cls, value: Any) -> list[Matcher]:
        return _matchers(value)

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, value: list[str] | None) -> list[str] | None:
        if value and "..." in value and len(value) > 1:
            raise ValueError(f"group_by {value!r}: '...' groups by every label, so it stands alone "
                             "(Alertmanager refuses other labels beside it); write ['...'] or list the labels")
        return text.check_all(value, "group_by label")  # type: ignore[return-value]

    @field_validator("receiver")
    @classmethod
    def _receiver(cls, value: str | None) -> str | None:
        return value if value is None else text.check(value, "receiver")

    def describe_path(self) -> str:
        return "{" + ", ".join(str(m) for m in self.matchers) + "}" if self.matchers else "{}"

    def walk(self, path: str = "route") -> Iterator[tuple[str, "Route"]]:
        yield path, self
        for index, child in enumerate(self.routes):
            yield from child.walk(f"{path}.routes[{index}]")


class EmailConfig(Model):
    kind = "email_config"

    to: str
    from_: str | None = Field(default=None, alias="from")
    smarthost: str | None = None
    auth_username: str | None = None
    require_tls: bool | None = None
    auth_password: SecretRef | None = None
    send_resolved: bool = Field(default=False, json_schema_extra={"written": "always"})
    headers: dict[str, str] | None = None

    @field_validator("auth_password", mode="before")
    @classmethod
    def check_secret(cls, value: Any) -> Any:
        return value if value is None else secret_field(value, "auth_password", _AM)

    @field_validator("to")
    @classmethod
    def check_to(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"to {value!r} is not an e-mail address")
        return value


class PagerdutyConfig(Model):
    """Events API v1 ``service_key`` or v2 ``routing_key``, each a SecretRef."""

    kind = "pagerduty_config"

    service_key: SecretRef | None = None
    routing_key: SecretRef | None = None
    url: str | None = None
    severity: str | None = None
    send_resolved: bool = Field(default=True, json_schema_extra={"written": "always"})

    @field_validator("service_key", "routing_key", mode="before")
    @classmethod
    def check_secret(cls, value: Any, info: Any) -> Any:
        return value if value is None else secret_field(value, info.field_name, _AM)

    @model_validator(mode="after")
    def _one_key(self) -> "PagerdutyConfig":
        if (self.service_key is None) == (self.routing_key is None):
            raise ValueError("give exactly one of service_key (Events API v1) or routing_key (v2), as SecretRef(file=...)")
        return self


class SlackConfig(Model):
    kind = "slack_config"

    api_url: SecretRef | None = None
    channel: str | None = None
    username: str | None = None
    title: str | None = None
    text: str | None = None
    send_resolved: bool = Field(default=False, json_schema_extra={"written": "always"})

    @field_validator("api_url", mode="before")
    @classmethod
    def check_secret(cls, value: Any) -> Any:
        return value if value is None else secret_field(value, "api_url", _AM)


class WebhookConfig(Model):
    """``url`` for an address that carries no secret (a local sink); ``url_file`` (a
    SecretRef, Alertmanager >= 0.26) for one that does."""

    kind = "webhook_config"

    url: str | None = None
    url_file: SecretRef | None = None
    send_resolved: bool = Field(default=True, json_schema_extra={"written": "always"})
    max_alerts: int | None = None

    @field_validator("url")
    @classmethod
    def check_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^https?://", value):
            raise ValueError(f"url {value!r} must start with http:// or https://")
        if looks_like_secret(value):
            raise ValueError(
                "url carries a token; secrets never go into definitions or generated files: "
                "use url_file=SecretRef(file='/etc/alertmanager/secrets/<name>')"
            )
        return value

    @field_validator("url_file", mode="before")
    @classmethod
    def check_secret(cls, value: Any) -> Any:
        return value if value is None else secret_field(value, "url_file", _AM)

    @model_validator(mode="after")
    def _one_url(self) -> "WebhookConfig":
        if (self.url is None) == (self.url_file is None):
            raise ValueError("give exactly one of url or url_file")
        return self


class Receiver(Model):
    kind = "receiver"
    name_field = "name"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value:
            raise ValueError("receiver name is empty")
        return text.check(value, "receiver name")

    name: str
    email_configs: list[EmailConfig] = Field(default_factory=list)
    pagerduty_configs: list[PagerdutyConfig] = Field(default_factory=list)
    slack_configs: list[SlackConfig] = Field(default_factory=list)
    webhook_configs: list[WebhookConfig] = Field(default_factory=list)
    opsgenie_configs: list[OpsgenieConfig] = Field(default_factory=list)
    msteams_configs: list[MSTeamsConfig] = Field(default_factory=list)
    msteamsv2_configs: list[MSTeamsV2Config] = Field(default_factory=list)
    telegram_configs: list[TelegramConfig] = Field(default_factory=list)
    discord_configs: list[DiscordConfig] = Field(default_factory=list)
    webex_configs: list[WebexConfig] = Field(default_factory=list)
    sns_configs: list[SNSConfig] = Field(default_factory=list)
    victorops_configs: list[VictorOpsConfig] = Field(default_factory=list)
    pushover_configs: list[PushoverConfig] = Field(default_factory=list)
    wechat_configs: list[WechatConfig] = Field(default_factory=list)
    jira_configs: list[JiraConfig] = Field(default_factory=list)
    rocketchat_configs: list[RocketchatConfig] = Field(default_factory=list)
    incidentio_configs: list[IncidentioConfig] = Field(default_factory=list)

    def integrations(self) -> list[str]:
        """The receiver's ``*_configs`` fields, in the order they are written."""
        return [name for name in type(self).model_fields if name.endswith("_configs")]


class InhibitRule(Model):
    kind = "inhibit rule"

    source_matchers: list[Matcher] = Field(default_factory=list)
    target_matchers: list[Matcher] = Field(default_factory=list)
    equal: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _legacy_match(cls, data: Any) -> Any:
        data = _from_legacy(data, "source_matchers", "source_match", "source_match_re")
        return _from_legacy(data, "target_matchers", "target_match", "target_match_re")

    @field_validator("source_matchers", "target_matchers", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> list[Matcher]:
        return _matchers(value)

    @field_validator("equal")
    @classmethod
    def _equal(cls, value: list[str]) -> list[str]:
        return text.check_all(value, "equal label")  # type: ignore[return-value]

    @model_validator(mode="after")
    def _both_sides(self) -> "InhibitRule":
        if not self.source_matchers or not self.target_matchers:
            raise ValueError("an inhibit rule needs source_matchers and target_matchers")
        return self


class AlertmanagerGlobal(Model):
    kind = "alertmanager global"

    resolve_timeout: Duration | None = None
    smtp_from: str | None = None
    smtp_smarthost: str | None = None
    smtp_hello: str | None = None
    smtp_auth_username: str | None = None
    smtp_require_tls: bool | None = None
    smtp_auth_password: SecretRef | None = None
    slack_api_url: SecretRef | None = None
    pagerduty_url: str | None = None
    opsgenie_api_url: str | None = None
    opsgenie_api_key: SecretRef | None = None
    victorops_api_url: str | None = None
    victorops_api_key: SecretRef | None = None
    telegram_api_url: str | None = None
    telegram_bot_token: SecretRef | None = None
    webex_api_url: str | None = None
    wechat_api_url: str | None = None
    wechat_api_secret: SecretRef | None = None
    wechat_api_corp_id: str | None = None
    jira_api_url: str | None = None
    rocketchat_api_url: str | None = None
    rocketchat_token_id: SecretRef | None = None
    rocketchat_token: SecretRef | None = None

    #: Global secrets (the SecretRef fields), written as ``<name>_file``; set below from the fields.
    SECRETS: ClassVar[tuple[str, ...]] = ()

    @field_validator("smtp_auth_password", "slack_api_url", "opsgenie_api_key", "victorops_api_key",
                     "telegram_bot_token", "wechat_api_secret", "rocketchat_token_id", "rocketchat_token",
                     mode="before")
    @classmethod
    def check_secret(cls, value: Any, info: Any) -> Any:
        return value if value is None else secret_field(value, info.field_name, _AM)


AlertmanagerGlobal.SECRETS = tuple(name for name, info in AlertmanagerGlobal.model_fields.items()
                                   if SecretRef in typing.get_args(info.annotation))


#: Integration field -> (receiver config fields, global fields) one of which must be set, and
#: what is missing in words.
_NEEDS_GLOBAL: dict[str, list[tuple[str, str, str]]] = {
    "opsgenie_configs": [("api_key", "opsgenie_api_key", "Opsgenie API key")],
    "victorops_configs": [("api_key", "victorops_api_key", "VictorOps API key")],
    "telegram_configs": [("bot_token", "telegram_bot_token", "Telegram bot token")],
    "wechat_configs": [("api_secret", "wechat_api_secret", "WeChat API secret"),
                       ("corp_id", "wechat_api_corp_id", "WeChat corp id")],
    "jira_configs": [("api_url", "jira_api_url", "Jira API URL")],
    "rocketchat_configs": [("token_id", "rocketchat_token_id", "Rocket.Chat token id"),
                           ("token", "rocketchat_token", "Rocket.Chat token")],
}


def _integrations_have_their_globals(receivers: list[Receiver], global_: AlertmanagerGlobal) -> None:
    """Each integration has what Alertmanager needs, from its own config or the global one."""
    for receiver in receivers:
        for integration, needs in _NEEDS_GLOBAL.items():
            for config in getattr(receiver, integration):
                for own, shared, what in needs:
                    if getattr(config, own) is None and getattr(global_, shared) is None:
                        secret = own in type(config).secrets
                        give = f"{own}=SecretRef(file=...)" if secret else f"{own}=..."
                        raise FieldError("receivers", f"receiver {receiver.name!r}: its {config.kind} has no "
                                                      f"{what}: give the {config.kind} {give} or global {shared}",
                                         source=config.source or receiver.source)


class AlertmanagerConfig(Model):
    kind = "alertmanager config"

    global_: AlertmanagerGlobal = Field(default_factory=AlertmanagerGlobal, alias="global")
    route: Route
    receivers: list[Receiver]
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    time_intervals: list[TimeInterval] = Field(default_factory=list)
    templates: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> "AlertmanagerConfig":
        names = [r.name for r in self.receivers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise FieldError("receivers", f"receiver {dupes[0]!r} is defined more than once; receiver names must be unique")
        intervals = [t.name for t in self.time_intervals]
        dupes = sorted({n for n in intervals if intervals.count(n) > 1})
        if dupes:
            raise ValueError(f"time interval {dupes[0]!r} is defined more than once")
        for receiver in self.receivers:
            for email in receiver.email_configs:
                if not (email.smarthost or self.global_.smtp_smarthost):
                    raise ValueError(
                        f"receiver {receiver.name!r} sends e-mail but no SMTP server is set: "
                        "give global smtp_smarthost (host:port) or the email config's smarthost"
                    )
                if not (email.from_ or self.global_.smtp_from):
                    raise ValueError(
                        f"receiver {receiver.name!r} sends e-mail but has no sender: "
                        "give global smtp_from or the email config's from"
                    )
            for slack in receiver.slack_configs:
                if slack.api_url is None and self.global_.slack_api_url is None:
                    raise FieldError("receivers", f"receiver {receiver.name!r} posts to Slack but has no webhook URL: "
                                                  "give the slack config api_url=SecretRef(file=...) or global "
                                                  "slack_api_url", source=slack.source or receiver.source)
        _integrations_have_their_globals(self.receivers, self.global_)
        if not self.route.receiver:
            raise ValueError("the root route needs a receiver: the default for alerts no child route takes")
        if self.route.matchers:
            raise FieldError("route", "the root route takes every alert, so it cannot have matchers "
                                      f"({self.route.describe_path()}); put them on a child route",
                             source=self.route.source)
        for path, route in self.route.walk():
            if route.receiver and route.receiver not in names:
                raise FieldError(
                    "route", f"{path} names receiver {route.receiver!r}, which is not defined"
                    f"{text.suggest(route.receiver, names)}; defined receivers: {', '.join(names) or 'none'}",
                    source=route.source)
            for interval in route.mute_time_intervals + route.active_time_intervals:
                if interval not in intervals:
                    raise FieldError("route", f"{path} names time interval {interval!r}, which is not defined"
                                              f"{text.suggest(interval, intervals)}; defined: "
                                              f"{', '.join(intervals) or 'none'}", source=route.source)
        return self

    def used_receivers(self) -> set[str]:
        return {route.receiver for _, route in self.route.walk() if route.receiver}

    def receiver(self, name: str) -> Receiver:
        for receiver in self.receivers:
            if receiver.name == name:
                return receiver
        raise KeyError(name)
