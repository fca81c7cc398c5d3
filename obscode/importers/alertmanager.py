"""``obscode import alertmanager``: alertmanager.yml -> ``alertmanager.py`` of typed models
(receivers, route tree, inhibit rules, time intervals). Literal secrets become
``SecretRef(file=...)`` under /etc/alertmanager/secrets/ with a comment saying what goes there."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from obscode.errors import DefinitionError
from obscode.importers import pycode
from obscode.importers.fields import Context, Field, read_object
from obscode.importers.problems import Collector
from obscode.importers.spec import Obj, Var, build, failed
from obscode.importers.yaml_lines import Mapping, load_mapping
from obscode.model.alertmanager import (
    AlertmanagerConfig, AlertmanagerGlobal, EmailConfig, InhibitRule, Matcher, PagerdutyConfig, Receiver,
    Route, SlackConfig, TimeInterval, TimeRange, WebhookConfig,
)
from obscode.model.integrations import INTEGRATIONS, Integration, OpsgenieResponder, SigV4Config
from obscode.model.secrets import looks_like_secret

SECRETS_DIR = "/etc/alertmanager/secrets"


def _matchers(value: Any, ctx: Context, line: int, what: str) -> list[str] | None:
    """Matchers as the canonical strings obscode writes (``severity="critical"``)."""
    if not isinstance(value, list):
        ctx.report.error(ctx.file, line, f"{what} must be a list of matchers like severity=\"critical\"")
        return None
    out = []
    for index, text in enumerate(value):
        where = value.line_of(index) if hasattr(value, "line_of") else line
        try:
            out.append(str(Matcher.parse(str(text).strip().strip("{}"))))
        except DefinitionError as exc:
            ctx.report.error(ctx.file, where, f"{what}: {exc.message}")
            return None
        except ValueError as exc:
            ctx.report.error(ctx.file, where, f"{what}: {exc}")
            return None
    return out


def _legacy(data: Mapping, ctx: Context, pairs: tuple[tuple[str, str, str], ...], what: str) -> list[tuple[str, Any]] | None:
    """``match``/``match_re`` (and friends) read as the matchers they mean, merged with ``matchers``."""
    out: list[tuple[str, Any]] = []
    for new, match, match_re in pairs:
        merged: list[str] = []
        if data.get(new) is not None:
            parsed = _matchers(data[new], ctx, data.line_of(new), f"{what}, field {new!r}")
            if parsed is None:
                return None
            merged.extend(parsed)
        for key, op in ((match, "="), (match_re, "=~")):
            block = data.get(key)
            if block is None:
                continue
            if not isinstance(block, Mapping):
                ctx.report.error(ctx.file, data.line_of(key), f"{what}, field {key!r} must be a mapping of label names to values")
                return None
            for name in block:
                merged.append(str(Matcher(name=str(name), op=op, value=str(block.text(name)))))
        if merged:
            out.append((new, merged))
    return out


def _route(data: Any, ctx: Context, line: int, index: int | None = None) -> Obj | None:
    what = "route" if index is None else f"route (line {line})"
    table = {
        "receiver": Field("receiver"), "group_by": Field("group_by", "texts"),
        "continue": Field("continue_", "bool"), "group_wait": Field("group_wait", "duration"),
        "group_interval": Field("group_interval", "duration"), "repeat_interval": Field("repeat_interval", "duration"),
        "mute_time_intervals": Field("mute_time_intervals", "texts"),
        "active_time_intervals": Field("active_time_intervals", "texts"),
        "routes": Field("routes", "objects", read=_route),
    }
    if not isinstance(data, Mapping):
        ctx.report.error(ctx.file, line, f"{what} must be a mapping")
        return None
    legacy = ("matchers", "match", "match_re")
    matchers = _legacy(data, ctx, (legacy,), what)
    rest = Mapping()
    rest.line = data.line
    for key in data:
        if key not in legacy:
            rest[key] = data[key]
            rest.key_lines[key] = data.line_of(key)
            if key in data.raw:
                rest.raw[key] = data.raw[key]
    obj = read_object(rest, Route, table, ctx, line, what)
    if obj is None or matchers is None:
        return None
    order = ["receiver", "group_by", "matchers", "continue_"]
    obj.kwargs = sorted(obj.kwargs + matchers, key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return obj


def _config_reader(cls: type, table: dict[str, Field], kind: str) -> Any:
    def read(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
        return read_object(data, cls, table, ctx.within(f"{kind}{index + 1 if index else ''}"), line, f"{cls.kind}")
    return read


_EMAIL = {
    "to": Field("to"), "from": Field("from_"), "smarthost": Field("smarthost"),
    "auth_username": Field("auth_username"),
    "auth_password": Field("auth_password", "secret", what="the SMTP password"),
    "auth_password_file": Field("auth_password", "secret_file"),
    "require_tls": Field("require_tls", "bool"), "send_resolved": Field("send_resolved", "bool"),
    "headers": Field("headers", "mapping"),
}
_PAGERDUTY = {
    "service_key": Field("service_key", "secret", what="the PagerDuty service key (Events API v1)"),
    "service_key_file": Field("service_key", "secret_file"),
    "routing_key": Field("routing_key", "secret", what="the PagerDuty routing key (Events API v2)"),
    "routing_key_file": Field("routing_key", "secret_file"),
    "url": Field("url"), "severity": Field("severity"), "send_resolved": Field("send_resolved", "bool"),
}
_SLACK = {
    "api_url": Field("api_url", "secret", what="the Slack webhook URL"),
    "api_url_file": Field("api_url", "secret_file"),
    "channel": Field("channel"), "username": Field("username"), "title": Field("title"), "text": Field("text"),
    "send_resolved": Field("send_resolved", "bool"),
}
_WEBHOOK_SECRET = {
    "url": Field("url_file", "secret", what="the webhook URL (it carries a token)"),
    "url_file": Field("url_file", "secret_file"),
    "send_resolved": Field("send_resolved", "bool"), "max_alerts": Field("max_alerts", "int"),
}
_WEBHOOK = {**_WEBHOOK_SECRET, "url": Field("url")}


def _webhook(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    secret = isinstance(data, Mapping) and isinstance(data.get("url"), str) and looks_like_secret(data["url"])
    table = _WEBHOOK_SECRET if secret else _WEBHOOK
    return read_object(data, WebhookConfig, table, ctx.within(f"webhook{index + 1 if index else ''}"), line,
                       "webhook_config")


_DURATIONS = ("retry", "expire", "reopen_duration", "timeout")
_NESTED: dict[str, tuple[str, type, dict[str, Field]]] = {
    "responders": ("objects", OpsgenieResponder, {k: Field(k) for k in ("id", "name", "username", "type")}),
    "sigv4": ("object", SigV4Config, {k: Field(k) for k in ("region", "access_key", "profile", "role_arn")}
              | {"secret_key": Field("secret_key", "raw")}),
}


def _kind(name: str, annotation: Any) -> str:
    """The importer field kind of a model field's annotation (``int | None`` -> int)."""
    if name in _DURATIONS:
        return "duration"
    types = [t for t in typing.get_args(annotation) if t is not type(None)] or [annotation]
    base, origin = types[0], typing.get_origin(types[0])
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if origin is dict:
        return "mapping" if typing.get_args(base)[1] is str else "raw"
    if origin is list:
        return "texts"
    return "text"


