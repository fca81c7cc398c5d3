"""Which label sets a stack's alerts can carry when they reach Alertmanager.

An alert's labels come from three places: the rule's ``labels`` (values known, unless they
are templates such as ``{{ $labels.job }}``), the labels its expression keeps (names known
from the catalogs, values known only where the expression pins them with ``=``), and the
Prometheus ``external_labels`` (added when absent). ``alertname`` is the rule's name. An
expression whose labels the catalogs cannot list (``open``) may carry any label.

When the stack writes the ``kubernetes`` output, prometheus-operator adds to them: a job
scraped through a ServiceMonitor or PodMonitor gives its series ``namespace`` (known offline
when the monitor looks in one namespace), ``pod``, ``container``, ``endpoint`` (and a
ServiceMonitor ``service``), and ``PrometheusTarget.enforced_namespace_label``
gives every alert that label. The operator may also put a ``namespace`` matcher in front of
the stack's routes (:mod:`obscode.kubernetes.am_namespace`): a shape's ``entry``, which an
alert must satisfy to reach any route.

The routing checks and ``obscode routes`` evaluate matchers against these shapes with three
outcomes: certainly matches, certainly not, or depends on a value known only at run time."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from obscode.errors import SourceLocation
from obscode.model.alertmanager import Matcher, Route
from obscode.model.rules import AlertRule, RuleFile
from obscode.kubernetes import am_namespace
from obscode.promql import UNKNOWN, LabelSet, Selector, parse, selectors
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
    #: Matchers in front of the stack's routes (the operator's namespace matcher of an
    #: AlertmanagerConfig): an alert that does not satisfy them reaches no route of the stack.
    entry: list[Matcher] = field(default_factory=list)

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

    def reaches_routes(self) -> Truth:
        """Whether this alert gets past :attr:`entry` to the stack's routes."""
        return self.matches_all(self.entry)

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


@dataclass
class OperatorLabels:
    """What prometheus-operator adds to a stack's alerts (the ``kubernetes`` output)."""

    #: Job -> the one namespace its monitor scrapes (None: several or any), for monitored jobs.
    monitored: dict[str, str | None] = field(default_factory=dict)
    #: Job -> the target labels its monitor adds (namespace, pod, ...).
    target_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``(label, value)`` the operator gives every alert (enforcedNamespaceLabel).
    enforced: tuple[str, str] | None = None
    #: Matchers in front of the stack's routes.
    entry: list[Matcher] = field(default_factory=list)
    #: The stack's catalog index, to tell which jobs a selector reads.
    catalog: Any = None

    @classmethod
    def of(cls, stack: Stack, catalog: Any = None) -> "OperatorLabels | None":
        gate = am_namespace.namespace_matcher(stack)
        found = cls(monitored=am_namespace.monitored_namespaces(stack), enforced=am_namespace.enforced_label(stack),
                    target_labels=am_namespace.monitor_labels(stack), entry=[gate.matcher] if gate else [],
                    catalog=catalog)
        return found if found.monitored or found.enforced or found.entry else None

    def jobs(self, selector: Selector) -> set[str] | None:
        """The jobs whose series ``selector`` reads; None when unknown."""
        job = selector.equals("job")
        if job is not None:
            return {job}
        series = getattr(self.catalog, "series", {}).get(selector.name) if selector.name else None
        return set(self.catalog.providers(series, selector)) if series is not None else None

    def resolver(self, resolve: Callable[[Selector], LabelSet]) -> Callable[[Selector], LabelSet]:
        """``resolve``, with the monitors' target labels (``namespace``, ``pod``, ...) on the
        series of monitored jobs: partial where only some of the jobs a selector reads have them."""

        def with_target_labels(selector: Selector) -> LabelSet:
            found = resolve(selector)
            jobs = self.jobs(selector) if self.target_labels and not found.scalar else None
            if not jobs:
                return found
            added = {label for job in jobs for label in self.target_labels.get(job, ())} - found.names
            if not added:
                return found
            everywhere = {label for label in added if all(label in self.target_labels.get(job, ()) for job in jobs)}
            out = found.add(sorted(added))
            return replace(out, partial=out.partial | (added - everywhere))

        return with_target_labels

    def namespace(self, ast: object) -> str | None:
        """The one namespace every series of the expression is scraped in, if the monitors pin it."""
        values: set[str | None] = set()
        for selector in selectors(ast):
            jobs = self.jobs(selector)
            if not jobs or not jobs <= set(self.monitored):
                return None
            values |= {self.monitored[job] for job in jobs}
        return next(iter(values)) if len(values) == 1 and None not in values else None


def shapes(stack: Stack, resolve: object | None = None) -> list[AlertShape]:
    """One shape per alerting rule of ``stack``, in rule-file order."""
    catalog = getattr(resolve, "__self__", None)
    if resolve is None:
        from obscode.catalog_index import StackCatalog

        catalog = StackCatalog(stack)
        resolve = catalog.resolve
    external = dict(stack.global_config.external_labels)
    operator = OperatorLabels.of(stack, catalog)
    return [shape(alert, rule_file, resolve, external, operator) for rule_file, alert in stack.alerts()]


def shape(alert: AlertRule, rule_file: RuleFile | None, resolve: object, external: dict[str, str],
          operator: OperatorLabels | None = None) -> AlertShape:
    from obscode.promql import output_labels

    if operator is not None:
        resolve = operator.resolver(resolve)  # type: ignore[arg-type]
    try:
        ast = parse(alert.expr)
        kept = output_labels(ast, resolve)  # type: ignore[arg-type]
    except ValueError:
        ast, kept = None, UNKNOWN
    result = AlertShape(alert=alert.alert, file=rule_file.path if rule_file else "", rule=alert,
                        open=kept.open, entry=list(operator.entry) if operator else [])
    pinned = _pinned(ast, kept) if ast is not None else {}
    label = am_namespace.NAMESPACE
    if operator is not None and ast is not None and label in kept.names and label not in pinned:
        namespace = operator.namespace(ast)
        if namespace is not None:
            pinned[label] = namespace
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
    if operator is not None and operator.enforced is not None:  # the operator overrides the rule's value
        enforced, value = operator.enforced
        result.unknown.discard(enforced)
        result.partial.discard(enforced)
        result.values[enforced] = value
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
    time give uncertain deliveries. An alert that cannot satisfy its :attr:`AlertShape.entry`
    matchers reaches no route: no delivery."""
    entry = alert.reaches_routes()
    if entry is Truth.NO:
        return []
    return _walk(route, "route", alert, route.receiver or "", entry is Truth.YES)


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
