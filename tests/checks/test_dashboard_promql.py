"""dashboard/promql: every Prometheus target parses once Grafana variables are substituted,
and calls only functions the targeted Prometheus has."""

from __future__ import annotations

import pytest

from tests.checks._dashboard_cases import check, problems_of

CHECK = "dashboard/promql"

FAILING = [
    ("unclosed parenthesis", '[dash(uid="q", panels=[ts("Broken", expr="sum(rate(http_requests_total[5m])")])]',
     'dashboard q panel "Broken"', "PromQL does not parse"),
    ("bad range", '[dash(uid="q", panels=[ts("Range", expr="rate(http_requests_total[5 minutes])")])]',
     'dashboard q panel "Range"', "PromQL does not parse"),
    ("function newer than the target", '[dash(uid="q", panels=[ts("Top", expr="limitk(5, up)")])]',
     'dashboard q panel "Top"', "PromQL function limitk needs Prometheus >= 2.54 (with "
     "--enable-feature=promql-experimental-functions); the stack targets 2.42 (prometheus_version): raise "
     "prometheus_version if your Prometheus is newer, or do without it (query: limitk(5, up))"),
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
    ("holt_winters on Prometheus 2", "holt_winters(http_requests_total[1h], 0.5, 0.5)"),
    ("variable as topk's number", "topk($k, sum by (path) (rate(http_requests_total[5m])))"),
    ("variable as topk's number after by", "topk by (path) (${k}, rate(http_requests_total[5m]))"),
]


@pytest.mark.parametrize("description, expr", PASSING, ids=[c[0] for c in PASSING])
def test_queries_with_grafana_variables_pass(tmp_path, description, expr):
    variables = ('[g.Template(name="job", query="label_values(up, job)"), g.Template(name="path", query="label_values('
                 'http_requests_total, path)"), g.Template(name="window", type="interval", query="1m,5m", default="5m")]')
    _, problems = check(tmp_path, f'[dash(variables={variables}, panels=[ts("Rate", expr={expr!r})])]')
    assert problems_of(problems, CHECK) == []


def test_holt_winters_on_prometheus_3_fails(tmp_path):
    code, problems = check(tmp_path, '[dash(uid="q", panels=[ts("Trend", expr="holt_winters(up[1h], 0.5, 0.5)")])]',
                           'prometheus_version="3.0"')
    found = problems_of(problems, CHECK)
    assert code == 1
    assert [p["message"] for p in found] == [
        "PromQL function holt_winters is gone from Prometheus 3.0 on (holt_winters is now called "
        "double_exponential_smoothing and moves behind the experimental-promql-functions feature flag #14930); "
        "the stack targets 3.0 (prometheus_version) (query: holt_winters(up[1h], 0.5, 0.5))"]


def test_empty_query_is_a_warning(tmp_path):
    code, problems = check(tmp_path, '[dash(uid="q", panels=[ts("Empty", expr="")])]')
    found = problems_of(problems, CHECK)
    assert [(p["severity"], p["object"], p["message"]) for p in found] == [
        ("warning", 'dashboard q panel "Empty"', "query is empty: Grafana runs nothing for it; write a PromQL "
                                                 "expression or remove the target")]


def test_logql_behind_a_loki_datasource_variable_is_not_parsed_as_promql(tmp_path):
    dashboard = ('[{"uid": "logs", "title": "Logs", "templating": {"list": [{"name": "loki_ds", "type": "datasource", '
                 '"query": "loki"}]}, "panels": [{"type": "logs", "title": "Lines", "id": 1, "gridPos": {"h": 8, '
                 '"w": 24, "x": 0, "y": 0}, "datasource": {"uid": "${loki_ds}"}, "targets": [{"refId": "A", '
                 '"expr": "{job=\\"api\\"} |= \\"error\\" | logfmt"}]}]}]')
    _, problems = check(tmp_path, dashboard)
    assert problems_of(problems, CHECK) == []


def _with_operator_variable(expr):
    # hass/dashboards: a custom variable whose values are PromQL set operators.
    return ('[{"uid": "ops", "title": "Ops", "templating": {"list": [{"name": "Inactive", "type": "custom", '
            '"current": {"text": "Include", "value": "or"}, "options": [{"text": "Include", "value": "or"}, '
            '{"text": "Exclude", "value": "unless"}], "query": "Include : or, Exclude : unless"}]}, '
            '"panels": [{"type": "timeseries", "title": "States", "id": 1, "gridPos": {"h": 8, "w": 24, "x": 0, '
            f'"y": 0}}, "targets": [{{"refId": "A", "expr": {expr!r}}}]}}]}}]').replace("'", '"')


def test_a_custom_variable_written_as_promql_syntax_parses_with_its_value(tmp_path):
    _, problems = check(tmp_path, _with_operator_variable("up $Inactive on (job) process_start_time_seconds"))
    assert problems_of(problems, CHECK) == []


def test_a_query_broken_whatever_its_custom_variables_hold_still_fails(tmp_path):
    _, problems = check(tmp_path, _with_operator_variable("up $Inactive on (job) (process_start_time_seconds"))
    found = problems_of(problems, CHECK)
    assert len(found) == 1 and found[0]["message"].startswith("PromQL does not parse:"), found
