"""The rule file of each SLO: one recording rule per window (the error ratio over it, from
event counts) and one alerting rule per burn-rate tier (docs/slo.md).

Per SLO with the SRE workbook's four tiers: 8 recording rules (5m, 30m, 1h, 2h, 6h, 1d, 3d and
the period) and 4 alerts, 12 rules in all. Every window's ratio is ``increase`` of the bad (or
good) events over ``increase`` of all events in that window, never an average of shorter ratios,
so uneven traffic weighs each event once.

With no events in a window the denominator is filtered out (``> 0``): the rule records no series
for that window, so an alert reading it cannot fire and nothing is ever NaN. With events but no
series of the bad counter yet (no 5xx since the process started), ``or vector(0)`` makes the
numerator 0: the ratio is 0, not absent.

The period's rule (an ``increase`` over 30 days, the most expensive to evaluate) sits in a group
of its own evaluated every :data:`PERIOD_INTERVAL`, unless a tier alerts on the period window
(then it stays with the alerts, so their detection time holds)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TypeVar

from obscode.errors import DefinitionError
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule, RecordingRule, RuleFile, RuleGroup
from obscode.model.slo import SLO, BurnRateTier, LatencySLI, RatioSLI
from obscode.promql import parse
from obscode.slo.names import (
    SERVICE_LABEL, SLO_LABEL, alert_name, group_name, rule_file_name, tier_labels, window_rule, windows,
)

#: How often the period window's rule runs: a fraction of the evaluations of the most expensive
#: rule, and under half of Prometheus' 5-minute lookback, so one missed evaluation leaves no gap.
PERIOD_INTERVAL = "2m"

_M = TypeVar("_M", RuleFile, RuleGroup, RecordingRule, AlertRule)
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$", re.DOTALL)


def rule_files(stack: object) -> list[RuleFile]:
    """One rule file per SLO of ``stack.slos``, named ``slo-<name>``."""
    return [rule_file(slo) for slo in getattr(stack, "slos", [])]


def rule_file(slo: SLO) -> RuleFile:
    """The rule file of one SLO: its window rules and tier alerts in group ``slo-<name>``, and
    the period's rule in ``slo-<name>-period`` when no tier reads it."""
    recorded = [window_rule_of(slo, window) for window in windows(slo)]
    alerts = [alert_rule(slo, tier) for tier in slo.tiers]
    alerted = {w for tier in slo.tiers for w in (tier.long_window, tier.short_window)}
    groups = []
    if slo.period in alerted:
        groups.append(_own(slo, RuleGroup(name=group_name(slo), rules=[*recorded, *alerts])))
    else:
        fast = [rule for rule, window in zip(recorded, windows(slo)) if window != slo.period]
        period = [rule for rule, window in zip(recorded, windows(slo)) if window == slo.period]
        if fast or alerts:
            groups.append(_own(slo, RuleGroup(name=group_name(slo), rules=[*fast, *alerts])))
        # Every 2m, unless the SLO's windows are shorter than that (the local profile's seconds):
        # then at the stack's own interval, so the period's figure is as fresh as the others.
        shortest = min((parse_duration(w) for w in windows(slo)), default=0)
        interval = PERIOD_INTERVAL if shortest >= parse_duration(PERIOD_INTERVAL) else None
        groups.append(_own(slo, RuleGroup(name=period_group_name(slo), rules=period, interval=interval)))
    # ignore= on the SLO covers its rules, as it covers the objects inside any definition.
    return _own(slo, RuleFile(name=rule_file_name(slo), groups=groups, ignore=list(slo.ignore)))


def period_group_name(slo: SLO) -> str:
    """The group of the period window's rule: ``slo-api-availability-period``."""
    return f"{group_name(slo)}-period"


def window_rule_of(slo: SLO, window: str) -> RecordingRule:
    """``slo:sli_error:ratio_rate<window>{slo, service}``: the error ratio over ``window``."""
    return _own(slo, RecordingRule(record=window_rule(window), expr=error_ratio(slo, window),
                                   labels={SLO_LABEL: slo.name, SERVICE_LABEL: slo.service}))


def alert_rule(slo: SLO, tier: BurnRateTier) -> AlertRule:
    """The alert of one tier: the error ratio above the tier's threshold over both its windows."""
    threshold = decimal_text(slo.threshold(tier))
    selector = f'{{{SLO_LABEL}="{slo.name}"}}'
    expr = (f"{window_rule(tier.long_window)}{selector} > {threshold}\n"
            f"and\n{window_rule(tier.short_window)}{selector} > {threshold}")
    annotations = {"summary": f"SLO {slo.name} of {slo.service} burns its error budget too fast ({tier.name})",
                   "description": description(slo, tier)}
    if slo.runbook_url:
        annotations["runbook_url"] = slo.runbook_url
    return _own(slo, AlertRule(alert=alert_name(slo), expr=expr, labels=tier_labels(slo, tier),
                               annotations=annotations))


