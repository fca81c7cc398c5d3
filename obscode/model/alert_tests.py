"""Alert tests as code: promtool's unit-test format (``promtool test rules``), typed.

An :class:`AlertTest` is one promtool test group: input series written in promtool's
expanding notation, the alerts expected at given evaluation times (labels and annotations),
and PromQL expressions with their expected samples. ``obscode generate`` writes each to
``prometheus/tests/<name>.yml``; ``obscode.alert_tests.run`` runs them with promtool.
Field names are promtool's, so its documentation reads one-to-one.

Everything promtool would reject is a definition error here, naming the test and field:
series that are not ``metric{label="value", ...}``, values outside the expanding notation,
durations that are not Prometheus durations, expressions that do not parse. The parts
(InputSeries, AlertExpectation, ...) are checked by the AlertTest that holds them, so an
error names the test. Alert names are checked against the stack's alerts when the stack is
compiled (the test does not know the stack)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import Field, field_validator, model_validator

from obscode.model.base import FieldError, Model
from obscode.model.duration import Duration, parse_duration
from obscode.model.rules import RuleFile, _label_names, parse_promql

_TEST_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

# promtool's series values: space-separated items, each a number, `_` (no sample), `stale`,
# or an expansion: `a+bxn` / `a-bxn` (n+1 samples from a, stepping b), `axn` (a, n+1 times),
# `_xn` (n missing samples). Inf and NaN are numbers too, but not as a step.
_UNSIGNED = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = rf"[+-]?(?:{_UNSIGNED}|[iI][nN][fF]|[nN][aA][nN])"
_VALUE_ITEM = re.compile(rf"^(?:_|_x\d+|stale|{_NUMBER}(?:x\d+|[+-]{_UNSIGNED}x\d+)?)$")
_VALUES_HINT = ("write promtool's expanding notation: numbers, '_' for a missing sample, 'stale', "
                "'a+bxn' (a, a+b, ... n steps), 'a-bxn', 'axn' (a repeated), '_xn'; e.g. '0+1.5x100' or '1x10 0x30'")


def check_values(text: str) -> str:
    """``text`` when it is promtool's expanding notation, ``ValueError`` naming the bad item."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"values is empty; {_VALUES_HINT}")
    for item in text.split():
        if not _VALUE_ITEM.match(item):
            raise ValueError(f"{item!r} in values {text!r} is not promtool's series notation; {_VALUES_HINT}")
    return text


def check_series(text: str, named: bool = True) -> str:
    """``text`` when it names one series as promtool reads it: ``metric{label="value", ...}``
    (``named=False``: the metric name may be left out, as in an expected sample ``{job="api"}``)."""
    from obscode.promql import parse  # obscode.promql imports the rule models: resolved late
    import promql_parser as pp

    hint = "write one series as 'metric_name{label=\"value\", ...}', only '=' matchers, no range or offset"
    try:
        node = parse(text) if isinstance(text, str) and text.strip() else None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"series {text!r} does not parse ({exc}); {hint}") from None
    if not isinstance(node, pp.VectorSelector):
        raise ValueError(f"series {text!r} is not a series selector; {hint}")
    matchers = list(node.matchers.matchers)
    if node.matchers.or_matchers or node.offset is not None or node.at is not None:
        raise ValueError(f"series {text!r} uses 'or', offset or @; {hint}")
    for matcher in matchers:
        if str(matcher.op) != "MatchOp.Equal":
            raise ValueError(f"series {text!r}: matcher on {matcher.name!r} is not '='; "
                             f"a test series has exact label values; {hint}")
    if named and not node.name and not any(m.name == "__name__" for m in matchers):
        raise ValueError(f"series {text!r} has no metric name; {hint}")
    return text


class InputSeries(Model):
    """One input series: ``series='up{job="api"}'``, ``values='1x10 0x30'``."""

    kind = "input series"
    name_field = "series"

    #: The series in PromQL notation: ``metric{label="value", ...}``.
    series: str
    #: Its samples in promtool's expanding notation, one per ``interval``: ``1x10 0+5x20 _ stale``.
    values: str


class ExpectedAlert(Model):
    """An alert expected to fire: its labels (the alert's and those its expression keeps,
    without ``alertname``) and its annotations, rendered. promtool compares both exactly:
    an alert with annotations must list them all."""

    kind = "expected alert"

    #: Every label of the alert: the rule's and those its expression keeps.
    exp_labels: dict[str, str] = Field(default_factory=dict, json_schema_extra={"written": "always"})
    #: Every annotation of the alert, templates expanded.
    exp_annotations: dict[str, str] = Field(default_factory=dict)


class AlertExpectation(Model):
    """The alerts named ``alertname`` firing at ``eval_time``; ``exp_alerts=[]``: none."""

    kind = "alert expectation"
    name_field = "alertname"

    #: When the alerts are checked, a duration from the start of the series (``10m``).
    eval_time: str
    #: The alert checked.
    alertname: str
    #: The alerts expected to fire then; empty: none.
    exp_alerts: list[ExpectedAlert] = Field(default_factory=list, json_schema_extra={"written": "always"})


