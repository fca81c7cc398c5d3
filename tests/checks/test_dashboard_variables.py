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


def test_a_key_that_looks_like_a_variable_is_none(tmp_path):
    """Old exports keep Angular's "$$hashKey" keys; Grafana interpolates values, never keys."""
    dashboards = ('[{"uid": "h", "title": "H", "panels": [{"type": "timeseries", "title": "P", "id": 1, '
                  '"gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}, "targets": [{"refId": "A", "expr": "up", '
                  '"$$hashKey": "object:12"}]}]}]')
    _, problems = check(tmp_path, dashboards)
    assert problems_of(problems, CHECK) == []


def test_an_undefined_variable_only_in_a_link_is_a_warning(tmp_path):
    dashboards = ('[{"uid": "l", "title": "L", "panels": [{"type": "timeseries", "title": "P", "id": 1, '
                  '"gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}, "targets": [{"refId": "A", "expr": "up"}], '
                  '"links": [{"title": "Pods", "url": "/d/pods?var-namespace=$namespace"}]}]}]')
    code, problems = check(tmp_path, dashboards)
    assert code == 0
    assert [(p["severity"], p["message"]) for p in problems_of(problems, CHECK)] == [
        ("warning", "shows $namespace in its title or links, which the dashboard does not define (defined: none), "
                    "so it appears as written; add a Template(name='namespace', ...) or fix the name")]


def test_an_undefined_variable_only_in_a_title_is_a_warning(tmp_path):
    code, problems = check(tmp_path, '[dash(uid="v", panels=[ts("Rate of ${service}")])]')
    found = problems_of(problems, CHECK)
    assert code == 0
    assert [(p["severity"], p["object"]) for p in found] == [("warning", 'dashboard v panel "Rate of ${service}"')]
    assert found[0]["message"].startswith("shows $service in its title or links")


def test_a_dollar_escaped_in_a_regex_is_no_variable(tmp_path):
    # ibm-mq/dashboards: topics named $SYS... are excluded with a regex-escaped dollar.
    expr = r'sum(ibmmq_topic_subscriber_count{job=~"$job",topic!~"SYSTEM.*|\\$SYS.*"})'
    _, problems = check(tmp_path, f'[dash(uid="v", variables=[{JOB}], panels=[ts("Topics", expr={expr!r})])]')
    assert problems_of(problems, CHECK) == []


def test_a_variable_defined_twice_fails_check(tmp_path):
    expr = 'sum(rate(http_requests_total{job=~"$job"}[5m]))'
    code, problems = check(tmp_path, f'[dash(uid="v", variables=[{JOB}, {JOB}], panels=[ts("Rate", expr={expr!r})])]')
    found = [p for p in problems_of(problems, CHECK) if p["severity"] == "error"]
    assert code == 1
    assert [(p["object"], p["field"], p["message"]) for p in found] == [(
        "dashboard v variable job", "name",
        "variable job is defined twice (variables 1 and 2 of templating): $job and the URL's var-job can stand for "
        "only one of them, so one dropdown changes nothing; rename or remove one")]


def test_a_variable_defined_twice_in_dashboard_json_names_both_positions(tmp_path):
    variables = ('[{"name": "job", "type": "custom", "query": "a,b"}, {"name": "env", "type": "custom", '
                 '"query": "x"}, {"name": "job", "type": "query", "query": "label_values(up, job)"}]')
    dashboards = ('[{"uid": "j", "title": "J $job $env", "templating": {"list": ' + variables + '}, "panels": []}]')
    code, problems = check(tmp_path, dashboards)
    found = [p for p in problems_of(problems, CHECK) if p["severity"] == "error"]
    assert code == 1
    assert [p["message"].split(":")[0] for p in found] == ["variable job is defined twice (variables 1 and 3 of templating)"]


def test_distinct_variable_names_pass_the_duplicate_rule(tmp_path):
    instance = 'g.Template(name="instance", query=\'label_values(up{job=~"$job"}, instance)\')'
    _, problems = check(tmp_path, f'[dash(uid="v", variables=[{JOB}, {instance}])]')
    assert [p for p in problems_of(problems, CHECK) if "defined twice" in p["message"]] == []
