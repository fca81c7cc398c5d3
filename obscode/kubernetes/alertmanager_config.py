"""AlertmanagerConfig (monitoring.coreos.com/v1alpha1) from the route tree, receivers,
inhibit rules and time intervals; secrets as Secret key references.

An AlertmanagerConfig is merged by prometheus-operator into the configuration of the
Alertmanager that selects it: its top route becomes a first-level route there (``continue``
forced on, and, with the default matcher strategy, a ``namespace`` matcher added: see
:mod:`obscode.kubernetes.am_namespace`). It has no ``global`` section and no templates: those
settings belong to the whole Alertmanager (its ``spec.alertmanagerConfiguration`` or
configuration Secret), so they are left out here; what receivers took from ``global`` is
written into each receiver (:mod:`obscode.kubernetes.am_receivers`)."""

from __future__ import annotations

from typing import Any

from obscode.kubernetes import am_models as crd
from obscode.kubernetes.am_receivers import SecretKeys, receiver
from obscode.kubernetes.meta import metadata, object_name
from obscode.model.alertmanager import AlertmanagerConfig, InhibitRule, Matcher, Route, TimeInterval, TimeRange
from obscode.model.kubernetes import check_name
from obscode.stack import Stack


def secret_name(stack: Stack) -> str:
    """The Secret whose keys hold the receivers' secrets."""
    assert stack.kubernetes is not None
    return check_name(stack.kubernetes.secret_name or object_name(stack.name, "secrets"), "secret_name")


def name(stack: Stack) -> str:
    """The AlertmanagerConfig's name."""
    return object_name(stack.name)


def _matcher(matcher: Matcher) -> crd.MatcherSpec:
    return crd.MatcherSpec(name=matcher.name, value=matcher.value, matchType=matcher.op)


def route(node: Route, top: bool = False) -> crd.RouteSpec:
    """A route and its children. The top route carries no ``continue`` (the operator sets it)."""
    return crd.RouteSpec(
        receiver=node.receiver, groupBy=node.group_by, groupWait=node.group_wait,
        groupInterval=node.group_interval, repeatInterval=node.repeat_interval,
        matchers=[_matcher(m) for m in node.matchers], **{"continue": node.continue_ and not top},
        muteTimeIntervals=list(node.mute_time_intervals), activeTimeIntervals=list(node.active_time_intervals),
        routes=[route(child) for child in node.routes])


def inhibit_rule(rule: InhibitRule) -> crd.InhibitRuleSpec:
    return crd.InhibitRuleSpec(sourceMatch=[_matcher(m) for m in rule.source_matchers],
                               targetMatch=[_matcher(m) for m in rule.target_matchers], equal=list(rule.equal))


def _days(text: str, where: str) -> crd.DayOfMonthRange:
    start, _, end = text.partition(":")
    try:
        return crd.DayOfMonthRange(start=int(start), end=int(end or start))
    except ValueError:
        raise ValueError(f"{where}: days_of_month {text!r} is not a day or a range of days like '1:7'") from None


def _time_range(spec: TimeRange, where: str) -> crd.TimeRangeSpec:
    if spec.location is not None:
        raise ValueError(f"{where}, field 'location': the AlertmanagerConfig CRD ({crd.API_VERSION}) has no "
                         f"location, its times are UTC: write the range in UTC instead of {spec.location}")
    times = []
    for entry in spec.times or []:
        unknown = sorted(set(entry) - {"start_time", "end_time"})
        if unknown or len(entry) != 2:
            raise ValueError(f"{where}, field 'times': a time range is {{'start_time': 'HH:MM', 'end_time': 'HH:MM'}}, "
                             f"not {entry}")
        times.append(crd.TimeSpec(startTime=entry["start_time"], endTime=entry["end_time"]))
    return crd.TimeRangeSpec(times=times, weekdays=list(spec.weekdays or []),
                             daysOfMonth=[_days(d, where) for d in spec.days_of_month or []],
                             months=list(spec.months or []), years=list(spec.years or []))


def time_interval(interval: TimeInterval) -> crd.MuteTimeIntervalSpec:
    where = f"time interval {interval.name!r}"
    return crd.MuteTimeIntervalSpec(name=interval.name, timeIntervals=[
        _time_range(r, f"{where}, time_intervals[{i}]") for i, r in enumerate(interval.time_intervals)])


def spec(config: AlertmanagerConfig, secrets: SecretKeys) -> crd.AlertmanagerConfigSpec:
    # config.global_ and config.templates are Alertmanager-wide (module docstring): not written.
    return crd.AlertmanagerConfigSpec(
        route=route(config.route, top=True),
        receivers=[receiver(r, config.global_, secrets) for r in config.receivers],
        inhibitRules=[inhibit_rule(r) for r in config.inhibit_rules],
        muteTimeIntervals=[time_interval(t) for t in config.time_intervals])


def build(stack: Stack) -> crd.AlertmanagerConfigObject | None:
    """The stack's AlertmanagerConfig, typed; None without kubernetes settings or routes."""
    settings = stack.kubernetes
    if settings is None or stack.alertmanager is None:
        return None
    try:
        body = spec(stack.alertmanager, SecretKeys(secret_name(stack)))
    except ValueError as exc:
        raise ValueError(f"AlertmanagerConfig {name(stack)}: {exc}") from None
    return crd.AlertmanagerConfigObject(
        apiVersion=crd.API_VERSION, kind=crd.KIND,
        metadata=metadata(settings, stack.name, name(stack), settings.alertmanager_config_labels), spec=body)


def objects(stack: Stack) -> list[dict[str, Any]]:
    built = build(stack)
    return [] if built is None else [built.data()]