class ExpectedSample(Model):
    """One sample an expression is expected to return: its series (the metric name may be
    left out, ``{job="api"}``) and value."""

    kind = "expected sample"
    name_field = "labels"

    #: The sample's series; the metric name may be left out (``{job="api"}``).
    labels: str
    #: The sample's value.
    value: float


class ExprExpectation(Model):
    """What ``expr`` returns at ``eval_time`` (promtool's ``promql_expr_test``)."""

    kind = "expression expectation"
    name_field = "expr"

    #: The PromQL expression evaluated.
    expr: str
    #: When it is evaluated, a duration from the start of the series.
    eval_time: str
    #: Every sample it must return then; empty: none.
    exp_samples: list[ExpectedSample] = Field(default_factory=list, json_schema_extra={"written": "always"})


class AlertTest(Model):
    """One promtool test group: input series, evaluation times, expected alerts.

    ``interval`` is the step between input samples (default: the stack's evaluation
    interval). ``external_labels`` and ``external_url`` are what alert templates see as
    ``$externalLabels`` and ``$externalURL`` (default: the stack's external labels)."""

    kind = "alert test"
    name_field = "name"

    #: The test's name: written to ``prometheus/tests/<name>.yml``.
    name: str
    #: The step between input samples; default: the stack's evaluation interval.
    interval: Duration | None = None
    #: The step promtool evaluates the rules at (the test file's ``evaluation_interval``);
    #: default: the stack's evaluation interval.
    evaluation_interval: Duration | None = None
    #: The rules the test loads instead of the stack's rule files, written beside it to
    #: ``prometheus/tests/rules/<name>.yml``: a copy of just the rules under test, so promtool
    #: evaluates only those at every step; default: every rule file of the stack.
    rules: RuleFile | None = None
    #: What templates see as ``$externalLabels``; default: the stack's external labels.
    external_labels: dict[str, str] | None = None
    #: What templates see as ``$externalURL``.
    external_url: str | None = None
    #: The series the rules read during the test.
    input_series: list[InputSeries] = Field(default_factory=list, json_schema_extra={"written": "always"})
    #: The alerts expected (or not) at given times.
    alert_rule_test: list[AlertExpectation] = Field(default_factory=list)
    #: Expressions and the samples they must return at given times.
    promql_expr_test: list[ExprExpectation] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _file_name(cls, value: str) -> str:
        if not _TEST_NAME.match(value):
            raise ValueError(f"alert test name {value!r} becomes prometheus/tests/<name>.yml: use letters, "
                             "digits, '_', '-' and '.', starting with a letter or digit")
        if value == "synthesised":
            raise ValueError("'synthesised' is the file of the tests obscode synthesises; name the test otherwise")
        return value

    @model_validator(mode="after")
    def _parts(self) -> "AlertTest":
        if not self.alert_rule_test and not self.promql_expr_test:
            raise FieldError("alert_rule_test", "the test checks nothing; add alert_rule_test or promql_expr_test")
        _check("external_labels", lambda: _label_names(self.external_labels or {}, "external label"))
        for item in self.input_series:
            _check("input_series.series", lambda: check_series(item.series))
            _check("input_series.values", lambda: check_values(item.values), f"series {item.series}: ")
        for expectation in self.alert_rule_test:
            where = f"alert {expectation.alertname} at {expectation.eval_time!r}: "
            if not expectation.alertname:
                raise FieldError("alert_rule_test.alertname", "alertname is empty; name the alert to expect")
            _check("alert_rule_test.eval_time", lambda: parse_duration(expectation.eval_time), where)
            for alert in expectation.exp_alerts:
                _check("alert_rule_test.exp_alerts.exp_labels", lambda: _label_names(alert.exp_labels, "label"), where)
                _check("alert_rule_test.exp_alerts.exp_annotations",
                       lambda: _label_names(alert.exp_annotations, "annotation"), where)
        for test in self.promql_expr_test:
            _check("promql_expr_test.expr", lambda: parse_promql(test.expr))
            where = f"expression {test.expr.strip()!r}: "
            _check("promql_expr_test.eval_time", lambda: parse_duration(test.eval_time), where)
            for sample in test.exp_samples:
                if sample.labels.strip() not in ("", "{}"):
                    _check("promql_expr_test.exp_samples.labels", lambda: check_series(sample.labels, named=False),
                           where)
        return self

    def alertnames(self) -> list[str]:
        """The alerts this test names, in order of first mention."""
        return list(dict.fromkeys(e.alertname for e in self.alert_rule_test))


def _check(field: str, check: Callable[[], object], where: str = "") -> None:
    """Run ``check``; its ``ValueError`` becomes an error on ``field`` of the test."""
    try:
        check()
    except ValueError as exc:
        raise FieldError(field, f"{where}{exc}") from None
