"""Synthesised alert tests: for every alert of a simple shape that no AlertTest names,
series from the catalog that cross the threshold (the alert fires after ``for``, and not
before) and series just on the safe side (no alert).

The shapes (:mod:`obscode.alert_tests.shapes`): a comparison with a number of a selector,
``rate``/``irate``/``increase`` of one, a ratio, ``histogram_quantile`` of a bucket rate, any
of them inside ``sum``/``avg``/``min``/``max`` or scaled by a number.

Each test group has one series per selector (one per bucket for a histogram) with the labels
its matchers ask for, the catalog's labels of the metric, ``job`` and ``instance`` of a job
that emits it, and the labels the annotations read. The expected alert carries the alert's
labels over the labels the expression keeps, and its annotations rendered
(:mod:`obscode.alert_tests.templates`). Any other alert is skipped with the reason.
"""

from __future__ import annotations

import math
import operator
import warnings
from dataclasses import dataclass, field
from typing import Any

from obscode.alert_tests.shapes import (
    Absence, Aggregation, Clamp, Comparison, Leaf, Presence, Quantile, Ratio, Scale, Unsupported, alert_shape,
    exact_value, grouping_labels, labels_kept, leaves_of,
)
from obscode.alert_tests.templates import TemplateData, Unrenderable, labels_read, render
from obscode.alert_tests.values import beside, label_value, number
from obscode.catalog_index import StackCatalog
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule, RuleFile
from obscode.promql import Matcher
from obscode.stack import Stack

_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
            "!=": operator.ne}
#: Synthesised test groups are named "<alert><suffix>" ("<alert> (2 of 2)<suffix>" when several
#: rules share the name): the runner maps failures back by it.
#: Alerts waiting longer than this (for, keep_firing_for) are not synthesised: promtool steps
#: through every evaluation of the simulated time (45 days at 15s: minutes of CPU).
MAX_SIMULATED_SECONDS = 86400.0
FIRES = ": fires after for"
QUIET = ": quiet on the safe side"


@dataclass(frozen=True)
class Synthesised:
    """The promtool test groups written for one alert."""

    alert: AlertRule
    rule_file: RuleFile
    groups: list[dict[str, Any]]


@dataclass(frozen=True)
class Skipped:
    alert: AlertRule
    reason: str


