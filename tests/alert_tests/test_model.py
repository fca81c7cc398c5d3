"""AlertTest: what promtool would reject is a definition error naming the test and field."""

from __future__ import annotations

from typing import Any

import pytest

from obscode import AlertExpectation, AlertTest, ExpectedAlert, ExpectedSample, ExprExpectation, InputSeries
from obscode.errors import DefinitionError
from obscode.emit import prometheus


def _test(**fields: Any) -> AlertTest:
    fields.setdefault("name", "t1")
    fields.setdefault("alert_rule_test", [AlertExpectation(eval_time="5m", alertname="A")])
    return AlertTest(**fields)


def _series(series: str = 'up{job="api"}', values: str = "1x10") -> list[InputSeries]:
    return [InputSeries(series=series, values=values)]


VALID_VALUES = ["0+1.5x100", "1x10 0x30", "1-2x4", "_x3 _ stale", "1e3 -Inf NaN +5 .5", "-2+4x3", "0x0"]


@pytest.mark.parametrize("values", VALID_VALUES)
def test_promtool_series_notation_is_accepted(values: str) -> None:
    assert _test(input_series=_series(values=values)).input_series[0].values == values


BAD_VALUES = [
    ("5x", "'5x' in values '5x' is not promtool's series notation"),
    ("0x1e2", "'0x1e2'"),
    ("1+Infx2", "'1+Infx2'"),
    ("stalex3", "'stalex3'"),
    ("1+_x2", "'1+_x2'"),
    ("1,2,3", "'1,2,3'"),
    ("", "values is empty"),
]


@pytest.mark.parametrize(("values", "message"), BAD_VALUES, ids=[v or "empty" for v, _ in BAD_VALUES])
def test_bad_values_name_the_item_and_the_notation(values: str, message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        _test(input_series=_series(values=values))
    text = str(info.value)
    assert text.startswith("alert test t1, field 'input_series.values': series up{job=\"api\"}: ")
    assert message in text and "'a+bxn'" in text


BAD_SERIES = [
    ('up{job=~"api"}', "matcher on 'job' is not '='"),
    ("rate(up[5m])", "is not a series selector"),
    ("up[5m]", "is not a series selector"),
    ('{job="api"}', "has no metric name"),
    ("up offset 5m", "uses 'or', offset or @"),
    ('up{job="api"', "does not parse"),
]


@pytest.mark.parametrize(("series", "message"), BAD_SERIES, ids=[s for s, _ in BAD_SERIES])
def test_bad_series_are_definition_errors(series: str, message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        _test(input_series=_series(series=series))
    assert str(info.value).startswith("alert test t1, field 'input_series.series': series ")
    assert message in str(info.value) and "metric_name{label=\"value\", ...}" in str(info.value)


def test_bad_eval_time_names_the_expectation_and_the_test() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(alert_rule_test=[AlertExpectation(eval_time="5 minutes", alertname="A")])
    assert str(info.value).startswith("alert test t1, field 'alert_rule_test.eval_time': alert A at '5 minutes': "
                                      "'5 minutes' is not a Prometheus duration")


def test_bad_interval_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(interval="15")
    assert str(info.value).startswith("alert test t1, field 'interval': '15' is not a Prometheus duration")


def test_a_test_name_must_be_a_file_name() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(name="cpu test/1")
    assert "alert test name 'cpu test/1' becomes prometheus/tests/<name>.yml" in str(info.value)


def test_synthesised_is_reserved() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(name="synthesised")
    assert "'synthesised' is the file of the tests obscode synthesises" in str(info.value)


def test_a_test_that_checks_nothing_is_an_error() -> None:
    with pytest.raises(DefinitionError) as info:
        AlertTest(name="empty", input_series=_series())
    assert str(info.value) == ("alert test empty, field 'alert_rule_test': the test checks nothing; "
                               "add alert_rule_test or promql_expr_test")


def test_expected_labels_are_label_names() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(alert_rule_test=[AlertExpectation(eval_time="5m", alertname="A", exp_alerts=[
            ExpectedAlert(exp_labels={"bad-name": "x"})])])
    assert str(info.value).startswith("alert test t1, field 'alert_rule_test.exp_alerts.exp_labels': alert A at '5m': "
                                      "label 'bad-name' is not a valid label name")


def test_an_expression_test_parses_its_expression() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(promql_expr_test=[ExprExpectation(expr="sum(up", eval_time="1m")])
    assert str(info.value).startswith("alert test t1, field 'promql_expr_test.expr': PromQL syntax error")


def test_expected_samples_may_leave_out_the_metric_name() -> None:
    test = _test(promql_expr_test=[ExprExpectation(expr="sum by (job) (up)", eval_time="1m",
                                                   exp_samples=[ExpectedSample(labels='{job="api"}', value=2)])])
    assert prometheus.data(test.promql_expr_test[0].exp_samples[0]) == {"labels": '{job="api"}', "value": 2.0}


def test_a_bad_expected_sample_names_the_expression() -> None:
    with pytest.raises(DefinitionError) as info:
        _test(promql_expr_test=[ExprExpectation(expr="up", eval_time="1m",
                                                exp_samples=[ExpectedSample(labels='up{job=~"a"}', value=1)])])
    assert str(info.value).startswith("alert test t1, field 'promql_expr_test.exp_samples.labels': expression 'up': "
                                      "series 'up{job=~\"a\"}': matcher on 'job' is not '='")


def test_render_is_promtools_test_group() -> None:
    test = _test(input_series=_series(), external_labels={"cluster": "eu"},
                 alert_rule_test=[AlertExpectation(eval_time="5m", alertname="A", exp_alerts=[
                     ExpectedAlert(exp_labels={"job": "api"}, exp_annotations={"summary": "down"})])],
                 promql_expr_test=[ExprExpectation(expr="up", eval_time="1m",
                                                   exp_samples=[ExpectedSample(labels='up{job="api"}', value=1)])])
    assert prometheus.alert_test_data(test, "15s", {"cluster": "us"}) == {
        "name": "t1", "interval": "15s", "external_labels": {"cluster": "eu"},
        "input_series": [{"series": 'up{job="api"}', "values": "1x10"}],
        "alert_rule_test": [{"eval_time": "5m", "alertname": "A", "exp_alerts": [
            {"exp_labels": {"job": "api"}, "exp_annotations": {"summary": "down"}}]}],
        "promql_expr_test": [{"expr": "up", "eval_time": "1m", "exp_samples": [{"labels": 'up{job="api"}', "value": 1.0}]}],
    }
