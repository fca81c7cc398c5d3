"""catalog/label: every label a query relies on exists where it is used."""

from __future__ import annotations

import json

import pytest

from obscode import AlertRule, RecordingRule
from obscode.model.catalog import Catalog, Metric
from obscode.promql import parse
from obscode.queries import dashboard_queries, display, substitute
from tests.catalog.helpers import alert, dashboard, messages, problems, stack

CHECK = "catalog/label"

PASSING = [
    ("catalog labels in matchers", 'http_requests_total{method="GET", status=~"5.."}'),
    ("target labels", 'up{job="api", instance="api:8000"}'),
    ("static_config label", 'model_predictions_total{team="ds"}'),
    ("known label value", 'model_prediction_error{metric_type="mape"}'),
    ("regex over known values", 'model_prediction_error{metric_type=~"ma.*"}'),
    ("by keeps a label", "sum by (path) (rate(http_requests_total[5m]))"),
    ("without", "sum without (instance) (rate(http_requests_total[5m]))"),
    ("label_replace adds its destination",
     'sum by (route) (label_replace(http_requests_in_progress, "route", "$1", "method", "(.*)"))'),
    ("on both sides", "rate(http_requests_total[5m]) / on (method) group_left http_requests_in_progress"),
    ("group_left copies from the right",
     "model_drift_score * on (model_id) group_left (team) max by (model_id, team) (model_predictions_total)"),
    ("ALERTS carries alert labels", 'ALERTS{severity="warning"}'),
    ("empty-value matcher selects absence", 'http_requests_total{nolabel=""}'),
]

FAILING = [
    ("typo in matcher", 'http_requests_total{stauts="500"}', "label stauts", "did you mean status?"),
    ("unknown label value", 'model_prediction_error{metric_type="mapee"}',
     'model_prediction_error never has metric_type="mapee"', "did you mean mape?"),
    ("regex matching no value", 'model_prediction_error{metric_type=~"xyz.*"}', "matches none of the values", ""),
    ("by a label the metric lacks", "sum by (model_id) (rate(http_requests_total[5m]))",
     "label model_id (sum by (model_id))", ""),
    ("label dropped by an inner aggregation",
     "sum by (path) (sum by (method) (rate(http_requests_total[5m])))", "label path (sum by (path))",
     "labels available: method"),
    ("on a label neither side has", "http_requests_total / on (stauts) http_requests_in_progress",
     "label stauts (on (stauts) of /, on either side)", "did you mean status?"),
    ("group_left label missing on the one side",
     "model_drift_score * on (model_id) group_left (owner) max by (model_id) (model_predictions_total)",
     "label owner (group_left (owner)", ""),
    ("label_replace source missing",
     'label_replace(http_requests_total, "x", "$1", "paht", "(.*)")', "label paht", "did you mean path?"),
]


def _stack(expr: str):
    return stack([alert(expr, labels={"team": "x"})])


