"""Generated proofs of the SLO alerts: for every tier of every SLO, two promtool tests
(docs/slo-proofs.md).

- ``slo-<name>-<tier>-fires``: after healthy traffic filling the tier's long window, the SLI
  burns the budget a bit faster than the tier's factor; the tier fires at the first
  evaluation after its predicted detection time ``long_window × factor ÷ burn rate`` (so no
  later than that plus one evaluation interval), and not at the evaluation before.
- ``slo-<name>-<tier>-quiet``: the SLI burns at 0.9 × the factor; the tier stays silent for
  two long windows.

Each test loads a copy of just the rules of its tier (the two windows' recording rules and the
tier's alert, as in the SLO's rule file), so promtool evaluates three rules per step and no other
tier shares the alert name in the test. The expectations come from an exact model of the input,
not from a run: counters start at 0 at t=0 and grow by whole numbers of events, both windows are
whole numbers of steps, and samples and evaluations share one step (about 1/60 of the long
window), so each ``increase`` is the difference of two samples, with no extrapolation."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from obscode.alert_tests.templates import TemplateData, Unrenderable, render
from obscode.errors import DefinitionError
from obscode.model.alert_tests import AlertExpectation, AlertTest, ExpectedAlert, InputSeries
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule, RecordingRule, RuleFile
from obscode.model.slo import SLO, BurnRateTier, LatencySLI, RatioSLI
from obscode.promql import Matcher, Selector, parse, selectors
from obscode.slo.names import TIER_LABEL, alert_name, rule_file_name, tier_labels, window_rule

if TYPE_CHECKING:
    from obscode.stack import Stack

#: Events per step, all series together: large, so a burn rate a hair above the factor is a whole
#: number of bad events per step (the ratio moves in steps of 1/TOTAL_PER_STEP).
TOTAL_PER_STEP = 10_000_000
#: The quiet test's burn rate, as a share of the tier's factor.
QUIET_SHARE = Fraction(9, 10)
#: Steps per long window the evaluation step aims at (the step is the largest divisor of both
#: windows of the tier at most long_window / this).
STEPS_PER_WINDOW = 60
#: How far (relative) a compared ratio must be from the threshold, so the proof does not hang on
#: the last bit of a float.
MARGIN = Fraction(1, 10**9)
FIRES = "fires"
QUIET = "quiet"


def alert_tests(stack: "Stack") -> list[AlertTest]:
    """Two AlertTests per tier of every SLO of ``stack`` (none for an SLO without tiers)."""
    tests: list[AlertTest] = []
    for slo in stack.slos:
        if not slo.tiers:
            continue
        series = _series_of(slo)
        for tier in slo.tiers:
            if slo.threshold(tier) >= 1:
                raise DefinitionError(obj=f"SLO {slo.name}", field="tiers", source=slo.source, message=(
                    f"tier {tier.name} alerts above an error ratio of {slo.threshold(tier)}: no share of bad "
                    "events exceeds 1, so the tier can never fire; lengthen its window or lower its budget_share"))
            for kind in (FIRES, QUIET):
                tests.append(_test(stack, slo, tier, kind, series))
    return tests


# --- the input ------------------------------------------------------------------------------


#: What an input series counts: the bad events, the good ones, or every event.
BAD, GOOD, ALL = "bad", "good", "all"


@dataclass(frozen=True)
class _Series:
    """One input series and what it counts (BAD, GOOD or ALL)."""

    text: str
    counts: str


@dataclass(frozen=True)
class _Input:
    """The SLI's series: the selected part (bad or good events) and what makes up the total."""

    series: tuple[_Series, ...]
    #: Whether the SLI's expression counts bad events (``bad=``) or good ones (``1 - good/total``).
    counts_bad: bool


def _series_of(slo: SLO) -> _Input:
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        from obscode.slo.rules import le_spellings

        name, matchers = _parts(slo, "sli.histogram", sli.histogram)
        labels = _labels_for(slo, "sli.histogram", matchers)
        bucket = _text(f"{name}_bucket", {**labels, "le": le_spellings(sli.threshold)[0]})
        return _Input((_Series(bucket, GOOD), _Series(_text(f"{name}_count", labels), ALL)), counts_bad=False)
    assert isinstance(sli, RatioSLI)
    field, part = ("sli.bad", sli.bad) if sli.bad else ("sli.good", sli.good)
    total = _selector(slo, "sli.total", sli.total)
    chosen = _selector(slo, field, part)
    both = list(chosen.matchers) + (list(total.matchers) if total.name == chosen.name else [])
    part_labels = _labels_for(slo, field, both)
    part_series = _text(chosen.name or "", part_labels)
    bad = field == "sli.bad"
    if not _selects(total, chosen.name, part_labels):
        # two counters (errors_total over requests_total): a series of the total counts every event
        every = _text(total.name or "", _labels_for(slo, "sli.total", list(total.matchers)))
        return _Input((_Series(part_series, BAD if bad else GOOD), _Series(every, ALL)), counts_bad=bad)
    rest = _text(total.name or "", _other_labels(slo, field, total, chosen))
    return _Input((_Series(part_series, BAD if bad else GOOD), _Series(rest, GOOD if bad else BAD)), counts_bad=bad)