@dataclass
class Synthesis:
    tests: list[Synthesised] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class _Builder:
    """Builds the two test groups of one alert."""

    def __init__(self, stack: Stack, catalog: StackCatalog, rule_file: RuleFile, alert: AlertRule,
                 siblings: list[tuple[RuleFile, AlertRule]] | None = None, label: str = "") -> None:
        self.stack, self.catalog, self.rule_file, self.alert = stack, catalog, rule_file, alert
        #: Other rules with the alert's name: promtool expects their alerts with this one's.
        self.siblings = siblings or []
        self.rules = [alert, *(rule for _file, rule in self.siblings)]
        #: Tells this rule's groups from its siblings', e.g. " (2 of 2)".
        self.label = label
        self.series_step = parse_duration(stack.global_config.evaluation_interval) / 1000
        group = next(g for g in rule_file.groups if any(r is alert for r in g.rules))
        self.rule_step = parse_duration(group.interval) / 1000 if group.interval else self.series_step
        self.external_labels = dict(stack.global_config.external_labels)

    def build(self) -> list[dict[str, Any]]:
        waits = [parse_duration(d) / 1000 for r in self.rules for d in (r.for_, r.keep_firing_for) if d]
        if waits and max(waits) > MAX_SIMULATED_SECONDS:
            raise Unsupported(f"for or keep_firing_for is longer than {_duration(MAX_SIMULATED_SECONDS)}: promtool "
                              "would step through all of it (alerts/for reports such waits)")
        found = alert_shape(self.alert.expr)
        if self.siblings and not isinstance(found, Comparison):
            raise Unsupported(f"{len(self.rules)} rules are named {self.alert.alert}: write an AlertTest")
        if isinstance(found, Absence):
            return self._absence(found)
        if isinstance(found, Presence):
            return self._presence(found)
        shape = found.shape
        self._no_recorded(shape)
        labels = self._labels(shape)
        kept = {k: v for k, v in labels_kept(shape, {"__name__": "x", **labels}).items() if k != "__name__"}
        if self._prints_value() and (found.scaled or not exact_value(shape)):
            raise Unsupported("a template prints $value, which is exact only for a selector's value "
                              "(rate() extrapolates and rounds)")
        exact = exact_value(shape) and not found.scaled and (self._prints_value() or found.op in ("==", "!="))
        fire_value, safe_value = self._values(found, exact)
        expected = self._expected(kept, fire_value if exact else None)
        step = max(self.rule_step, self.series_step)
        longest = _multiple(max(leaf.range_seconds for leaf in leaves_of(shape)), step)
        for_seconds = parse_duration(self.alert.for_) / 1000 if self.alert.for_ else 0.0
        # A selector holds its value from the first sample. A rate is low while its window
        # is not yet full, so the firing series first run on the safe side for two windows
        # (the condition is certainly false from one window on), then cross with a value far
        # enough beyond the threshold that the windowed value crosses within an eighth of the
        # window: the alert may not fire before that crossing plus `for`, and must soon after.
        # An alert that fired while the window filled keeps firing keep_firing_for longer.
        keep = parse_duration(self.alert.keep_firing_for) / 1000 if self.alert.keep_firing_for else 0.0
        crossing = _multiple(2 * longest + keep, step) if longest else 0.0
        strong, earliest, latest = self._strong(found, fire_value, safe_value, self._part_of_whole(shape, labels))
        # The windowed value crosses about `earliest`..`latest` windows after `crossing`
        # (give or take a sample, hence the two steps either side).
        before = crossing + longest * earliest + for_seconds - (2 * step if longest else step)
        fire_at = _multiple(crossing + longest * (latest + 0.0625) + for_seconds + 2 * step, step)
        samples = math.ceil(fire_at / self.series_step) + 3
        safe_samples = math.ceil(crossing / self.series_step) + 1 if longest else 0
        firing = [(safe_value, safe_samples), (strong, samples - safe_samples)] if safe_samples else [
            (fire_value, samples)]
        checks_fire = []
        if before >= 0 and (longest or for_seconds >= step):
            checks_fire.append({"eval_time": _duration(math.floor(before / step + 1e-9) * step),
                                "alertname": self.alert.alert, "exp_alerts": []})
        checks_fire.append({"eval_time": _duration(fire_at), "alertname": self.alert.alert, "exp_alerts": [expected]})
        quiet = [{"eval_time": _duration(fire_at), "alertname": self.alert.alert, "exp_alerts": []}]
        if self.siblings:
            if longest or isinstance(shape, Quantile):
                raise Unsupported(f"{len(self.rules)} rules are named {self.alert.alert} and their value side "
                                  "reads a window: write an AlertTest")
            self._expect_siblings(found, kept, checks_fire, fire_value, exact)
            self._expect_siblings(found, kept, quiet, safe_value, exact)
        return [self._group(FIRES, self._series(shape, labels, firing, found, exact), checks_fire),
                self._group(QUIET, self._series(shape, labels, [(safe_value, samples)], found, exact), quiet)]

    def _expect_siblings(self, found: Comparison, kept: dict[str, str], checks: list[dict[str, Any]], value: float,
                         exact: bool) -> None:
        """Every rule of the name whose condition ``value`` meets fires once its own `for` has
        passed (the value holds from the first sample)."""
        rules = [(self.alert, found)]
        for rule_file, rule in self.siblings:
            other = alert_shape(rule.expr)
            group = next(g for g in rule_file.groups if any(r is rule for r in g.rules))
            step = parse_duration(group.interval) / 1000 if group.interval else self.series_step
            if not isinstance(other, Comparison) or other.shape != found.shape or other.scaled != found.scaled \
                    or step != self.rule_step:
                raise Unsupported(f"{len(self.rules)} rules are named {self.alert.alert} with different value "
                                  "sides or intervals: write an AlertTest")
            rules.append((rule, other))
        for check in checks:
            at = parse_duration(check["eval_time"]) / 1000
            expected = []
            for rule, condition in rules:
                if abs(value - condition.threshold) <= 1e-9 * max(1.0, abs(condition.threshold)):
                    raise Unsupported(f"the rules named {self.alert.alert} have thresholds too close together")
                holds = _COMPARE[condition.op](value, condition.threshold)
                hold = parse_duration(rule.for_) / 1000 if rule.for_ else 0.0
                if holds and at >= hold:
                    expected.append(self._expected(kept, value if exact else None, rule))
            check["exp_alerts"] = expected

    def _no_recorded(self, shape: Any) -> None:
        recorded = {r.record for _f, r in self.stack.recording_rules()}
        for leaf in leaves_of(shape):
            if leaf.selector.name in recorded:
                raise Unsupported(f"it reads recording rule {leaf.selector.name}, whose inputs a test would need")

    def _simple_checks(self, expected: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """For a condition that holds from the first sample: no alert a step before `for`, the
        alert two steps after; the quiet group expects none then. Also the number of samples."""
        step = max(self.rule_step, self.series_step)
        for_seconds = parse_duration(self.alert.for_) / 1000 if self.alert.for_ else 0.0
        fire_at = _multiple(for_seconds + 2 * step, step)
        name = self.alert.alert
        fire = [{"eval_time": _duration(math.floor((for_seconds - step) / step + 1e-9) * step), "alertname": name,
                 "exp_alerts": []}] if for_seconds >= step else []
        fire.append({"eval_time": _duration(fire_at), "alertname": name, "exp_alerts": [expected]})
        quiet = [{"eval_time": _duration(fire_at), "alertname": name, "exp_alerts": []}]
        return fire, quiet, math.ceil(fire_at / self.series_step) + 3

    def _absence(self, found: Absence) -> list[dict[str, Any]]:
        """Nothing matches in the firing group; the quiet group has a matching series."""
        self._no_recorded(found.leaf)
        labels = self._labels(found.leaf)
        expected = self._expected(dict(found.labels), 1.0)
        fire, quiet, samples = self._simple_checks(expected)
        value = self._values(found.inner, True)[0] if found.inner is not None else 1.0
        present = [{"series": _series_text(found.leaf.selector.name, labels), "values": f"{number(value, True)}x{samples}"}]
        return [self._group(FIRES, [], fire), self._group(QUIET, present, quiet)]

    def _presence(self, found: Presence) -> list[dict[str, Any]]:
        """A series in the firing group; in the quiet group, one the matchers leave out (or none)."""
        self._no_recorded(found.shape)
        labels = self._labels(found.shape)
        kept = {k: v for k, v in labels_kept(found.shape, {"__name__": "x", **labels}).items() if k != "__name__"}
        exact = exact_value(found.shape)
        if self._prints_value() and not exact:
            raise Unsupported("a template prints $value, which is exact only for a selector's value")
        expected = self._expected(kept, 1.0 if exact else None)
        fire, quiet, samples = self._simple_checks(expected)
        firing = self._series(found.shape, labels, [(1.0, samples)], None, True)
        leaf = leaves_of(found.shape)[0]
        left_out = []
        for m in leaf.selector.matchers:
            if m.label == "__name__" or m.op not in ("=", "=~") or not labels.get(m.label):
                continue
            other = label_value([Matcher(m.label, "!~" if m.op == "=~" else "!=", m.value)], [],
                                f"not-{labels[m.label]}")
            if other:
                left_out = [{"series": _series_text(leaf.selector.name, {**labels, m.label: other}),
                             "values": f"1x{samples}"}]
                break
        return [self._group(FIRES, firing, fire), self._group(QUIET, left_out, quiet)]

    def _group(self, suffix: str, series: list[dict[str, str]], checks: list[dict[str, Any]]) -> dict[str, Any]:
        group: dict[str, Any] = {"name": self.alert.alert + self.label + suffix, "interval": _duration(self.series_step)}
        if self.external_labels:
            group["external_labels"] = dict(self.external_labels)
        group["input_series"] = series
        group["alert_rule_test"] = checks
        return group

    def _prints_value(self) -> bool:
        templates = [text for rule in self.rules for text in [*rule.annotations.values(), *rule.labels.values()]]
        return any(token in text for text in templates for token in ("$value", ".Value"))

    def _values(self, found: Comparison, exact: bool) -> tuple[float, float]:
        t, op = found.threshold, found.op
        if isinstance(found.shape, Quantile):
            if op not in (">", ">=", "<", "<="):
                raise Unsupported("histogram_quantile compared with == or !=")
            if t <= 0:
                raise Unsupported("histogram_quantile compared with a threshold that is not positive")
            # (observations above the threshold?, observations per second)
            return ((True, 1.0), (False, 1.0)) if op in (">", ">=") else ((False, 1.0), (True, 1.0))
        if found.scaled and op in ("==", "!=") and t:
            raise Unsupported("a scaled value compared with == or != (the product is not exact)")
        above, below = beside(t, True, exact), beside(t, False, exact)
        fire, safe = {">": (above, below), ">=": (above, below), "<": (below, above), "<=": (below, above),
                      "==": (t, 0.0 if t else 1.0), "!=": (0.0 if t else 1.0, t)}[op]
        if any(leaf.function for leaf in leaves_of(found.shape)):
            if op == ">" and safe < 0 <= t:
                safe = 0.0  # a rate is never below 0: 0 is the safe side of `> 0`
            if min(fire, safe) < 0:
                raise Unsupported("the threshold asks a rate to be negative")
            if op in ("==", "!=") and t != 0:
                raise Unsupported("a rate compared with == or != a number other than 0 (rates are not exact)")
        return fire, safe

    def _strong(self, found: Comparison, fire: Any, safe: Any, whole: bool) -> tuple[Any, float, float]:
        """The value the firing series of a windowed expression cross with, and how far into
        the window the crossing comes at the earliest and the latest (fractions of it)."""
        t, op = found.threshold, found.op
        if isinstance(found.shape, Quantile):
            # Observations come `weight` times faster after the crossing, so the share of the
            # new ones reaches what quantile q needs within an eighth of the window.
            need = max(found.shape.q, 1 - found.shape.q)
            if need >= 0.999:
                raise Unsupported("histogram_quantile of a quantile this close to 0 or 1")
            weight = math.ceil(7 * need / (1 - need)) * 2
            return (fire[0], float(weight)), 0.0, 0.125
        if op == "==":
            return fire, 1.0, 1.0
        if op == "!=" or t == safe:
            return fire, 0.0, 0.0
        strong = safe + 8 * (t - safe)
        if whole and strong >= 1:
            strong = (t + 1) / 2
        fraction = (t - safe) / (strong - safe)
        return strong, fraction, fraction

    def _part_of_whole(self, shape: Any, labels: dict[str, str]) -> bool:
        if isinstance(shape, Ratio):
            return any(_selects(r, l.selector.name, labels) for l in leaves_of(shape.lhs) for r in leaves_of(shape.rhs))
        if isinstance(shape, (Aggregation, Scale, Clamp)):
            return self._part_of_whole(shape.inner, labels)
        return False

    # labels

    def _labels(self, shape: Any) -> dict[str, str]:
        leaves = leaves_of(shape)
        matchers: dict[str, list[Matcher]] = {}
        for leaf in leaves:
            for m in leaf.selector.matchers:
                if m.label != "__name__":
                    matchers.setdefault(m.label, []).append(m)
        known: dict[str, list[str]] = {}
        names: list[str] = []
        jobs: set[str] | None = None
        for leaf in leaves:
            series = self.catalog.lookup(leaf.selector.name)
            if series is None:
                continue
            names += sorted(series.labels)
            for label, values in series.label_values.items():
                known.setdefault(label, []).extend(values)
            jobs = set(series.jobs) if jobs is None else jobs & set(series.jobs)
        # A job with a static target first: its instance label is known.
        ordered = sorted(jobs or (), key=lambda j: (self._instance(j) is None, j))
        job = next((j for j in ordered if all(m.matches(j) for m in matchers.get("job", []))), None)
        if job is not None:
            known.setdefault("job", []).insert(0, job)
            names += ["job", "instance"]
            instance = self._instance(job)
            if instance:
                known.setdefault("instance", []).insert(0, instance)
        wanted = list(matchers) + names + grouping_labels(shape)
        for text in [text for rule in self.rules for text in [*rule.annotations.values(), *rule.labels.values()]]:
            wanted += labels_read(text)
        labels: dict[str, str] = {}
        for label in dict.fromkeys(wanted):
            if label in ("le", "__name__"):
                continue
            value = label_value(matchers.get(label, []), known.get(label, []), f"{label}-1")
            if value is None:
                written = ", ".join(str(m) for m in matchers.get(label, []))
                raise Unsupported(f"no value of label {label} is known to satisfy {written} (regexes in RE2 "
                                  "syntax Python reads otherwise, such as [[:alpha:]], are not tried)")
            if value:
                labels[label] = value
        return labels

    def _instance(self, job: str) -> str | None:
        jobs = {j.job_name: j for j in self.stack.prometheus.scrape_configs} if self.stack.prometheus else {}
        scrape = jobs.get(job)
        for static in scrape.static_configs if scrape else []:
            if static.targets:
                return static.targets[0]
        return None

    def _expected(self, kept: dict[str, str], value: float | None, rule: AlertRule | None = None) -> dict[str, Any]:
        rule = rule or self.alert
        data = TemplateData(labels=kept, external_labels=self.external_labels, external_url=None, value=value)
        try:
            labels = {**kept, **{name: render(text, data) for name, text in rule.labels.items()}}
            annotations = {name: render(text, data) for name, text in rule.annotations.items()}
        except Unrenderable as exc:
            raise Unsupported(f"a label or annotation template: {exc}") from None
        out: dict[str, Any] = {"exp_labels": dict(sorted(labels.items()))}
        if annotations:
            out["exp_annotations"] = annotations
        return out

    # series

    def _series(self, shape: Any, labels: dict[str, str], timeline: list[tuple[float, int]], found: Comparison,
                exact: bool) -> list[dict[str, str]]:
        """The input series: ``timeline`` lists (value of the expression, number of samples)."""
        if isinstance(shape, Quantile):
            return self._buckets(shape, labels, found.threshold, timeline)
        out: list[dict[str, str]] = []
        self._assign(shape, timeline, labels, exact, out)
        return out

    def _assign(self, shape: Any, timeline: list[tuple[float, int]], labels: dict[str, str], exact: bool,
                out: list[dict[str, str]]) -> None:
        if isinstance(shape, Ratio):
            self._assign(shape.lhs, timeline, labels, exact, out)
            if any(_selects(r, l.selector.name, labels) for l in leaves_of(shape.lhs) for r in leaves_of(shape.rhs)):
                self._whole(shape, timeline, labels, exact, out)
            else:
                self._assign(shape.rhs, [(1.0, count) for _v, count in timeline], labels, exact, out)
        elif isinstance(shape, Leaf):
            out.append({"series": _series_text(shape.selector.name, labels),
                        "values": self._values_text(shape, timeline, exact)})
        elif isinstance(shape, Scale):
            self._assign(shape.inner, [(value / shape.factor, count) for value, count in timeline], labels, exact, out)
        elif isinstance(shape, Clamp):
            inside = (lambda v: v >= shape.bound) if shape.function == "clamp_min" else (lambda v: v <= shape.bound)
            if not all(inside(value) for value, _count in timeline):
                raise Unsupported(f"{shape.function}(..., {shape.bound:g}) would change the value the test needs")
            self._assign(shape.inner, timeline, labels, exact, out)
        else:
            self._assign(shape.inner, timeline, labels, exact, out)

    def _whole(self, shape: Ratio, timeline: list[tuple[float, int]], labels: dict[str, str], exact: bool,
               out: list[dict[str, str]]) -> None:
        """The denominator of a part over its whole (errors / all requests of one metric):
        the part's series and one more the part's matchers leave out, together rate 1."""
        part, whole = leaves_of(shape.lhs), leaves_of(shape.rhs)
        total = shape.rhs
        while isinstance(total, Clamp):  # clamp_min(sum(...), 1): the whole's rate is 1
            if (total.function == "clamp_min") != (total.bound <= 1):
                raise Unsupported(f"{total.function}(..., {total.bound:g}) around the whole changes its value")
            total = total.inner
        if len(part) != 1 or len(whole) != 1 or not isinstance(total, Aggregation) or total.op != "sum":
            raise Unsupported("the denominator selects the numerator's series without sum() around it")
        if not all(0 <= value < 1 for value, _count in timeline):
            raise Unsupported("a part over its whole is compared with 1 or more")
        kept = set(labels_kept(total, {k: "" for k in labels}))
        for m in part[0].selector.matchers:
            if m.label in kept or m.label == "__name__":
                continue
            whole_matchers = [w for w in whole[0].selector.matchers if w.label == m.label]
            known = self.catalog.lookup(part[0].selector.name)
            candidates = [*(known.label_values.get(m.label, []) if known else []), "200", "0", "other", ""]
            for other in candidates:
                if not m.matches(other) and all(w.matches(other) for w in whole_matchers):
                    rest = {k: v for k, v in labels.items() if k != m.label}
                    rest.update({m.label: other} if other else {})
                    rest_timeline = [(1.0 - value, count) for value, count in timeline]
                    out.append({"series": _series_text(whole[0].selector.name, rest),
                                "values": self._values_text(whole[0], rest_timeline, exact)})
                    return
        raise Unsupported("no series the denominator selects and the numerator does not was found")

    def _values_text(self, leaf: Leaf, timeline: list[tuple[float, int]], exact: bool) -> str:
        if leaf.function is None:
            return " ".join(f"{number(value, exact)}x{count - 1}" for value, count in timeline)
        if any(value < 0 for value, _count in timeline):
            raise Unsupported(f"the threshold asks {leaf.function}() to be negative")
        increments = [((value / leaf.range_seconds if leaf.function == "increase" else value) * self.series_step,
                       count) for value, count in timeline]
        return _counter(increments, exact)

    def _buckets(self, shape: Quantile, labels: dict[str, str], threshold: float,
                 timeline: list[tuple[float, int]]) -> list[dict[str, str]]:
        # Every observation in (1.1t, 2t] puts any quantile above t; in (0.5t, 0.9t], below.
        bounds = [0.5 * threshold, 0.9 * threshold, 1.1 * threshold, 2 * threshold, math.inf]
        out = []
        for leaf in leaves_of(shape):
            for i, bound in enumerate(bounds):
                le = "+Inf" if bound == math.inf else number(bound)
                increments = [(self.series_step * weight if i >= (3 if high else 1) else 0.0, count)
                              for (high, weight), count in timeline]
                out.append({"series": _series_text(leaf.selector.name, {**labels, "le": le}),
                            "values": _counter(increments, False)})
        return out


def _counter(increments: list[tuple[float, int]], exact: bool) -> str:
    """A counter growing by each segment's increment per sample: '0+2x10 22+5x30'."""
    parts, value = [], 0.0
    for i, (increment, count) in enumerate(increments):
        if i:
            value += increment
        parts.append(f"{number(value, exact)}+{number(increment, exact)}x{count - 1}")
        value += increment * (count - 1)
    return " ".join(parts)


def _selects(leaf: Leaf, name: str | None, labels: dict[str, str]) -> bool:
    """Whether ``leaf``'s selector selects the series ``name{labels}``."""
    return leaf.selector.name == name and all(
        m.matches(labels.get(m.label, "")) for m in leaf.selector.matchers if m.label != "__name__")


def _series_text(name: str, labels: dict[str, str]) -> str:
    body = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _multiple(seconds: float, step: float) -> float:
    return math.ceil(seconds / step - 1e-9) * step


def _duration(seconds: float) -> str:
    """``seconds`` as a Prometheus duration: 330 -> '5m30s'."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    parts = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def synthesise(stack: Stack) -> Synthesis:
    """Tests for the alerts of ``stack`` no AlertTest names, and the alerts skipped, with why."""
    result = Synthesis()
    named = {name for test in stack.alert_tests for name in test.alertnames()}
    alerts = stack.alerts()
    by_name: dict[str, list[tuple[RuleFile, AlertRule]]] = {}
    for rule_file, alert in alerts:
        by_name.setdefault(alert.alert, []).append((rule_file, alert))
    catalog: StackCatalog | None = None
    for rule_file, alert in alerts:
        if alert.alert in named:
            continue
        same = by_name[alert.alert]
        siblings = [(f, r) for f, r in same if r is not alert]
        label = f" ({next(i for i, (_f, r) in enumerate(same) if r is alert) + 1} of {len(same)})" if siblings else ""
        catalog = catalog or StackCatalog(stack)
        try:
            with warnings.catch_warnings():  # Python's re on RE2 regexes: "possible nested set" for [[...
                warnings.simplefilter("ignore", FutureWarning)
                groups = _Builder(stack, catalog, rule_file, alert, siblings, label).build()
        except (Unsupported, ValueError) as exc:
            result.skipped.append(Skipped(alert, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a shape obscode misreads must not stop generate
            result.skipped.append(Skipped(alert, f"obscode could not synthesise a test ({type(exc).__name__}: {exc}); "
                                                 "write an AlertTest, and report the expression"))
            continue
        result.tests.append(Synthesised(alert, rule_file, groups))
    return result
