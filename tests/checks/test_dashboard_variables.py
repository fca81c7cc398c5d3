"""dashboard/variables: used variables are defined (error), defined ones are used (warning)."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/variables"
JOB = 'g.Template(name="job", query="label_values(up, job)")'

FAILING = [
    ("undefined in a query", f'[dash(uid="v", variables=[{JOB}], panels=[ts("Rate", '
     'expr=\'sum(rate(http_requests_total{instance=~"$instance"}[5m]))\')])]',
     'dashboard v panel "Rate"', "uses $instance, which the dashboard does not define (defined: job)"),
    ("undefined in a title", '[dash(uid="v", panels=[ts("Rate of ${service}")])]',
     'dashboard v panel "Rate of ${service}"', "uses $service"),
    ("undefined in another variable", '[dash(uid="v", variables=[g.Template(name="instance", '
     'query=\'label_values(up{job=~"$job"}, instance)\')], panels=[ts("Rate", '
     'expr=\'sum(rate(http_requests_total{instance=~"$instance"}[5m]))\')])]',
     "dashboard v variable instance", "uses $job"),
]


@pytest.mark.parametrize("description, dashboards, obj, expected", FAILING, ids=[c[0] for c in FAILING])
def test_undefined_variable_fails_check(tmp_path, description, dashboards, obj, expected):
    code, problems = check(tmp_path, dashboards)
    found = [p for p in problems_of(problems, CHECK) if p["severity"] == "error"]
    assert code == 1
    assert [p for p in found if p["object"] == obj and expected in p["message"]], found


def test_unused_variable_is_a_warning(tmp_path):
    _, problems = check(tmp_path, f'[dash(uid="v", variables=[{JOB}])]')
    found = problems_of(problems, CHECK)
    assert [(p["object"], p["severity"]) for p in found] == [("dashboard v variable job", "warning")]
    assert "no panel, title or other variable uses this variable" in found[0]["message"]


def test_chained_variables_and_builtins_pass(tmp_path):
    instance = 'g.Template(name="instance", query=\'label_values(up{job=~"$job"}, instance)\')'
    expr = 'sum(rate(http_requests_total{instance=~"$instance"}[$__rate_interval]))'
    _, problems = check(tmp_path, f'[dash(variables=[{JOB}, {instance}], panels=[ts("Rate", expr={expr!r})])]')
    assert problems_of(problems, CHECK) == []