def _selector(slo: SLO, field: str, text: str) -> Selector:
    try:
        found = selectors(parse(text))
    except ValueError as exc:
        raise DefinitionError(obj=f"SLO {slo.name}", field=field, source=slo.source,
                              message=f"{text!r} is not valid PromQL: {exc}") from None
    if len(found) != 1 or not found[0].name:
        raise DefinitionError(obj=f"SLO {slo.name}", field=field, source=slo.source,
                              message=f"{text!r} is not one selector with a metric name")
    return found[0]


def _parts(slo: SLO, field: str, text: str) -> tuple[str, list[Matcher]]:
    selector = _selector(slo, field, text)
    return selector.name or "", [m for m in selector.matchers if m.label != "__name__"]


def _labels_for(slo: SLO, field: str, matchers: list[Matcher]) -> dict[str, str]:
    """Labels every matcher accepts (a label only ``!=`` matchers name is left out when they allow it)."""
    from obscode.alert_tests.values import label_value

    labels: dict[str, str] = {}
    for label in sorted({m.label for m in matchers if m.label != "__name__"}):
        value = label_value([m for m in matchers if m.label == label], [], f"{label}-1")
        if value is None:
            raise DefinitionError(obj=f"SLO {slo.name}", field=field, source=slo.source, message=(
                f"no value of label {label!r} is accepted by every matcher on it "
                f"({', '.join(str(m) for m in matchers if m.label == label)}); the SLI selects no series"))
        if value:
            labels[label] = value
    return labels


def _other_labels(slo: SLO, field: str, total: Selector, part: Selector) -> dict[str, str]:
    """Labels of a series the total counts and the part does not: the other events."""
    from obscode.alert_tests.values import label_value

    totals = [m for m in total.matchers if m.label != "__name__"]
    base = _labels_for(slo, "sli.total", totals)
    negated = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}
    for matcher in part.matchers:
        if matcher.label == "__name__":
            continue
        flipped = Matcher(matcher.label, negated[matcher.op], matcher.value)
        value = label_value([m for m in totals if m.label == matcher.label] + [flipped], [],
                            f"{matcher.label}-other")
        if value is None:
            continue
        labels = {**base, matcher.label: value} if value else {k: v for k, v in base.items() if k != matcher.label}
        if _selects(total, total.name, labels) and not _selects(part, total.name, labels):
            return labels
    raise DefinitionError(obj=f"SLO {slo.name}", field=field, source=slo.source, message=(
        f"{part.text!r} selects every series {total.text!r} does: the SLI's ratio is always 1; "
        "narrow it with a matcher, e.g. status=~\"5..\""))


def _selects(selector: Selector, name: str | None, labels: dict[str, str]) -> bool:
    return selector.name == name and all(
        m.matches(labels.get(m.label, "")) for m in selector.matchers if m.label != "__name__")


