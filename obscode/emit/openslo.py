"""openslo/<slo>.yaml: each SLO of the stack as OpenSLO v1 documents (docs/openslo.md) — its
Service, the SLO with its SLI inline (a ``ratioMetric`` of Prometheus counter selectors), and
one AlertPolicy per burn-rate tier, its ``burnrate`` AlertCondition inline.

What OpenSLO v1 has no field for travels in ``obscode/`` annotations, so that
``obscode import openslo`` reads back the same SLO: the tier's short window and exact budget
share, the SLO's runbook. A latency SLI is written as the ratio of the histogram's bucket
``le=<threshold>`` to its count: OpenSLO's ``thresholdMetric`` compares each sample of a metric
to a value, which is not the share of requests under a bound that obscode measures."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import promql_parser as pp

from obscode import paths
from obscode.emit.yaml_out import dump, header_for
from obscode.model.duration import parse_duration
from obscode.model.slo import SLO, BurnRateTier, LatencySLI
from obscode.slo import names
from obscode.slo.rules import le_spellings
from obscode.stack import Stack

#: The name of this output in ``Stack.outputs``.
FORMAT = "openslo"

API_VERSION = "openslo/v1"
PROMETHEUS = "Prometheus"
#: Annotations carrying what OpenSLO v1 has no field for.
RUNBOOK_URL = "obscode/runbook-url"
SHORT_WINDOW = "obscode/short-window"
BUDGET_SHARE = "obscode/budget-share"
#: Burn-rate factors are written rounded to this many decimal places (0.1 of 28 days in 3 days
#: is 0.9333…); the exact budget share is in ``obscode/budget-share``.
FACTOR_PLACES = 6
#: The longest description OpenSLO takes.
DESCRIPTION_MAX = 1050
#: Alertmanager delivers every SLO alert, routed by its labels: the notification target.
NOTIFICATION_TARGET = "alertmanager"

_DAY, _HOUR, _MINUTE = 86400_000, 3600_000, 60_000
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
_RFC1123_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_LABEL_KEY = re.compile(r"^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$")


def shorthand(duration: str) -> str:
    """A Prometheus duration as an OpenSLO duration shorthand (one number, one unit): ``1d``,
    ``30m``; ``ValueError`` for one that is no whole number of minutes."""
    ms = parse_duration(duration)
    for unit, size in (("d", _DAY), ("h", _HOUR), ("m", _MINUTE)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    raise ValueError(f"duration {duration!r} is no whole number of minutes: OpenSLO durations count "
                     "minutes, hours or days")


def factor(slo: SLO, tier: BurnRateTier) -> Decimal:
    """The tier's burn-rate factor as written: rounded to ``FACTOR_PLACES`` decimal places
    (exact for the factors of whole hours and days, 14.4, 6, 3, 1 over 30 days)."""
    return decimal_of(Fraction(tier.budget_share) * parse_duration(slo.period) / parse_duration(tier.long_window))


def decimal_of(value: Fraction) -> Decimal:
    """``value`` rounded to ``FACTOR_PLACES`` decimal places, without trailing zeros."""
    return (Decimal(round(value * 10**FACTOR_PLACES)) / Decimal(10) ** FACTOR_PLACES).normalize()


def number(value: Decimal) -> int | float:
    """A decimal as the YAML number that reads back to it exactly (``0.999``, ``14.4``, ``6``)."""
    if value == value.to_integral_value():
        return int(value)
    written = float(value)
    if Decimal(repr(written)) != value:
        raise ValueError(f"{value} cannot be written exactly as a YAML number")
    return written


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


Matcher = tuple[str, str, str]


def selector_parts(text: str) -> tuple[str, list[Matcher]]:
    """A plain selector's metric name and its other matchers ``(label, op, value)``;
    ``ValueError`` for anything else."""
    try:
        node = pp.parse(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not PromQL: {exc}") from None
    if not isinstance(node, pp.VectorSelector):
        raise ValueError(f"{text!r} is not a plain selector such as metric{{label=\"value\"}}")
    return vector_parts(node, text)


def vector_parts(node: Any, text: str) -> tuple[str, list[Matcher]]:
    """The metric name and other matchers of a parsed vector selector."""
    if node.offset is not None or node.at is not None or node.matchers.or_matchers:
        raise ValueError(f"{text!r}: a selector of the SLI takes no offset, @ or 'or' matchers")
    found = [(m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers]
    name = node.name or next((v for label, op, v in found if label == "__name__" and op == "="), None)
    if not name:
        raise ValueError(f"{text!r} must name its metric")
    return name, [m for m in found if m[0] != "__name__"]


def selector(name: str, matchers: list[Matcher]) -> str:
    """PromQL text of a selector: ``name{label="value",...}``."""
    inner = ",".join(f"{label}{op}{_quoted(value)}" for label, op, value in matchers)
    return f"{name}{{{inner}}}" if matchers else name


def le_matcher(threshold: Decimal) -> Matcher:
    """The ``le`` matcher of a bucket bound in every spelling the SLO rules match
    (:func:`obscode.slo.rules.le_spellings`): ``le="0.5"``, or ``le=~"1|1\\.0"`` for a whole bound
    (Prometheus 3 normalises it to ``1.0``; Go clients and Prometheus 2 write ``1``)."""
    spellings = le_spellings(threshold)
    if len(spellings) == 1:
        return ("le", "=", spellings[0])
    return ("le", "=~", "|".join(spelling.replace(".", "\\.") for spelling in spellings))


def latency_queries(sli: LatencySLI) -> tuple[str, str]:
    """The good and total queries of a latency SLI: the bucket ``le=<threshold>`` and the count."""
    name, matchers = selector_parts(sli.histogram)
    if any(label == "le" for label, _, _ in matchers):
        raise ValueError(f"histogram {sli.histogram!r} selects le itself: the threshold chooses the bucket")
    return selector(f"{name}_bucket", [*matchers, le_matcher(sli.threshold)]), selector(f"{name}_count", matchers)


def _metric(query: str) -> dict[str, Any]:
    return {"metricSource": {"type": PROMETHEUS, "spec": {"query": query}}}


def ratio_metric(slo: SLO) -> dict[str, Any]:
    """The SLI as an OpenSLO ``ratioMetric`` of Prometheus counter selectors."""
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        good, total = latency_queries(sli)
        return {"counter": True, "good": _metric(good), "total": _metric(total)}
    numerator = {"good": _metric(sli.good.strip())} if sli.good else {"bad": _metric(sli.bad.strip())}
    return {"counter": True, **numerator, "total": _metric(sli.total.strip())}


def policy_name(slo: SLO, tier: BurnRateTier) -> str:
    """``api-availability-page-fast``."""
    return f"{slo.name}-{tier.name}"


def _metadata(name: str, labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    for key in labels:
        if not _LABEL_KEY.match(key):
            raise ValueError(f"{name}: label {key!r} is no OpenSLO label key: at most 63 letters, digits, '-', '_' "
                             "and '.', starting and ending with a letter or digit")
    if labels:
        out["labels"] = dict(sorted(labels.items()))
    if annotations:
        out["annotations"] = dict(sorted(annotations.items()))
    return out


def _object_name(value: str, what: str) -> str:
    if not _RFC1123_LABEL.match(value):
        raise ValueError(f"{what} {value!r} is no OpenSLO object name: use at most 63 lower-case letters, "
                         "digits and '-', starting and ending with a letter or digit")
    return value


def service_document(slo: SLO) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "Service",
            "metadata": {"name": _object_name(slo.service, f"SLO {slo.name}: service")},
            "spec": {"description": f"Service {slo.service}"}}


def slo_document(slo: SLO) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if len(slo.description) > DESCRIPTION_MAX:
        raise ValueError(f"SLO {slo.name}: the description has {len(slo.description)} characters; an OpenSLO "
                         f"description holds at most {DESCRIPTION_MAX}")
    if slo.description:
        spec["description"] = slo.description
    spec["service"] = slo.service
    spec["indicator"] = {"metadata": {"name": slo.name}, "spec": {"ratioMetric": ratio_metric(slo)}}
    spec["timeWindow"] = [{"duration": slo.period, "isRolling": True}]
    spec["budgetingMethod"] = "Occurrences"
    target = slo.objective / Decimal(100)
    try:
        spec["objectives"] = [{"target": number(target)}]
    except ValueError:
        raise ValueError(f"SLO {slo.name}: objective {slo.objective} has more digits than a YAML number keeps "
                         "exactly (15)") from None
    if slo.tiers:
        spec["alertPolicies"] = [{"alertPolicyRef": policy_name(slo, tier)} for tier in slo.tiers]
    annotations = {RUNBOOK_URL: slo.runbook_url} if slo.runbook_url else {}
    return {"apiVersion": API_VERSION, "kind": "SLO",
            "metadata": _metadata(_object_name(slo.name, "SLO"), slo.labels, annotations), "spec": spec}


def _percent(share: Decimal) -> str:
    return format((share * 100).normalize(), "f") + " %"


def _window(slo: SLO, tier: BurnRateTier, window: str) -> str:
    try:
        return shorthand(window)
    except ValueError as exc:
        raise ValueError(f"SLO {slo.name}, tier {tier.name}: {exc}") from None


def policy_document(slo: SLO, tier: BurnRateTier) -> dict[str, Any]:
    """One tier: an AlertPolicy with its burn-rate condition and Alertmanager as its target."""
    name = _object_name(policy_name(slo, tier), "alert policy")
    burn = factor(slo, tier)
    alert = f'{names.alert_name(slo)}{{{names.TIER_LABEL}="{tier.name}"}}'
    condition = {
        "kind": "AlertCondition",
        "metadata": _metadata(name, {}, {BUDGET_SHARE: format(tier.budget_share.normalize(), "f"),
                                         SHORT_WINDOW: _window(slo, tier, tier.short_window)}),
        "spec": {
            "description": f"{_percent(tier.budget_share)} of the {slo.period} error budget burns within "
                           f"{tier.long_window} (burn rate {format(burn, 'f')}), and the burn still holds over "
                           f"the last {tier.short_window}",
            "severity": tier.severity,
            "condition": {"kind": "burnrate", "op": "gt", "threshold": number(burn),
                          "lookbackWindow": _window(slo, tier, tier.long_window), "alertAfter": "0m"},
        },
    }
    target = {
        "kind": "AlertNotificationTarget",
        "metadata": {"name": tier.action},
        "spec": {"target": NOTIFICATION_TARGET,
                 "description": f"Alertmanager routes the alert by its labels ({names.ACTION_LABEL}={tier.action}, "
                                f"severity={tier.severity})"},
    }
    return {"apiVersion": API_VERSION, "kind": "AlertPolicy",
            "metadata": _metadata(name, tier.labels, {}),
            "spec": {"description": f"Prometheus alert {alert} ({tier.action})",
                     "alertWhenNoData": False, "alertWhenResolved": False, "alertWhenBreaching": True,
                     "conditions": [condition], "notificationTargets": [target]}}


def documents(slo: SLO) -> list[dict[str, Any]]:
    """The OpenSLO documents of one SLO: its Service, the SLO, one AlertPolicy per tier."""
    return [service_document(slo), slo_document(slo), *(policy_document(slo, tier) for tier in slo.tiers)]


def file_content(slo: SLO, stack_name: str) -> bytes:
    """``openslo/<slo>.yaml``: the documents, ``---`` between them."""
    parts = [dump(document, header_for(stack_name) if index == 0 else "---\n")
             for index, document in enumerate(documents(slo))]
    return b"".join(parts)


def emit(stack: Stack) -> dict[str, bytes]:
    return {paths.openslo_file(slo.name): file_content(slo, stack.name) for slo in stack.slos}