@pytest.mark.parametrize("expr", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(expr: str) -> None:
    assert messages(CHECK, _stack(expr)) == []


@pytest.mark.parametrize(("expr", "expected", "hint"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_fails(expr: str, expected: str, hint: str) -> None:
    found = messages(CHECK, _stack(expr))
    assert found, "expected a problem"
    assert expected in found[0] and hint in found[0], found
    assert "error[catalog/label] prometheus/rules/rules.yml: alert A (group g)" in found[0]


def test_legend_label_kept_passes() -> None:
    files = dashboard(("sum by (method, path) (rate(http_requests_total[5m]))", "{{method}} {{path}}"))
    assert messages(CHECK, stack(), files) == []


def test_legend_label_dropped_fails_on_legend_field() -> None:
    files = dashboard(("sum by (method) (rate(http_requests_total[5m]))", "{{method}} {{ path }}"))
    found = messages(CHECK, stack(), files)
    assert len(found) == 1
    assert "field 'legendFormat'" in found[0] and "label path (legend" in found[0]
    assert 'dashboard d1 panel "P0" target A' in found[0]


def test_label_values_variable_needs_the_label() -> None:
    ok = {"type": "query", "name": "m", "query": "label_values(model_predictions_total, model_id)"}
    bad = {"type": "query", "name": "m", "query": "label_values(model_predictions_total, modle_id)"}
    assert messages(CHECK, stack(), dashboard(variables=[ok])) == []
    found = messages(CHECK, stack(), dashboard(variables=[bad]))
    assert len(found) == 1 and "variable m" in found[0] and "did you mean model_id?" in found[0]


def test_alert_label_template_must_survive_expression() -> None:
    good = stack([alert("max by (model_id) (model_drift_score) > 1", labels={"owner": "{{ $labels.model_id }}"})])
    bad = stack([alert("max by (model_id) (model_drift_score) > 1", labels={"owner": "{{ $labels.feature_name }}"})])
    assert messages(CHECK, good) == []
    found = messages(CHECK, bad)
    assert len(found) == 1 and "field 'labels.owner'" in found[0] and "$labels.feature_name" in found[0]


def test_recording_rule_output_carries_the_labels_it_keeps() -> None:
    record = RecordingRule(record="path:http_requests:rate5m", expr="sum by (path) (rate(http_requests_total[5m]))")
    ok = stack([alert('path:http_requests:rate5m{path="/x"} > 1')], records=[record])
    bad = stack([alert('path:http_requests:rate5m{method="GET"} > 1')], records=[record])
    assert messages(CHECK, ok) == []
    assert "label method" in messages(CHECK, bad)[0]


def test_labelmap_job_turns_typos_into_warnings() -> None:
    from obscode import RelabelConfig, ScrapeConfig, StaticConfig

    s = stack([alert('node_load1{instanse="x"} > 1')])
    s.prometheus.scrape_configs.append(ScrapeConfig(
        job_name="k8s", static_configs=[StaticConfig(targets=["n:9100"])],
        relabel_configs=[RelabelConfig(action="labelmap", regex="__meta_kubernetes_node_label_(.+)")]))
    s.job_catalogs["k8s"] = s.job_catalogs["node"]
    found = messages(CHECK, s)
    assert len(found) == 1 and "warning[catalog/label]" in found[0] and "did you mean instance?" in found[0]
    s.rule_files[0].groups[0].rules[0].expr = 'node_load1{kubernetes_io_hostname="x"} > 1'
    assert messages(CHECK, s) == []


# Real PromQL from the monitoring mixins (../shared/corpus/mixins), against catalogs that list
# what the exporters emit, to show each label rule on the queries users actually have.

CORTEX = Catalog(name="cortex", metrics=[
    Metric(name="cortex_ingester_memory_series", type="gauge"),
    Metric(name="cortex_ingester_instance_limits", type="gauge", labels=["limit"]),
])
PROMETHEUS = Catalog(name="prometheus-server", metrics=[
    Metric(name="prometheus_remote_storage_shards", type="gauge", labels=["remote_name", "url"]),
    Metric(name="prometheus_remote_storage_samples_in_total", type="counter"),
    Metric(name="prometheus_build_info", type="gauge", labels=["branch", "goversion", "revision", "version"]),
])


def _mixin_stack(*alerts: AlertRule):
    return stack(list(alerts), job_catalogs={"api": [CORTEX, PROMETHEUS], "model_service": [PROMETHEUS],
                                             "node": ["node-exporter"]})


MIXIN_PASSING = [
    # cortex/alerts.yaml CortexIngesterReachingSeriesLimit: only the right-hand side has `limit`.
    ("ignoring a label only one side has",
     '(cortex_ingester_memory_series / ignoring(limit) cortex_ingester_instance_limits{limit="max_series"}) > 0.8'),
    ("on a label only one side has",
     'cortex_ingester_memory_series / on(instance, limit) cortex_ingester_instance_limits{limit="max_series"}'),
    # The mixins' hidden-cluster selectors, with the variable's "All" written out.
    ("=~ .* matches series without the label", 'prometheus_remote_storage_shards{cluster=~".*"} > 0'),
    ("!= matches series without the label", 'prometheus_remote_storage_shards{cluster!="dev"} > 0'),
    ('=~ "" matches series without the label', 'prometheus_remote_storage_shards{cluster=~"|prod"} > 0'),
    ("by (__name__) keeps the name", 'count by (__name__) ({__name__=~"node_cpu.*", job="node"}) > 0'),
    # kubernetes/alerts.yaml CPUThrottlingHigh removes labels only some setups add.
    ("without a label the series lack removes nothing",
     'sum without (id, metrics_path, endpoint) (rate(cortex_ingester_memory_series[5m])) > 0'),
    # kubernetes/alerts.yaml KubeNodeUnreachable ignores value, which one setup's series lack.
    ("ignoring a label neither side has, not like any they have",
     'cortex_ingester_memory_series unless ignoring(value) cortex_ingester_instance_limits'),
]

MIXIN_FAILING = [
    ("ignoring a typo of a label one side has",
     'cortex_ingester_memory_series / ignoring(limt) cortex_ingester_instance_limits{limit="max_series"} > 0.8',
     "label limt (ignoring (limt) of /, on either side) does not exist there; did you mean limit?"),
    ("without a typo of a label the series have",
     'sum without (instnace) (rate(cortex_ingester_memory_series[5m])) > 0',
     "label instnace (sum without (instnace)) does not exist there; did you mean instance?"),
    # prometheus/dashboards/prometheus.json writes cluster=~".+" as its "All": that needs the label.
    (".+ needs the label", 'prometheus_remote_storage_shards{cluster=~".+"} > 0',
     'label cluster (matcher cluster=~".+" of prometheus_remote_storage_shards{cluster=~".+"}) does not exist'),
    ('!="" needs the label', 'prometheus_remote_storage_shards{cluster!=""} > 0', "label cluster"),
]


@pytest.mark.parametrize("expr", [c[1] for c in MIXIN_PASSING], ids=[c[0] for c in MIXIN_PASSING])
def test_mixin_queries_pass(expr: str) -> None:
    assert messages(CHECK, _mixin_stack(alert(expr))) == []


@pytest.mark.parametrize(("expr", "expected"), [c[1:] for c in MIXIN_FAILING], ids=[c[0] for c in MIXIN_FAILING])
def test_mixin_queries_fail(expr: str, expected: str) -> None:
    found = messages(CHECK, _mixin_stack(alert(expr)))
    assert len(found) == 1 and "error[catalog/label]" in found[0] and expected in found[0], found


def test_a_typo_in_a_matcher_that_matches_empty_is_a_warning() -> None:
    found = messages(CHECK, stack([alert('rate(http_requests_total{stauts!="500"}[5m]) > 1')]))
    assert len(found) == 1 and "warning[catalog/label]" in found[0], found
    assert "label stauts" in found[0] and "did you mean status?" in found[0]


def test_legend_after_grouping_by_a_grafana_variable_is_not_checked() -> None:
    # argocd/dashboards: by ($grouping) keeps whichever label the viewer picks.
    expr = 'sum(rate(http_requests_total{job="api"}[$__rate_interval])) by ($grouping)'
    variable = {"name": "grouping", "type": "custom", "query": "namespace,name,project"}
    assert messages(CHECK, stack(), dashboard((expr, "{{path}}: {{$grouping}}"), variables=[variable])) == []


def test_legend_name_of_a_plain_selector_passes() -> None:
    files = dashboard(('node_cpu_seconds_total{job="node", mode="idle"}', "{{__name__}} {{cpu}}"))
    assert messages(CHECK, stack(), files) == []


@pytest.mark.parametrize("expr", [
    'rate(node_cpu_seconds_total{job="node"}[$__rate_interval])',
    'sum without (cpu) (node_cpu_seconds_total{job="node"})',
    'node_cpu_seconds_total{job="node"} * 100',
    'node_cpu_seconds_total{job="node"} > bool 0',
], ids=["function", "without", "arithmetic", "bool comparison"])
def test_legend_name_after_it_is_dropped_fails(expr: str) -> None:
    found = messages(CHECK, stack(), dashboard((expr, "{{__name__}}")))
    assert len(found) == 1 and "label __name__ (legend" in found[0], found
    assert "labels available:" in found[0] and "__name__," not in found[0]


@pytest.mark.parametrize("expr", [
    'node_cpu_seconds_total{job="node"} > 0',
    'sort_desc(node_cpu_seconds_total{job="node"})',
    'topk(5, node_cpu_seconds_total{job="node"})',
    'last_over_time(node_cpu_seconds_total{job="node"}[5m])',
    'node_cpu_seconds_total{job="node"} unless node_cpu_seconds_total{mode="idle"}',
], ids=["filtering comparison", "sort", "topk", "last_over_time", "set operator"])
def test_legend_name_where_it_is_kept_passes(expr: str) -> None:
    assert messages(CHECK, stack(), dashboard((expr, "{{__name__}}"))) == []


def test_by_a_label_only_some_jobs_attach_is_a_warning() -> None:
    # http_requests_total comes from jobs api and model_service; only model_service's targets have team.
    found = messages(CHECK, _stack("sum by (team) (rate(http_requests_total[5m])) > 0"))
    assert len(found) == 1 and "warning[catalog/label]" in found[0], found
    assert ("label team (sum by (team)) is carried by only some of the series it groups (http_requests_total of "
            "job model_service has it, of job api not); the others are grouped under an empty team") in found[0]
    assert messages(CHECK, _stack('sum by (team) (rate(http_requests_total{job="model_service"}[5m])) > 0')) == []


def test_by_a_label_of_one_side_of_or_is_a_warning() -> None:
    expr = ('sum by (remote_name) (prometheus_remote_storage_shards or '
            'label_replace(prometheus_build_info, "x", "", "", "")) > 0')
    found = messages(CHECK, _mixin_stack(alert(expr)))
    assert len(found) == 1 and "warning[catalog/label]" in found[0] and "only some of the series" in found[0]
    assert "(one side of an `or` has it)" in found[0]


# Variables as prometheus/dashboards/prometheus-remote-write.json and prometheus.json define them.
CLUSTER_ALL_ANY = {"name": "cluster", "type": "query", "hide": 2, "includeAll": True, "allValue": ".*",
                   "query": "label_values(prometheus_build_info, cluster)",
                   "current": {"selected": False, "text": "$__all", "value": "$__all"}}
CLUSTER_ALL_JOINED = {"name": "cluster", "type": "query", "hide": 0, "includeAll": True,
                      "query": "label_values(prometheus_build_info, cluster)",
                      "current": {"selected": False, "text": "$__all", "value": "$__all"}}
CLUSTER_ALL_NONEMPTY = {"name": "cluster", "type": "query", "hide": 0, "includeAll": True, "allValue": ".+",
                        "multi": True, "query": "label_values(prometheus_build_info{job=\"prometheus\"}, cluster)",
                        "current": {"selected": False, "text": ["$__all"], "value": ["$__all"]}}
CLUSTER_CUSTOM_EMPTY = {"name": "cluster", "type": "custom", "query": ",prod", "options": []}
INSTANCE = {"name": "instance", "type": "query", "includeAll": True, "allValue": ".+",
            "query": 'label_values(prometheus_build_info{cluster=~"$cluster"}, instance)'}
# prometheus/dashboards/prometheus-remote-write.json, panel "Rate[5m]".
REMOTE_WRITE_RATE = ('rate(\n  prometheus_remote_storage_samples_in_total{cluster=~"$cluster", '
                     'instance=~"$instance"}[$__rate_interval])')


def _mixin_dashboard(expr: str, *variables: dict) -> dict[str, bytes]:
    return dashboard((expr, "{{instance}}"), variables=[*variables, INSTANCE])


def _panel_messages(cluster: dict, expr: str = REMOTE_WRITE_RATE) -> list[str]:
    """Findings on the panel (the variables' own label_values queries are checked as well)."""
    found = messages(CHECK, _mixin_stack(), _mixin_dashboard(expr, cluster))
    return [m for m in found if 'panel "P0"' in m]


@pytest.mark.parametrize("cluster", [CLUSTER_ALL_ANY, CLUSTER_ALL_JOINED, CLUSTER_CUSTOM_EMPTY],
                         ids=["allValue .*", "includeAll without allValue", "custom value empty"])
def test_variable_that_may_match_empty_is_no_evidence_of_the_label(cluster: dict) -> None:
    assert _panel_messages(cluster) == []


def test_variable_that_needs_a_value_reports_the_users_text() -> None:
    found = _panel_messages(CLUSTER_ALL_NONEMPTY)
    assert len(found) == 1, found
    assert ('label cluster (matcher cluster=~"$cluster" of prometheus_remote_storage_samples_in_total'
            '{cluster=~"$cluster",instance=~"$instance"}[$__rate_interval]) does not exist there') in found[0]
    assert "$variable" not in found[0] and "range_variable" not in found[0]


def test_variable_forms_are_printed_as_written() -> None:
    expr = 'prometheus_remote_storage_shards{cluster=~"${cluster:regex}", instance=~"[[instance]]"}'
    found = _panel_messages(CLUSTER_ALL_NONEMPTY, expr)
    assert len(found) == 1 and 'cluster=~"${cluster:regex}",instance=~"[[instance]]"' in found[0], found


def test_matcher_findings_share_a_cause_per_jobs() -> None:
    found = problems(CHECK, _mixin_stack(), _mixin_dashboard(REMOTE_WRITE_RATE, CLUSTER_ALL_NONEMPTY))
    assert [p.cause for p in found if p.obj.endswith('panel "P0" target A')] == [
        "label cluster is not emitted by jobs api, model_service"]


# kubernetes/dashboards/apiserver.json: a hidden cluster variable over label_values(up{...}, cluster),
# used as cluster="$cluster" in every panel. Where no series has cluster, the variable is empty
# and the matchers match every series: the variable says so once, as a warning.
K8S_CLUSTER = {"name": "cluster", "type": "query", "hide": 2, "includeAll": None, "allValue": None,
               "query": 'label_values(up{job="kube-apiserver"}, cluster)', "current": None}
K8S_PANEL = 'sum(rate(process_cpu_seconds_total{job="api", cluster="$cluster"}[$__rate_interval]))'


def test_hidden_label_values_variable_is_one_warning_and_panels_pass() -> None:
    files = dashboard((K8S_PANEL, ""), (K8S_PANEL.replace("sum(", "max("), ""), variables=[K8S_CLUSTER])
    found = messages(CHECK, stack(), files)
    assert len(found) == 1, found
    assert "warning[catalog/label]" in found[0] and "variable cluster" in found[0]
    assert "the variable is hidden, so it stays empty" in found[0]


def test_shown_label_values_variable_over_a_missing_label_is_an_error() -> None:
    shown = {**K8S_CLUSTER, "hide": 0}
    found = messages(CHECK, stack(), dashboard((K8S_PANEL, ""), variables=[shown]))
    assert len(found) == 1 and "error[catalog/label]" in found[0] and "variable cluster" in found[0], found


def test_series_of_jobs_the_stack_does_not_declare_may_carry_any_label() -> None:
    # alertmanager/alerts.yaml AlertmanagerClusterDown, in a stack that only owns rules.
    expr = ('(count by (job) (avg_over_time(up{job="alertmanager"}[5m]) < 0.5) / '
            'count by (job) (up{job="alertmanager"})) >= 0.5')
    assert messages(CHECK, stack([alert(expr)], prometheus=None, job_catalogs={})) == []


def test_no_suggestion_unless_it_is_very_likely_right() -> None:
    # kubernetes/rules.yaml: owner_name is not a misspelt job_name.
    found = messages(CHECK, _stack("count by (owner_name) (http_requests_total) > 0"))
    assert len(found) == 1 and "did you mean" not in found[0], found


def test_a_label_no_selected_series_has_is_one_cause_wherever_it_is_used() -> None:
    by = alert("sum by (cluster) (up) > 0", name="ByCluster")
    matcher = alert('up{cluster="eu"} == 0', name="OnCluster")
    templated = alert("up == 0", name="Templated", labels={"where": "{{ $labels.cluster }}"})
    found = problems(CHECK, stack([by, matcher, templated]))
    assert {p.cause for p in found} == {"label cluster is not emitted by jobs api, model_service, node"}, found
    assert len(found) == 3


def test_a_label_dropped_by_the_expression_keeps_its_own_message_as_cause() -> None:
    files = dashboard(('count(up{job="node"})', "{{instance}}"))
    found = problems(CHECK, stack(), files)
    assert len(found) == 1 and found[0].cause == "" and found[0].reason == found[0].message


@pytest.mark.parametrize(("written", "shown"), [
    ('rate(x{a=~"$a"}[$__rate_interval])', 'rate(x{a=~"$a"}[$__rate_interval])'),
    ('max_over_time(x{a="${a:regex}"}[$__range:$__interval])', 'max_over_time(x{a="${a:regex}"}[$__range:$__interval])'),
    ('x{a=~"[[a]]"} offset $__interval', 'x{a=~"[[a]]"} offset $__interval'),
    ('rate(x[$interval]) * $__interval_ms', 'rate(x[$interval]) * 60000'),
    ('x # a comment with $a\n', "x"),
], ids=["range", "subquery", "old syntax and offset", "interval variable and a number", "comment kept"])
def test_substituted_queries_parse_and_print_as_written(written: str, shown: str) -> None:
    assert display(str(parse(substitute(written)))).replace("{}", "") == shown


def test_a_variable_that_only_takes_numbers_parses_as_a_number() -> None:
    # aerospike/dashboards/aerospike-overview.json: topk($k, ...) with k a custom "2 : 2,4 : 4" variable.
    k = {"name": "k", "type": "custom", "query": "2 : 2,4 : 4,6 : 6", "current": {"text": "2", "value": "2"},
         "options": [{"text": "2", "value": "2"}, {"text": "4", "value": "4"}]}
    files = dashboard(('topk($k, sum by (mode) (rate(node_cpu_seconds_total{job="node"}[5m])))', "{{mode}}"),
                      variables=[k])
    query = dashboard_queries("grafana/dashboards/d1.json", json.loads(files["grafana/dashboards/d1.json"]))[0]
    assert query.ast is not None and query.parsed.startswith("topk(2, ")
    assert messages(CHECK, stack(), files) == []


def test_by_a_label_the_catalog_says_may_be_empty_is_a_warning() -> None:
    zones = Catalog(name="zones", metrics=[Metric(name="zone_info", type="gauge", labels=["zone"],
                                                   label_values={"zone": ["", "eu-1"]})])
    s = stack([alert("count by (zone) (zone_info) > 0")], job_catalogs={"api": [zones]})
    found = messages(CHECK, s)
    assert len(found) == 1 and "warning[catalog/label]" in found[0], found
    assert "(the catalog of zone_info says it may be empty)" in found[0]
