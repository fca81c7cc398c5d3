"""run_alert_tests: promtool test rules on the rendered tests, each failure on its test and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from obscode import AlertExpectation, AlertTest, ExpectedAlert, ExpectedSample, ExprExpectation, InputSeries
from obscode.alert_tests.run import run_alert_tests
from obscode.emit import render
from tests.catalog.helpers import alert, stack
from tests.conftest import require_tool

SERIES = [InputSeries(series='http_requests_in_progress{job="api", instance="api:8000"}', values="20x40")]
FIRING = ExpectedAlert(exp_labels={"job": "api", "instance": "api:8000", "severity": "warning"},
                       exp_annotations={"summary": "busy api:8000"})


def _stack(test: AlertTest):
    rule = alert("http_requests_in_progress > 10", for_="1m", annotations={"summary": "busy {{ $labels.instance }}"})
    return stack([rule], alert_tests=[test])


def _test(*expectations: AlertExpectation, exprs: list[ExprExpectation] | None = None) -> AlertTest:
    return AlertTest(name="busy", input_series=SERIES, alert_rule_test=list(expectations),
                     promql_expr_test=exprs or [])


def test_a_passing_test_has_no_problems() -> None:
    require_tool("promtool")
    the_stack = _stack(_test(AlertExpectation(eval_time="30s", alertname="A"),
                             AlertExpectation(eval_time="2m", alertname="A", exp_alerts=[FIRING])))
    assert run_alert_tests("t", render(the_stack), the_stack) == []


def test_a_failed_expectation_names_test_alert_time_and_promtools_message() -> None:
    require_tool("promtool")
    the_stack = _stack(_test(AlertExpectation(eval_time="30s", alertname="A", exp_alerts=[FIRING])))
    found = run_alert_tests("t", render(the_stack), the_stack)
    assert len(found) == 1
    problem = found[0]
    assert (problem.check, problem.file, problem.obj, problem.field) == (
        "tools/promtool-test", "prometheus/tests/busy.yml", "alert test busy", "alert_rule_test")
    assert problem.message == (
        'alert A at eval_time 30s: promtool: exp:[ 0: Labels:{alertname="A", instance="api:8000", job="api", '
        'severity="warning"} Annotations:{summary="busy api:8000"} ], got:[]')
    assert problem.source is not None and Path(problem.source.file).name == "test_run.py"
    assert str(problem).startswith("t: error[tools/promtool-test] prometheus/tests/busy.yml: alert test busy, "
                                   "field 'alert_rule_test': alert A at eval_time 30s")


def test_every_failed_expectation_is_its_own_problem() -> None:
    require_tool("promtool")
    the_stack = _stack(_test(AlertExpectation(eval_time="30s", alertname="A", exp_alerts=[FIRING]),
                             AlertExpectation(eval_time="2m", alertname="A"),
                             exprs=[ExprExpectation(expr="http_requests_in_progress", eval_time="1m", exp_samples=[
                                 ExpectedSample(labels='http_requests_in_progress{job="api", instance="api:8000"}',
                                                value=3)])]))
    found = run_alert_tests("t", render(the_stack), the_stack)
    assert [p.message.split(": promtool:")[0] for p in found] == [
        "alert A at eval_time 30s", "alert A at eval_time 2m", 'expression "http_requests_in_progress" at eval_time 1m']
    assert found[2].field == "promql_expr_test"
    assert "exp: {__name__=\"http_requests_in_progress\", instance=\"api:8000\", job=\"api\"} 3E+00" in found[2].message


def test_a_file_promtool_cannot_read_is_one_problem_without_temporary_paths() -> None:
    require_tool("promtool")
    the_stack = _stack(_test(AlertExpectation(eval_time="30s", alertname="A")))
    files = render(the_stack)
    files["prometheus/tests/busy.yml"] = files["prometheus/tests/busy.yml"].replace(b"20x40", b"20xx40")
    found = run_alert_tests("t", files, the_stack)
    assert len(found) == 1 and found[0].obj == "alert test busy"
    assert found[0].message.startswith("promtool test rules failed: ") and "parse error" in found[0].message
    assert "/tmp" not in found[0].message and "obscode-alert-tests-" not in found[0].message


def test_a_test_that_runs_too_long_is_one_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("promtool")
    from obscode.alert_tests import run

    the_stack = _stack(_test(AlertExpectation(eval_time="30s", alertname="A")))
    monkeypatch.setattr(run, "TIMEOUT", 0.001)
    found = run_alert_tests("t", render(the_stack), the_stack)
    assert [(p.obj, p.message) for p in found] == [(
        "alert test busy", "promtool test rules did not finish within 0.001 s; shorten the test's evaluation "
                           "times or lengthen its interval")]


def test_without_test_files_nothing_runs() -> None:
    assert run_alert_tests("t", {"prometheus/rules/rules.yml": b"groups: []\n"}) == []


def test_without_promtool_nothing_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A missing promtool is reported by obscode.tools.missing_tools, not here."""
    the_stack = _stack(_test(AlertExpectation(eval_time="30s", alertname="A", exp_alerts=[FIRING])))
    files = render(the_stack)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run_alert_tests("t", files, the_stack) == []