def _text(name: str, labels: dict[str, str]) -> str:
    body = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# --- the exact model --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """One test's input in steps of ``step_ms``: ``warmup`` steps of healthy traffic (a full long
    window), then ``bad`` bad events of every TOTAL_PER_STEP per step until ``steps``; checked at
    ``checks`` (steps)."""

    step_ms: int
    warmup: int
    bad: int
    steps: int
    checks: tuple[int, ...]


def _ratio(plan: _Plan, step: int, window_steps: int) -> tuple[Fraction, int, int]:
    """The error ratio over a window ending at ``step``, exact, with its bad and total increases."""
    start = max(0, step - window_steps)
    bad = plan.bad * (max(0, step - plan.warmup) - max(0, start - plan.warmup))
    total = TOTAL_PER_STEP * (step - start)
    return Fraction(bad, total), bad, total


def _float_ratio(counts_bad: bool, bad: int, total: int) -> float:
    """The ratio as the rule computes it from the two increases (float64, the same operations)."""
    if counts_bad:
        return bad / total
    return 1 - (total - bad) / total


def _state(slo: SLO, tier: BurnRateTier, plan: _Plan, step: int, counts_bad: bool) -> tuple[bool, float] | None:
    """Whether the tier fires at ``step``, and its alert's value (the long window's ratio); None
    when a ratio is within MARGIN of the threshold (the plan must change)."""
    threshold = Fraction(slo.threshold(tier))
    fires, value = True, 0.0
    for window in (tier.long_window, tier.short_window):
        exact, bad, total = _ratio(plan, step, parse_duration(window) // plan.step_ms)
        if abs(exact - threshold) <= threshold * MARGIN:
            return None
        if window == tier.long_window:
            value = _float_ratio(counts_bad, bad, total)
        fires = fires and exact > threshold
    return fires, value


def step_ms(tier: BurnRateTier) -> int:
    """The test's step: the largest divisor of both windows of the tier that is at most
    ``long_window / STEPS_PER_WINDOW`` (so each window is a whole number of steps)."""
    common = math.gcd(parse_duration(tier.long_window), parse_duration(tier.short_window))
    target = max(1, parse_duration(tier.long_window) // STEPS_PER_WINDOW)
    best = 1
    for low in range(1, math.isqrt(common) + 1):
        if common % low == 0:
            for divisor in (low, common // low):
                if best < divisor <= target:
                    best = divisor
    return best


def detection_ms(slo: SLO, tier: BurnRateTier, bad: int) -> Fraction:
    """The predicted detection time at ``bad`` bad events of every TOTAL_PER_STEP: the long
    window's ratio grows linearly from the burn's start and passes the threshold after
    ``long_window × threshold ÷ ratio`` (= long_window × factor ÷ burn rate)."""
    return parse_duration(tier.long_window) * Fraction(slo.threshold(tier)) / Fraction(bad, TOTAL_PER_STEP)


def burn_rate(slo: SLO, bad: int) -> Fraction:
    """The burn rate of ``bad`` bad events of every TOTAL_PER_STEP: the error ratio over the budget."""
    return Fraction(bad, TOTAL_PER_STEP) / Fraction(slo.budget)


def _plan(slo: SLO, tier: BurnRateTier, kind: str, counts_bad: bool,
          renderer: "_Renderer") -> tuple[_Plan, dict[int, float | None]]:
    """The input and, per check, the firing alert's value (None: silent). The burn rate is the
    smallest whole number of bad events per step above the factor (fires), or the largest at most
    0.9 × the factor (quiet), moved by single events while a compared ratio sits within MARGIN
    of the threshold or the annotations depend on the value's last bit."""
    step = step_ms(tier)
    long_steps = parse_duration(tier.long_window) // step
    threshold = Fraction(slo.threshold(tier))
    if kind == FIRES:
        start = math.floor(threshold * TOTAL_PER_STEP) + 1
        candidates = range(start, min(start + 100, TOTAL_PER_STEP + 1))  # at most every event bad
    else:
        start = math.floor(threshold * QUIET_SHARE * TOTAL_PER_STEP)
        candidates = range(start, max(0, start - 100), -1)
    for bad in candidates:
        if kind == FIRES:
            first = long_steps + math.floor(detection_ms(slo, tier, bad) / step) + 1
            checks: tuple[int, ...] = (long_steps, first - 1, first)
        else:
            checks = tuple(long_steps + j * long_steps // 4 for j in range(1, 9))
        plan = _Plan(step, long_steps, bad, checks[-1], checks)
        expected: dict[int, float | None] = {}
        for check in checks:
            state = _state(slo, tier, plan, check, counts_bad)
            if state is None or (state[0] and not renderer.certain(tier, state[1])):
                break
            expected[check] = state[1] if state[0] else None
        else:
            _sanity(slo, tier, kind, plan, expected)
            return plan, expected
    raise ValueError(f"SLO {slo.name}, tier {tier.name}: no burn rate near the factor keeps every ratio clear "
                     "of the threshold")


def _sanity(slo: SLO, tier: BurnRateTier, kind: str, plan: _Plan, expected: dict[int, float | None]) -> None:
    """What the proof claims, checked on the model before promtool checks it on Prometheus."""
    fired = {check: value is not None for check, value in expected.items()}
    if kind == QUIET:
        assert not any(fired.values()), f"SLO {slo.name}, tier {tier.name}: fires at 0.9 × its factor"
        assert (plan.steps - plan.warmup) * plan.step_ms >= 2 * parse_duration(tier.long_window)
        return
    silent, before, first = plan.checks
    assert not fired[silent] and not fired[before] and fired[first], (slo.name, tier.name, fired)
    detect = detection_ms(slo, tier, plan.bad)
    assert (before - plan.warmup) * plan.step_ms <= detect < (first - plan.warmup) * plan.step_ms


# --- the tests --------------------------------------------------------------------------------


def _rules_of(stack: "Stack", slo: SLO, tier: BurnRateTier) -> RuleFile:
    """A copy of the rules tier ``tier`` reads, in their group: its two windows' recording rules
    and its alert, from the SLO's rule file in the stack."""
    name = rule_file_name(slo)
    for rule_file in stack.rule_files:
        if rule_file.name != name:
            continue
        wanted = {window_rule(tier.long_window), window_rule(tier.short_window)}
        for group in rule_file.groups:
            alerts = [r for r in group.rules if isinstance(r, AlertRule) and r.alert == alert_name(slo)
                      and r.labels.get(TIER_LABEL) == tier.name]
            if alerts:
                records = [r for g in rule_file.groups for r in g.rules
                           if isinstance(r, RecordingRule) and r.record in wanted]
                copy = group.model_copy(update={"rules": [*records, *alerts]})
                return RuleFile(name=name, groups=[copy])
        raise ValueError(f"SLO {slo.name}: its rule file {name!r} has no alert of tier {tier.name}")
    raise ValueError(f"SLO {slo.name}: the stack has no rule file {name!r} (obscode.slo.rules writes it)")


@dataclass(frozen=True)
class _Renderer:
    """The annotations of one tier's alert, rendered as Prometheus renders them."""

    slo: SLO
    rule: AlertRule
    external: dict[str, str]

    def annotations(self, tier: BurnRateTier, value: float) -> dict[str, str]:
        data = TemplateData(labels=tier_labels(self.slo, tier), external_labels=self.external, external_url=None,
                            value=value)
        out = {}
        for key, text in self.rule.annotations.items():
            try:
                out[key] = render(_percentages(text, value), data)
            except Unrenderable as exc:
                raise ValueError(f"SLO {self.slo.name}, tier {tier.name}: annotation {key}: {exc}") from None
        return out

    def certain(self, tier: BurnRateTier, value: float) -> bool:
        """Whether the annotations read the same a few float64 steps either side of ``value``
        (so Prometheus' last bit cannot change the text)."""
        first = self.annotations(tier, value)
        return all(self.annotations(tier, near) == first for near in _neighbours(value))


def _neighbours(value: float) -> list[float]:
    found = []
    low = high = value
    for _ in range(4):
        low, high = math.nextafter(low, -math.inf), math.nextafter(high, math.inf)
        found += [low, high]
    return found


_PERCENTAGE = re.compile(r"\{\{-?\s*(?:\$value\s*\|\s*humanizePercentage|humanizePercentage\s+\$value)\s*-?\}\}")


def _percentages(text: str, value: float) -> str:
    """``{{ $value | humanizePercentage }}`` as Prometheus prints it (``%.4g%%`` of value × 100)."""
    return _PERCENTAGE.sub(lambda _m: "%.4g%%" % (value * 100), text)


def _test(stack: "Stack", slo: SLO, tier: BurnRateTier, kind: str, source: _Input) -> AlertTest:
    rules = _rules_of(stack, slo, tier)
    renderer = _Renderer(slo, rules.alerts()[0], dict(stack.global_config.external_labels))
    plan, expected = _plan(slo, tier, kind, source.counts_bad, renderer)
    increments = {BAD: (0, plan.bad), GOOD: (TOTAL_PER_STEP, TOTAL_PER_STEP - plan.bad),
                  ALL: (TOTAL_PER_STEP, TOTAL_PER_STEP)}
    series = [InputSeries(series=each.text, values=_values(plan, *increments[each.counts])) for each in source.series]
    checks = []
    for check in plan.checks:
        value = expected[check]
        alerts = [] if value is None else [ExpectedAlert(exp_labels=tier_labels(slo, tier),
                                                         exp_annotations=renderer.annotations(tier, value))]
        checks.append(AlertExpectation(eval_time=_duration(check * plan.step_ms), alertname=alert_name(slo),
                                       exp_alerts=alerts))
    test = AlertTest(name=f"{rule_file_name(slo)}-{tier.name}-{kind}", interval=_duration(plan.step_ms),
                     evaluation_interval=_duration(plan.step_ms), rules=rules.model_copy(
                         update={"name": f"{rule_file_name(slo)}-{tier.name}-{kind}"}),
                     input_series=series, alert_rule_test=checks)
    test._source = slo.source
    return test


def _values(plan: _Plan, warm: int, burn: int) -> str:
    """A counter from 0 growing by ``warm`` per step through the warm-up, then by ``burn``."""
    burning = plan.steps - plan.warmup
    return f"0+{warm}x{plan.warmup} {plan.warmup * warm + burn}+{burn}x{burning - 1}"


def _duration(ms: int) -> str:
    """``ms`` as a Prometheus duration: 7140000 -> '1h59m'."""
    if ms == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
