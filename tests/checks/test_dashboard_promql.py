"""dashboard/promql: every Prometheus target parses once Grafana variables are substituted."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/promql"

FAILING = [
    ("unclosed parenthesis", '[dash(uid="q", panels=[ts("Broken", expr="sum(rate(http_requests_total[5m])")])]',
     'dashboard q panel "Broken"', "PromQL does not parse"),
    ("bad range", '[dash(uid="q", panels=[ts("Range", expr="rate(http_requests_total[5 minutes])")])]',
     'dashboard q panel "Range"', "PromQL does not parse"),
    ("empty query", '[dash(uid="q", panels=[ts("Empty", expr="")])]', 'dashboard q panel "Empty"', "query is empty"),
    ("broken variable query", '[dash(uid="q", variables=[g.Template(name="job", query="label_values(up{job=, job)")], '
     'panels=[ts("Rate", expr=\'sum(rate(http_requests_total{job=~"$job"}[5m]))\')])]',
     "dashboard q variable job", "PromQL does not parse"),
]


@pytest.mark.parametrize("description, dashboards, obj, expected", FAILING, ids=[c[0] for c in FAILING])
def test_broken_promql_fails_check(tmp_path, description, dashboards, obj, expected):
    code, problems = check(tmp_path, dashboards)
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p for p in found if p["object"] == obj and expected in p["message"]], found


PASSING = [
    ("rate interval", "sum(rate(http_requests_total[$__rate_interval]))"),
    ("interval and range", "sum(increase(http_requests_total[$__range])) / sum(rate(http_requests_total[$__interval]))"),
    ("user variables in matchers", 'sum(rate(http_requests_total{job=~"$job", path="${path}"}[5m]))'),
    ("interval variable as a range", "sum(rate(http_requests_total[$window]))"),
]


@pytest.mark.parametrize("description, expr", PASSING, ids=[c[0] for c in PASSING])
def test_queries_with_grafana_variables_pass(tmp_path, description, expr):
    variables = ('[g.Template(name="job", query="label_values(up, job)"), g.Template(name="path", query="label_values('
                 'http_requests_total, path)"), g.Template(name="window", type="interval", query="1m,5m", default="5m")]')
    _, problems = check(tmp_path, f'[dash(variables={variables}, panels=[ts("Rate", expr={expr!r})])]')
    assert problems_of(problems, CHECK) == []
