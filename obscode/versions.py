"""Target tool versions: what the Prometheus, Alertmanager and Grafana a stack targets accept.

A feature the targeted version lacks is a definition error when the stack is built, never a
tool failure later. :data:`FEATURES` says when each gated feature appeared, citing the
tool's changelog; :func:`check_stack_versions` walks a stack and raises for the first
feature its targets lack. Models stay version-free: a rule does not know its stack.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Iterator, Literal

from obscode.errors import DefinitionError, SourceLocation
from obscode.model.base import FieldError

#: Defaults: the versions of Debian 12's packages, which the test suite runs.
DEFAULT_PROMETHEUS_VERSION = "2.42"
DEFAULT_ALERTMANAGER_VERSION = "0.25"
DEFAULT_GRAFANA_VERSION = "11.6"

Tool = Literal["Prometheus", "Alertmanager", "Grafana"]
_EXPERIMENTAL = "promql-experimental-functions"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")
#: The oldest version of each tool whose configuration format obscode writes.
OLDEST: dict[Tool, str] = {"Prometheus": "2.0", "Alertmanager": "0.16", "Grafana": "8.0"}
_FIELDS: dict[Tool, str] = {
    "Prometheus": "prometheus_version", "Alertmanager": "alertmanager_version", "Grafana": "grafana_version",
}


@dataclass(frozen=True)
class Feature:
    """A configuration feature ``tool`` has accepted since version ``since``."""

    tool: Tool
    since: str
    #: The changelog entry that introduced it (tool's CHANGELOG.md, release heading and PR).
    source: str
    #: The first release without it, if one removed it.
    until: str | None = None
    #: Off unless the server runs with ``--enable-feature=<flag>``.
    flag: str | None = None


#: Gated features, by the key checks name them with. Versions are the first release whose
#: CHANGELOG.md lists the feature (prometheus/prometheus, prometheus/alertmanager).
FEATURES: dict[str, Feature] = {
    # Prometheus rules
    "alert keep_firing_for": Feature("Prometheus", "2.42", "2.42.0: Add 'keep_firing_for' field to alerting rules #11827"),
    "rule group limit": Feature("Prometheus", "2.31", "2.31.0: Rules: Add the ability to limit number of alerts or series #9260"),
    "rule group query_offset": Feature("Prometheus", "2.53", "2.53.0: Rules: Add new option query_offset for each rule group #14061"),
    # PromQL functions in rule expressions (promtool of an older release: "unknown function")
    "promql holt_winters": Feature("Prometheus", "2.0", "3.0.0: holt_winters is now called double_exponential_smoothing "
                                   "and moves behind the experimental-promql-functions feature flag #14930", until="3.0"),
    "promql double_exponential_smoothing": Feature("Prometheus", "3.0", "3.0.0: holt_winters is now called "
                                                   "double_exponential_smoothing #14930", flag=_EXPERIMENTAL),
    "promql histogram_stddev": Feature("Prometheus", "2.47", "2.47.0: Histograms: Add histogram_stdvar and histogram_stddev functions #12614"),
    "promql histogram_stdvar": Feature("Prometheus", "2.47", "2.47.0: Histograms: Add histogram_stdvar and histogram_stddev functions #12614"),
    "promql mad_over_time": Feature("Prometheus", "2.49", "2.49.0: Experimental mad_over_time function #13059", flag=_EXPERIMENTAL),
    "promql sort_by_label": Feature("Prometheus", "2.49", "2.49.0: Experimental sort_by_label and sort_by_label_desc functions #11299", flag=_EXPERIMENTAL),
    "promql sort_by_label_desc": Feature("Prometheus", "2.49", "2.49.0: Experimental sort_by_label and sort_by_label_desc functions #11299", flag=_EXPERIMENTAL),
    "promql histogram_avg": Feature("Prometheus", "2.51", "2.51.0: PromQL (experimental native histograms): Add histogram_avg function #13467"),
    "promql limitk": Feature("Prometheus", "2.54", "2.54.0: PromQL: add limitk() and limit_ratio() aggregation operators #12503", flag=_EXPERIMENTAL),
    "promql limit_ratio": Feature("Prometheus", "2.54", "2.54.0: PromQL: add limitk() and limit_ratio() aggregation operators #12503", flag=_EXPERIMENTAL),
    "promql info": Feature("Prometheus", "2.55", "2.55.0: PromQL: Add experimental info function #14495", flag=_EXPERIMENTAL),
    "promql ts_of_min_over_time": Feature("Prometheus", "3.5", "3.5.0: PromQL: Add ts_of_(min|max|last)_over_time #16722", flag=_EXPERIMENTAL),
    "promql ts_of_max_over_time": Feature("Prometheus", "3.5", "3.5.0: PromQL: Add ts_of_(min|max|last)_over_time #16722", flag=_EXPERIMENTAL),
    "promql ts_of_last_over_time": Feature("Prometheus", "3.5", "3.5.0: PromQL: Add ts_of_(min|max|last)_over_time #16722", flag=_EXPERIMENTAL),
    "promql first_over_time": Feature("Prometheus", "3.7", "3.7.0: PromQL: Add first_over_time(...) and ts_of_first_over_time(...) #16963", flag=_EXPERIMENTAL),
    "promql ts_of_first_over_time": Feature("Prometheus", "3.7", "3.7.0: PromQL: Add first_over_time(...) and ts_of_first_over_time(...) #16963", flag=_EXPERIMENTAL),
    # Prometheus scrape configuration
    "relabel action lowercase": Feature("Prometheus", "2.36", "2.36.0: Add lowercase and uppercase relabel action #10641"),
    "relabel action uppercase": Feature("Prometheus", "2.36", "2.36.0: Add lowercase and uppercase relabel action #10641"),
    "relabel action keepequal": Feature("Prometheus", "2.41", "2.41.0: Relabeling: Add keepequal and dropequal relabel actions #11564"),
    "relabel action dropequal": Feature("Prometheus", "2.41", "2.41.0: Relabeling: Add keepequal and dropequal relabel actions #11564"),
    "scrape authorization": Feature("Prometheus", "2.26", "2.26.0: Scrape: Add support for specifying type of Authorization header credentials #8512"),
    "kubernetes_sd role endpointslice": Feature("Prometheus", "2.21", "2.21.0: Kubernetes SD: Support Kubernetes EndpointSlices #6838"),
    # Alertmanager routing
    "matchers": Feature("Alertmanager", "0.22", "0.22.0: Add support for negative matchers #2434"),
    "route mute_time_intervals": Feature("Alertmanager", "0.22", "0.22.0: Add time-based muting to routing tree #2393"),
    "route active_time_intervals": Feature("Alertmanager", "0.24", "0.24.0: Add support for active time intervals #2779"),
    "time_intervals": Feature("Alertmanager", "0.24", "0.24.0: Active and mute time intervals should be defined via time_intervals #2779"),
    "top-level mute_time_intervals": Feature("Alertmanager", "0.22", "0.22.0: Add time-based muting to routing tree #2393"),
    "time interval location": Feature("Alertmanager", "0.25", "0.25.0: Add Location support to time intervals #2782"),
    "utf-8 matchers": Feature("Alertmanager", "0.27", "0.27.0: UTF-8 Support: any UTF-8 character in label names and matchers #3453"),
    # Alertmanager secrets read from files
    "slack api_url_file": Feature("Alertmanager", "0.22", "0.22.0: Add support to set the Slack URL from a file #2534"),
    "smtp auth_password_file": Feature("Alertmanager", "0.25", "0.25.0: Add support for reading global and local SMTP passwords from files #3038"),
    "pagerduty key files": Feature("Alertmanager", "0.25", "0.25.0: Add support for reading PagerDuty routing and service keys from files #3107"),
    "webhook url_file": Feature("Alertmanager", "0.26", "0.26.0: Webhook Integration: Support url_file for loading this secret from a file #3223"),
    # Alertmanager receivers (integrations)
    "sns_configs": Feature("Alertmanager", "0.23", "0.23.0: Add AWS SNS receiver #2615"),
    "telegram_configs": Feature("Alertmanager", "0.24", "0.24.0: Add Telegram integration #2827"),
    "discord_configs": Feature("Alertmanager", "0.25", "0.25.0: Add Discord integration #2948"),
    "webex_configs": Feature("Alertmanager", "0.25", "0.25.0: Add Webex integration #3132"),
    "msteams_configs": Feature("Alertmanager", "0.26", "0.26.0: Integrations: Add Microsoft Teams as a supported integration #3324"),
    "msteamsv2_configs": Feature("Alertmanager", "0.28", "0.28.0: Add a new Microsoft Teams integration based on Flows #4024"),
    "rocketchat_configs": Feature("Alertmanager", "0.28", "0.28.0: Add a new Rocket.Chat integration #3600"),
    "jira_configs": Feature("Alertmanager", "0.28", "0.28.0: Add a new Jira integration #3590"),
    "incidentio_configs": Feature("Alertmanager", "0.29", "0.29.0: Add incident.io notifier #4372"),
    # Alertmanager integration secrets read from files (before these, only inline)
    "opsgenie api_key_file": Feature("Alertmanager", "0.24", "0.24.0: Add opsgenie_api_key_file field to the global "
                                     "configuration #2728"),
    "victorops api_key_file": Feature("Alertmanager", "0.25", "0.25.0: Add support for reading VictorOps API key "
                                      "from file #3111"),
    "telegram bot_token_file": Feature("Alertmanager", "0.26", "0.26.0: Telegram Integration: Support bot_token_file "
                                       "for loading this secret from a file #3226"),
    "pushover key files": Feature("Alertmanager", "0.26", "0.26.0: Pushover Integration: Support user_key_file and "
                                  "token_file for loading this secret from a file #3200"),
    "discord webhook_url_file": Feature("Alertmanager", "0.27", "0.27.0: Discord Integration: Introduced support for "
                                        "webhook_url_file #3555"),
    "msteams webhook_url_file": Feature("Alertmanager", "0.27", "0.27.0: Microsoft Teams Integration: Introduced "
                                        "support for webhook_url_file #3555"),
    "wechat api_secret_file": Feature("Alertmanager", "0.31", "0.31.0: wechat: Add config directive to pass api secret "
                                      "via file #4734"),
    "msteams summary": Feature("Alertmanager", "0.27", "0.27.0: Microsoft Teams Integration: Add support for summary "
                               "#3616"),
    "telegram message_thread_id": Feature("Alertmanager", "0.28", "0.28.0: Enable setting message_thread_id for the "
                                          "Telegram integration #3638"),
    "discord content, username, avatar_url": Feature("Alertmanager", "0.28", "0.28.0: Add support for content, "
                                                     "username and avatar_url in the Discord integration #4007"),
    "global telegram_bot_token": Feature("Alertmanager", "0.31", "0.31.0: telegram: Support global bot token #4823"),
}

#: Global Alertmanager fields, by the feature that brought them (the integration they serve,
#: or the file variant of a secret: obscode writes every global secret as ``*_file``).
GLOBAL_FEATURES: dict[str, str] = {
    "opsgenie_api_key": "opsgenie api_key_file",
    "victorops_api_key": "victorops api_key_file",
    "telegram_api_url": "telegram_configs",
    "telegram_bot_token": "global telegram_bot_token",
    "webex_api_url": "webex_configs",
    "wechat_api_secret": "wechat api_secret_file",
    "jira_api_url": "jira_configs",
    "rocketchat_api_url": "rocketchat_configs",
    "rocketchat_token_id": "rocketchat_configs",
    "rocketchat_token": "rocketchat_configs",
}

#: Names of the gated PromQL functions (a quick test before walking an expression's tree).
_GATED_FUNCTIONS = tuple(name.split(" ", 1)[1] for name in FEATURES if name.startswith("promql "))

#: The newest dashboard ``schemaVersion`` a Grafana release writes (and migrates to), from
#: dashboards exported by those releases: 11.5.1 wrote 40 and 11.6.0 wrote 41
#: (miyurud/jasminegraph#286), 13.2.1 writes 42 (grafana/skills#98). Releases before 11.5
#: count as knowing 39, the version obscode writes (obscode.grafana.SCHEMA_VERSION; Grafana
#: 10.4 wrote 39, and an older release shows such a dashboard without migrating it), so
#: obscode's own output never draws the "newer than the target knows" warning.
GRAFANA_SCHEMA_VERSIONS: dict[str, int] = {"8.0": 39, "11.5": 40, "11.6": 41, "13.2": 42}


def parse_version(text: Any, field: str = "version") -> tuple[int, int, int]:
    """``"2.42"`` or ``"2.42.0"`` (a leading ``v`` allowed) as a comparable tuple."""
    match = _VERSION.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise FieldError(field, f"{field} {text!r} is not a version; write MAJOR.MINOR or MAJOR.MINOR.PATCH, "
                                f"e.g. '2.42' or '2.53.1'")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def at_least(target: str, since: str) -> bool:
    return parse_version(target) >= parse_version(since)


def grafana_schema_version(grafana_version: str) -> int:
    """The newest dashboard schemaVersion ``grafana_version`` knows."""
    target = parse_version(grafana_version)
    known = [v for k, v in GRAFANA_SCHEMA_VERSIONS.items() if parse_version(k) <= target]
    return max(known, default=min(GRAFANA_SCHEMA_VERSIONS.values()))


def available(feature: str, target: str) -> bool:
    """Whether ``target`` has ``feature``."""
    info = FEATURES[feature]
    return at_least(target, info.since) and not (info.until and at_least(target, info.until))


def gate_message(feature: str, target: str, what: str | None = None) -> str:
    """``url_file needs Alertmanager >= 0.26; the stack targets 0.25 (alertmanager_version) ...``."""
    info = FEATURES[feature]
    field = _FIELDS[info.tool]
    if info.until and at_least(target, info.until):
        return (f"{what or feature} is gone from {info.tool} {info.until} on ({info.source.split(': ', 1)[1]}); "
                f"the stack targets {target} ({field})")
    flag = f" (with --enable-feature={info.flag})" if info.flag else ""
    return (f"{what or feature} needs {info.tool} >= {info.since}{flag}; the stack targets {target} "
            f"({field}): raise {field} if your {info.tool} is newer, or do without it")


@dataclass(frozen=True)
class _Use:
    """One use of a gated feature: which object, which field, where it was defined."""

    feature: str
    obj: str
    field: str
    context: tuple[str, ...]
    source: SourceLocation | None
    what: str | None = None


def _rule_uses(stack: Any) -> Iterator[_Use]:
    for rule_file in stack.rule_files:
        file_ctx = f"rule file {rule_file.name}"
        for group in rule_file.groups:
            ctx = (f"rule group {group.name}", file_ctx)
            if group.limit is not None:
                yield _Use("rule group limit", f"rule group {group.name}", "limit", (file_ctx,), group.source)
            if group.query_offset:
                yield _Use("rule group query_offset", f"rule group {group.name}", "query_offset", (file_ctx,),
                           group.source)
            for rule in group.rules:
                obj = f"alert {rule.alert}" if hasattr(rule, "alert") else f"recording rule {rule.record}"
                if getattr(rule, "keep_firing_for", None):
                    yield _Use("alert keep_firing_for", obj, "keep_firing_for", ctx, rule.source)
                for function in _functions(rule.expr):
                    yield _Use(f"promql {function}", obj, "expr", ctx, rule.source, f"PromQL function {function}")


@functools.lru_cache(maxsize=16384)
def _functions(expr: str) -> tuple[str, ...]:
    """The version-gated PromQL functions and aggregations ``expr`` calls, in order."""
    from obscode.model.rules import parse_promql

    return _function_names(parse_promql(expr), expr)


def _function_names(ast: Any, expr: str) -> tuple[str, ...]:
    from obscode.promql import walk

    if not any(name in expr for name in _GATED_FUNCTIONS):
        return ()  # most expressions: no need to walk the tree
    names: list[str] = []
    for node in walk(ast):
        func = getattr(node, "func", None)
        name = getattr(func, "name", None) if func is not None else None
        if name is None and type(node).__name__ == "AggregateExpr":
            name = str(node.op)
        if name == "double_exponential_smoothing" and "double_exponential_smoothing" not in expr:
            name = "holt_winters"  # written under its Prometheus 2 name
        if name and f"promql {name}" in FEATURES and name not in names:
            names.append(name)
    return tuple(names)


def function_problems(expr: str, prometheus_version: str, ast: Any = None) -> list[str]:
    """Why the target Prometheus cannot run ``expr``'s functions (one message each), for checks
    of queries that are not rules (dashboards). ``expr`` must parse; ``ast`` is its parse, if
    the caller has it."""
    names = _functions(expr) if ast is None else _function_names(ast, expr)
    return [gate_message(f"promql {name}", prometheus_version, f"PromQL function {name}")
            for name in names if not available(f"promql {name}", prometheus_version)]


def _relabel_uses(job: Any) -> Iterator[_Use]:
    for key in ("relabel_configs", "metric_relabel_configs"):
        for index, step in enumerate(getattr(job, key)):
            feature = f"relabel action {step.action}"
            if feature in FEATURES:
                yield _Use(feature, "relabel_config", "action", (f"scrape job {job.job_name}",), step.source,
                           f"relabel action {step.action!r} ({key}[{index}])")


def _scrape_uses(stack: Any) -> Iterator[_Use]:
    if stack.prometheus is None:
        return
    for job in stack.prometheus.scrape_configs:
        yield from _relabel_uses(job)
        if job.bearer_token is not None:
            yield _Use("scrape authorization", f"scrape job {job.job_name}", "bearer_token", (), job.source,
                       "bearer_token (written as authorization.credentials_file)")
        for sd in job.kubernetes_sd_configs:
            if sd.role == "endpointslice":
                yield _Use("kubernetes_sd role endpointslice", "kubernetes_sd_config", "role",
                           (f"scrape job {job.job_name}",), sd.source, "role 'endpointslice'")


def _matcher_uses(obj: str, field: str, matchers: list[Any], source: Any, ctx: tuple[str, ...]) -> Iterator[_Use]:
    utf8 = [m for m in matchers if not m.classic_name]
    if utf8:
        yield _Use("utf-8 matchers", obj, field, ctx, source,
                   f"matcher {utf8[0]} (label name {utf8[0].name!r} outside [a-zA-Z_][a-zA-Z0-9_]*)")
    negative = [m for m in matchers if m.op in ("!=", "!~")]
    if negative:
        yield _Use("matchers", obj, field, ctx, source,
                   f"matcher {negative[0]} (a negative matcher; older Alertmanagers have only match and match_re)")


def _route_uses(config: Any) -> Iterator[_Use]:
    for path, route in config.route.walk():
        yield from _matcher_uses(path, "matchers", route.matchers, route.source, ())
        if route.mute_time_intervals:
            yield _Use("route mute_time_intervals", path, "mute_time_intervals", (), route.source)
        if route.active_time_intervals:
            yield _Use("route active_time_intervals", path, "active_time_intervals", (), route.source)
    for index, rule in enumerate(config.inhibit_rules):
        for side in ("source_matchers", "target_matchers"):
            yield from _matcher_uses(f"inhibit_rules[{index}]", side, getattr(rule, side), rule.source, ())
    for interval in config.time_intervals:
        if interval.time_intervals and any(r.location for r in interval.time_intervals):
            yield _Use("time interval location", f"time interval {interval.name}", "location", (), interval.source)
    if config.time_intervals:
        # Written as time_intervals from 0.24 on, as the top-level mute_time_intervals before.
        yield _Use("top-level mute_time_intervals", "alertmanager config", "time_intervals", (),
                   config.time_intervals[0].source, "time intervals")


def _receiver_uses(config: Any) -> Iterator[_Use]:
    if config.global_.slack_api_url is not None:
        yield _Use("slack api_url_file", "alertmanager global", "slack_api_url", (), config.global_.source,
                   "slack_api_url (written as slack_api_url_file)")
    if config.global_.smtp_auth_password is not None:
        yield _Use("smtp auth_password_file", "alertmanager global", "smtp_auth_password", (), config.global_.source,
                   "smtp_auth_password (written as smtp_auth_password_file)")
    for name, feature in GLOBAL_FEATURES.items():
        if getattr(config.global_, name) is not None:
            secret = name in config.global_.SECRETS
            yield _Use(feature, "alertmanager global", name, (), config.global_.source,
                       f"{name} (written as {name}_file)" if secret else name)
    for receiver in config.receivers:
        ctx = (f"receiver {receiver.name}",)
        for name in FEATURES:
            if name.endswith("_configs") and getattr(receiver, name, None):
                yield _Use(name, f"receiver {receiver.name}", name, (), receiver.source)
        yield from _integration_secret_uses(receiver, ctx)
        for email in receiver.email_configs:
            if email.auth_password is not None:
                yield _Use("smtp auth_password_file", "email_config", "auth_password", ctx, email.source,
                           "auth_password (written as auth_password_file)")
        for pagerduty in receiver.pagerduty_configs:
            for key in ("service_key", "routing_key"):
                if getattr(pagerduty, key) is not None:
                    yield _Use("pagerduty key files", "pagerduty_config", key, ctx, pagerduty.source,
                               f"{key} (written as {key}_file)")
        for slack in receiver.slack_configs:
            if slack.api_url is not None:
                yield _Use("slack api_url_file", "slack_config", "api_url", ctx, slack.source,
                           "api_url (written as api_url_file)")
        for webhook in receiver.webhook_configs:
            if webhook.url_file is not None:
                yield _Use("webhook url_file", "webhook_config", "url_file", ctx, webhook.source,
                           "url_file (a secret webhook address read from a file)")


def _integration_secret_uses(receiver: Any, ctx: tuple[str, ...]) -> Iterator[_Use]:
    """Secrets written as a ``*_file`` that the integration read only inline at first, and
    fields that came after the integration."""
    from obscode.model.integrations import INTEGRATIONS

    for name in INTEGRATIONS:
        for config in getattr(receiver, name):
            for secret, feature in type(config).secrets.items():
                if feature and getattr(config, secret) is not None:
                    yield _Use(feature, config.kind, secret, ctx, config.source,
                               f"{secret} (written as {secret}_file; earlier releases read it only inline, "
                               "which would put the secret in the generated file)")
            for field, feature in type(config).field_features.items():
                if getattr(config, field) is not None:
                    yield _Use(feature, config.kind, field, ctx, config.source)


def feature_uses(stack: Any) -> Iterator[_Use]:
    """Every use of a gated feature in ``stack``, in definition order."""
    yield from _scrape_uses(stack)
    yield from _rule_uses(stack)
    if stack.alertmanager is not None:
        yield from _route_uses(stack.alertmanager)
        yield from _receiver_uses(stack.alertmanager)


_TOOL_VERSION = re.compile(r"\bversion (\d+\.\d+(?:\.\d+)?)")


def installed_version(tool: str) -> str | None:
    """The version of the ``promtool``/``amtool`` on PATH (``"0.25.0"``), or None."""
    import shutil
    import subprocess

    path = shutil.which(tool)
    if path is None:
        return None
    proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    match = _TOOL_VERSION.search(proc.stdout + proc.stderr)
    return match.group(1) if match else None


def covers(installed: str, target: str) -> bool:
    """Whether a tool of version ``installed`` knows everything of the ``target`` release
    (same or newer minor release): an older amtool refuses fields the target has."""
    return parse_version(installed)[:2] >= parse_version(target)[:2]


def check_stack_versions(stack: Any) -> None:
    """Raise for a malformed target version, or for the first feature of ``stack`` its
    target versions lack (naming the object, the field and the version needed)."""
    targets: dict[Tool, str] = {}
    for tool, field in _FIELDS.items():
        value = getattr(stack, field)
        parse_version(value, field)
        if parse_version(value) < parse_version(OLDEST[tool]):
            raise FieldError(field, f"{field} {value!r} is older than obscode supports: it writes configuration "
                                    f"for {tool} >= {OLDEST[tool]}")
        targets[tool] = value
    for use in feature_uses(stack):
        feature = FEATURES[use.feature]
        target = targets[feature.tool]
        if not available(use.feature, target):
            raise DefinitionError(obj=use.obj, field=use.field, message=gate_message(use.feature, target, use.what),
                                  context=list(use.context), source=use.source)