def _integration_table(cls: type[Integration]) -> dict[str, Field]:
    """How an integration's YAML keys read into ``cls``: derived from its fields and secrets."""
    table: dict[str, Field] = {}
    for name, info in cls.model_fields.items():
        if name == "ignore" or name in cls.http_fields:
            continue
        key = info.alias or name
        if name in cls.secrets:
            table[key] = Field(name, "secret", what=f"the {cls.kind} {name}")
            table[f"{key}_file"] = Field(name, "secret_file")
        elif name in _NESTED:
            kind, nested, fields = _NESTED[name]
            reader = _nested_reader(nested, fields)
            table[key] = Field(name, kind, read=reader if kind == "objects" else
                               lambda v, c, line, r=reader: r(v, c, line, 0))
        else:
            table[key] = Field(name, _kind(name, info.annotation))
    if cls.http_fields:
        table["http_config"] = Field("http_config", "raw")
    return table


def _nested_reader(cls: type, table: dict[str, Field]) -> Any:
    def read(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
        return read_object(data, cls, table, ctx, line, cls.kind)
    return read


#: Where http_config authentication lands in the typed config: (http_config block, key) -> field.
_HTTP_AUTH = {
    "webex_config": {("authorization", "credentials"): "bot_token"},
    "jira_config": {("authorization", "credentials"): "bearer_token", ("basic_auth", "username"): "username",
                    ("basic_auth", "password"): "api_token"},
}


def _lift_http_auth(data: Mapping, cls: type[Integration], ctx: Context, line: int) -> Mapping | None:
    """``data`` with the authentication of its ``http_config`` as the config's own fields (the
    only http_config keys obscode models for Webex and Jira)."""
    http = data.get("http_config")
    if http is None:
        return data
    lifted = Mapping()
    lifted.line = data.line
    for key in data:
        if key != "http_config":
            lifted[key] = data[key]
            lifted.key_lines[key] = data.line_of(key)
            if key in data.raw:
                lifted.raw[key] = data.raw[key]
    known = _HTTP_AUTH[cls.kind]
    modelled = ", ".join(f"{b}.{k}" for b, k in known)
    for block_name in http if isinstance(http, Mapping) else []:
        block = http[block_name]
        for key in block if isinstance(block, Mapping) else [None]:
            if block_name == "authorization" and key == "type":
                continue  # Bearer, the default
            field = known.get((block_name, key.removesuffix("_file") if key else ""))
            if field is None:
                ctx.report.error(ctx.file, http.line_of(block_name),
                                 f"{cls.kind}, field 'http_config.{block_name}{'.' + key if key else ''}' cannot be "
                                 f"expressed by obscode's {cls.__name__} (it models the authentication: {modelled})")
                return None
            target = field + ("_file" if key.endswith("_file") else "")
            lifted[target] = block[key]
            lifted.key_lines[target] = block.line_of(key)
            if key in block.raw:
                lifted.raw[target] = block.raw[key]
    return lifted


def _integration_reader(cls: type[Integration], kind: str) -> Any:
    table = _integration_table(cls)
    table.pop("http_config", None)
    for field in cls.http_fields:
        if field in cls.secrets:
            table[field] = Field(field, "secret", what=f"the {cls.kind} {field}")
            table[f"{field}_file"] = Field(field, "secret_file")
        else:
            table[field] = Field(field)

    def read(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
        inner = ctx.within(f"{kind}{index + 1 if index else ''}")
        if isinstance(data, Mapping) and cls.http_fields:
            data = _lift_http_auth(data, cls, inner, line)
            if data is None:
                return None
        return read_object(data, cls, table, inner, line, cls.kind)
    return read


def _receiver(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    name = data.get("name") if isinstance(data, Mapping) else None
    inner = ctx.within(str(name or f"receiver-{index + 1}"))
    table = {
        "name": Field("name"),
        "email_configs": Field("email_configs", "objects", read=_config_reader(EmailConfig, _EMAIL, "email")),
        "pagerduty_configs": Field("pagerduty_configs", "objects",
                                   read=_config_reader(PagerdutyConfig, _PAGERDUTY, "pagerduty")),
        "slack_configs": Field("slack_configs", "objects", read=_config_reader(SlackConfig, _SLACK, "slack")),
        "webhook_configs": Field("webhook_configs", "objects", read=_webhook),
        **{name: Field(name, "objects", read=_integration_reader(cls, name.removesuffix("_configs")))
           for name, cls in INTEGRATIONS.items()},
    }
    return read_object(data, Receiver, table, inner, line, f"receiver {name}" if name else "receiver")


def _inhibit(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    what = f"inhibit rule {index + 1}"
    if not isinstance(data, Mapping):
        ctx.report.error(ctx.file, line, f"{what} must be a mapping")
        return None
    pairs = (("source_matchers", "source_match", "source_match_re"),
             ("target_matchers", "target_match", "target_match_re"))
    matchers = _legacy(data, ctx, pairs, what)
    known = {k for p in pairs for k in p}
    rest = Mapping()
    rest.line = data.line
    for key in data:
        if key not in known:
            rest[key] = data[key]
            rest.key_lines[key] = data.line_of(key)
    obj = read_object(rest, InhibitRule, {"equal": Field("equal", "texts")}, ctx, line, what)
    if obj is None or matchers is None:
        return None
    obj.kwargs = matchers + obj.kwargs
    return obj


def _time_range(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    table = {k: Field(k, "raw") for k in ("times", "weekdays", "days_of_month", "months", "years")}
    table["location"] = Field("location")
    return read_object(data, TimeRange, table, ctx, line, "time range")


def _time_interval(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    table = {"name": Field("name"), "time_intervals": Field("time_intervals", "objects", read=_time_range)}
    return read_object(data, TimeInterval, table, ctx, line, "time interval")


_GLOBAL = {
    "resolve_timeout": Field("resolve_timeout", "duration"), "smtp_from": Field("smtp_from"),
    "smtp_smarthost": Field("smtp_smarthost"), "smtp_hello": Field("smtp_hello"),
    "smtp_auth_username": Field("smtp_auth_username"),
    "smtp_auth_password": Field("smtp_auth_password", "secret", what="the SMTP password"),
    "smtp_auth_password_file": Field("smtp_auth_password", "secret_file"),
    "smtp_require_tls": Field("smtp_require_tls", "bool"),
    "slack_api_url": Field("slack_api_url", "secret", what="the Slack webhook URL"),
    "slack_api_url_file": Field("slack_api_url", "secret_file"),
    "pagerduty_url": Field("pagerduty_url"),
    **{name: Field(name) for name in ("opsgenie_api_url", "victorops_api_url", "telegram_api_url", "webex_api_url",
                                      "wechat_api_url", "wechat_api_corp_id", "jira_api_url", "rocketchat_api_url")},
    **{key: Field(name, kind, what=f"the global {name}") for name in AlertmanagerGlobal.SECRETS
       if name not in ("smtp_auth_password", "slack_api_url")
       for key, kind in ((name, "secret"), (f"{name}_file", "secret_file"))},
}


def read_file(path: Path, report: Collector) -> Obj | None:
    """The AlertmanagerConfig of ``path``, validated object by object; None after reporting."""
    file = str(path)
    data = load_mapping(path, report, "an Alertmanager configuration is one YAML mapping with route and receivers")
    if data is None:
        return None
    ctx = Context(file, report, SECRETS_DIR, taken=set())
    if "mute_time_intervals" in data and "time_intervals" not in data:
        report.note(f"{file}: top-level mute_time_intervals is written as time_intervals (its name since Alertmanager 0.24)")
    table = {
        "global": Field("global_", "object", read=lambda v, c, line: read_object(
            v, AlertmanagerGlobal, _GLOBAL, c.within("global"), line, "global")),
        "route": Field("route", "object", read=lambda v, c, line: _route(v, c, line)),
        "receivers": Field("receivers", "objects", read=_receiver),
        "inhibit_rules": Field("inhibit_rules", "objects", read=_inhibit),
        "time_intervals": Field("time_intervals", "objects", read=_time_interval),
        "mute_time_intervals": Field("time_intervals", "objects", read=_time_interval),
        "templates": Field("templates", "texts"),
    }
    for key in ("route", "receivers"):
        if key not in data:
            report.error(file, data.line, f"an Alertmanager configuration needs {key}")
    config = read_object(data, AlertmanagerConfig, table, ctx, data.line, "alertmanager config")
    if config is None or report.errors:
        return None
    built = build(config, report)
    if failed(built):
        return None
    config.built = built
    return config


def module_source(config: Obj, source: Path) -> str:
    """``alertmanager.py``: receivers, the route tree and inhibit rules as variables, then the config."""
    names = sorted({"AlertmanagerConfig"} | _classes(config))
    body = []
    kwargs = []
    for key, value in config.kwargs:
        variable = {"receivers": "receivers", "route": "route", "inhibit_rules": "inhibit_rules",
                    "time_intervals": "time_intervals"}.get(key)
        if variable:
            body.append(pycode.assignment(variable, _code(value)))
            kwargs.append((key, Var(variable, value)))
        else:
            kwargs.append((key, value))
    config.kwargs = kwargs
    doc = pycode.docstring(f"Alertmanager configuration, imported by `obscode import alertmanager` from {source.name}.")
    imports = pycode.import_line("obscode", names)
    return doc + "\n" + imports + "\n\n" + "\n\n".join(body) + "\n\n" + pycode.assignment("alertmanager", config.code())


def _code(value: Any) -> Any:
    from obscode.importers.spec import to_code

    return to_code(value)


def _classes(value: Any) -> set[str]:
    if isinstance(value, Obj):
        return {value.cls.__name__} | {n for _, v in value.kwargs for n in _classes(v)}
    if isinstance(value, list):
        return {n for v in value for n in _classes(v)}
    return set()


def secret_files(config: Obj) -> list[str]:
    """The SecretRef files the import invented for literal secrets (they need the values)."""
    found = []

    def visit(value: Any) -> None:
        if isinstance(value, Var):
            visit(value.value)
        elif isinstance(value, Obj):
            if value.comment and value.cls.__name__ == "SecretRef":
                found.append(dict(value.kwargs)["file"])
            for _, v in value.kwargs:
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(config)
    return found