def description(slo: SLO, tier: BurnRateTier) -> str:
    """What the alert says: the promise, the error ratio now, the threshold and what it means."""
    promise = f"{slo.description.rstrip('.')}. " if slo.description else ""
    return (f"{promise}Objective {decimal_text(slo.objective)}% of events good over {slo.period}. "
            f"The error ratio over the last {tier.long_window} is {{{{ $value | humanizePercentage }}}}, above "
            f"{decimal_text(slo.threshold(tier) * 100)}% (burn rate {decimal_text(tier.factor(slo.period))}: "
            f"{decimal_text(tier.budget_share * 100)}% of the {slo.period} error budget spent within "
            f"{tier.long_window}), and still above it over the last {tier.short_window}.")


def decimal_text(value: Decimal) -> str:
    """``value`` as plain digits, exactly: ``0.0144``, ``14.4``, ``10`` (no exponent, no float noise)."""
    return format(value.normalize(), "f")


def error_ratio(slo: SLO, window: str) -> str:
    """The PromQL of the share of bad events over ``window``, from event counts."""
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        total = _selector(slo, "sli.total", sli.total)
        if sli.bad:
            return _ratio(_selector(slo, "sli.bad", sli.bad), total, window)
        return f"1 - {_ratio(_selector(slo, 'sli.good', sli.good), total, window)}"
    name, inner = _selector_parts(slo, "sli.histogram", sli.histogram)
    for part in ("_bucket", "_count", "_sum"):
        if name.endswith(part):
            raise DefinitionError(obj=f"SLO {slo.name}", field="sli.histogram", source=slo.source,
                                  message=f"histogram {sli.histogram!r}: name the histogram without {part} "
                                          f"({name.removesuffix(part)}); the rules read its _bucket and _count")
    if inner is not None and _has_le(inner):
        raise DefinitionError(obj=f"SLO {slo.name}", field="sli.histogram", source=slo.source,
                              message=f"histogram {sli.histogram!r} has an le matcher: select the histogram "
                                      "by its other labels; the threshold picks the bucket")
    good = f'{name}_bucket{{{inner + ", " if inner else ""}le=~"{le_regex(sli.threshold)}"}}'
    count = f"{name}_count{{{inner}}}" if inner else f"{name}_count"
    return f"1 - {_ratio(good, count, window)}"


def _ratio(part: str, total: str, window: str) -> str:
    return f"(sum(increase({part}[{window}])) or vector(0))\n/\n(sum(increase({total}[{window}])) > 0)"


def _has_le(inner: str) -> bool:
    return re.search(r"(^|[,{\s])le\s*(=|!=|=~|!~)", inner) is not None


def _selector(slo: SLO, field: str, text: str) -> str:
    name, inner = _selector_parts(slo, field, text)
    return f"{name}{{{inner}}}" if inner else name


def _selector_parts(slo: SLO, field: str, text: str) -> tuple[str, str | None]:
    """(metric name, the text between the braces or None) of a plain selector ``name{...}``;
    anything else is a definition error naming the SLO and field."""
    problem = None
    try:
        node = parse(text)
    except ValueError as exc:
        problem = f"{text!r} is not valid PromQL: {exc}"
    else:
        import promql_parser as pp

        if not isinstance(node, pp.VectorSelector) or node.offset is not None or node.at is not None:
            problem = (f"{text!r} is not a plain selector; write name{{label=\"value\", ...}} "
                       "(no function, range or offset)")
    match = _SELECTOR.match(text) if problem is None else None
    if problem is None and match is None:
        problem = f"{text!r}: write the metric name before the braces, e.g. http_requests_total{{job=\"api\"}}"
    if problem is not None:
        raise DefinitionError(obj=f"SLO {slo.name}", field=field, message=problem, source=slo.source)
    assert match is not None
    inner = (match.group(2) or "").strip().rstrip(",").strip()
    return match.group(1), inner or None


def le_spellings(threshold: Decimal) -> list[str]:
    """Every way a bucket bound is written in ``le``: Go's shortest ``%g`` (Go clients and
    Prometheus 2, ``1``), and with ``.0`` for a whole number (Python clients, and Prometheus 3,
    which normalises classic-histogram ``le`` to float form, ``1.0``)."""
    go = go_float(float(threshold))
    return [go, go + ".0"] if not any(c in go for c in ".e") else [go]


def le_regex(threshold: Decimal) -> str:
    """The ``le=~`` value matching every spelling of ``threshold``, escaped for a PromQL string."""
    return "|".join(s.replace(".", "\\\\.").replace("+", "\\\\+") for s in le_spellings(threshold))


def go_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 64)``: the shortest digits that read back as
    ``value``, with an exponent below 1e-4 and from 1e6 on (``%g`` with its shortest precision, 6)."""
    digits = Decimal(repr(value)).normalize()
    sign, numbers, exponent = digits.as_tuple()
    assert isinstance(exponent, int)
    point = len(numbers) + exponent - 1  # the decimal exponent of the first digit
    mantissa = "".join(map(str, numbers))
    prefix = "-" if sign else ""
    if point < -4 or point >= 6:
        rest = f".{mantissa[1:]}" if len(mantissa) > 1 else ""
        return f"{prefix}{mantissa[0]}{rest}e{'+' if point >= 0 else '-'}{abs(point):02d}"
    return prefix + format(digits, "f")


def _own(slo: SLO, model: _M) -> _M:
    """``model`` remembers the SLO's definition line, so findings on the rule name it."""
    model._source = slo.source  # type: ignore[attr-defined]
    return model
