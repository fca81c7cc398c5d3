"""Which label sets a stack's alerts can carry when they reach Alertmanager.

An alert's labels come from three places: the rule's ``labels`` (values known, unless they
are templates such as ``{{ $labels.job }}``), the labels its expression keeps (names known
from the catalogs, values known only where the expression pins them with ``=``), and the
Prometheus ``external_labels`` (added when absent). ``alertname`` is the rule's name. An
expression whose labels the catalogs cannot list (``open``) may carry any label.

The routing checks and ``obscode routes`` evaluate matchers against these shapes with three
outcomes: certainly matches, certainly not, or depends on a value known only at run time."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from obscode.errors import SourceLocation
from obscode.model.alertmanager import Matcher, Route
from obscode.model.rules import AlertRule, RuleFile
from obscode.promql import UNKNOWN, LabelSet, parse, selectors
from obscode.stack import Stack


class Truth(enum.Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"

    def __and__(self, other: "Truth") -> "Truth":
        if Truth.NO in (self, other):
            return Truth.NO
        if Truth.MAYBE in (self, other):
            return Truth.MAYBE
        return Truth.YES


def _is_template(value: str) -> bool:
    return "{{" in value


@dataclass
class AlertShape:
    """The labels one alerting rule's alerts carry."""

    alert: str
    file: str
    rule: AlertRule | None
    #: Labels with one known value.
    values: dict[str, str] = field(default_factory=dict)
    #: Labels present whose value is known only at run time (expression labels, templates).
    unknown: set[str] = field(default_factory=set)
    #: Labels only some of the alert's series carry.
    partial: set[str] = field(default_factory=set)
    #: The expression may carry labels nobody can list.
    open: bool = False

    @property
    def source(self) -> SourceLocation | None:
        return self.rule.source if self.rule is not None else None

    @property
    def names(self) -> set[str]:
        return set(self.values) | self.unknown

    def carries(self, label: str) -> Truth:
        if label in self.values or (label in self.unknown and label not in self.partial):
            return Truth.YES
        if label in self.unknown or self.open:
            return Truth.MAYBE
        return Truth.NO

    def matches(self, matcher: Matcher) -> Truth:
        """Whether this alert's labels satisfy ``matcher``."""
        if matcher.name in self.values:
            return Truth.YES if matcher.matches(self.values) else Truth.NO
        if matcher.name in self.unknown or self.open:
            return Truth.MAYBE
        return Truth.YES if matcher.matches({}) else Truth.NO

    def matches_all(self, matchers: Iterable[Matcher]) -> Truth:
        result = Truth.YES
        for matcher in matchers:
            result = result & self.matches(matcher)
            if result is Truth.NO:
                return result
        return result

    def routing_labels(self) -> dict[str, str]:
        """The labels with known values, as amtool's ``config routes test`` takes them."""
        return dict(sorted(self.values.items()))


def _pinned(expr_ast: object, kept: LabelSet) -> dict[str, str]:
    """Labels the expression keeps whose value every selector pins with ``=`` to one value."""
    pins: dict[str, set[str]] = {}
    found = selectors(expr_ast)
    for label in kept.names:
        values = set()
        for selector in found:
            value = selector.equals(label)
            if value is None:
                values = set()
                break
            values.add(value)
        if len(values) == 1:
            pins[label] = values
    return {label: next(iter(values)) for label, values in pins.items()}


def shapes(stack: Stack, resolve: object | None = None) -> list[AlertShape]:
    """One shape per alerting rule of ``stack``, in rule-file order."""
    if resolve is None:
        from obscode.catalog_index import StackCatalog

        resolve = StackCatalog(stack).resolve
    external = dict(stack.global_config.external_labels)
    return [shape(alert, rule_file, resolve, external) for rule_file, alert in stack.alerts()]


def shape(alert: AlertRule, rule_file: RuleFile | None, resolve: object, external: dict[str, str]) -> AlertShape:
    from obscode.promql import output_labels

    try:
        ast = parse(alert.expr)
        kept = output_labels(ast, resolve)  # type: ignore[arg-type]
    except ValueError:
        ast, kept = None, UNKNOWN
    result = AlertShape(alert=alert.alert, file=rule_file.path if rule_file else "", rule=alert,
                        open=kept.open)
    pinned = _pinned(ast, kept) if ast is not None else {}
    for label in kept.names:
        if label == "__name__":
            continue
        if label in pinned and label not in kept.partial:
            result.values[label] = pinned[label]
        else:
            result.unknown.add(label)
    result.partial = set(kept.partial)
    for label, value in external.items():
        if label not in result.names:
            result.values[label] = value
    for label, value in alert.labels.items():  # rule labels override the expression's
        result.unknown.discard(label)
        result.partial.discard(label)
        result.values.pop(label, None)
        if _is_template(value):
            result.unknown.add(label)
        else:
            result.values[label] = value
    result.values["alertname"] = alert.alert
    result.unknown.discard("alertname")
    return result


@dataclass(frozen=True)
class Delivery:
    """A receiver an alert reaches, through which route, and whether certainly."""

    receiver: str
    path: str
    certain: bool


def deliveries(route: Route, alert: AlertShape) -> list[Delivery]:
    """Receivers ``alert`` reaches, in tree order, as Alertmanager routes: the first matching
    child takes the alert unless it has ``continue``; a node none of whose children match
    delivers to its own (possibly inherited) receiver. Matchers on values known only at run
    time give uncertain deliveries."""
    return _walk(route, "route", alert, route.receiver or "", True)


def _walk(node: Route, path: str, alert: AlertShape, inherited: str, certain: bool) -> list[Delivery]:
    receiver = node.receiver or inherited
    found: list[Delivery] = []
    reached_for_sure = certain
    child_matched = Truth.NO
    for index, child in enumerate(node.routes):
        truth = alert.matches_all(child.matchers)
        if truth is Truth.NO:
            continue
        found.extend(_walk(child, f"{path}.routes[{index}]", alert, receiver,
                           reached_for_sure and truth is Truth.YES))
        if truth is Truth.YES:
            child_matched = Truth.YES
            if not child.continue_:
                break
        else:
            if child_matched is Truth.NO:
                child_matched = Truth.MAYBE
            if not child.continue_:
                reached_for_sure = False
    if child_matched is Truth.YES:
        return found
    own = Delivery(receiver, path, certain and child_matched is Truth.NO)
    return [own, *found]


def known_values(alerts: Iterable[AlertShape], label: str) -> tuple[set[str], bool]:
    """The values ``label`` takes across ``alerts``, and whether that list is complete
    (no alert carries it with a run-time value, and none is open)."""
    values: set[str] = set()
    complete = True
    for alert in alerts:
        if label in alert.values:
            values.add(alert.values[label])
        elif label in alert.unknown or alert.open:
            complete = False
    return values, complete
