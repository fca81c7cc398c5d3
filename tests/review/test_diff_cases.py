"""The semantic diff as a table of cases: an edit of the generated tree and the changes a
reviewer must see (section, action, object, and each field's before → after)."""

from __future__ import annotations

from typing import Any, Callable

import pytest
import yaml

from obscode.diff import diff_stack
from obscode.diff.markdown import render, render_stack
from tests.review.edits import AM, BOARD, PROM, RULES, SYSTEM_RULES, Tree, alert, base_tree, edit_json, edit_yaml, panel


def _threshold(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        rule = alert(data, "HighModelError")
        rule["expr"] = rule["expr"].replace("> 15", "> 10")
        rule["annotations"]["description"] = "MAPE is above 10% for 30 minutes"
    return edit_yaml(tree, RULES, change)


def _new_alert(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        data["groups"][0]["rules"].append({
            "alert": "PredictionsStopped", "expr": "sum(rate(model_predictions_total[5m])) == 0", "for": "10m",
            "labels": {"severity": "critical", "category": "model"}})
    return edit_yaml(tree, RULES, change)


def _reordered(tree: Tree) -> Tree:
    tree = edit_yaml(tree, RULES, lambda d: d["groups"][0]["rules"].reverse())
    tree = edit_yaml(tree, PROM, lambda d: (d["scrape_configs"].reverse(), d["rule_files"].reverse()))
    tree = edit_yaml(tree, AM, lambda d: d["receivers"].reverse())
    tree = edit_json(tree, BOARD, lambda d: d["panels"].reverse())
    # Same content, different formatting: YAML flow style and compact JSON.
    return {**tree, SYSTEM_RULES: yaml.safe_dump(yaml.safe_load(tree[SYSTEM_RULES]), default_flow_style=True).encode()}


def _route(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        data["route"]["routes"][1]["matchers"].append('severity="critical"')
    return edit_yaml(tree, AM, change)


def _route_continue(tree: Tree) -> Tree:
    return edit_yaml(tree, AM, lambda d: d["route"]["routes"][0].pop("continue"))


def _route_restructured_same_reach(tree: Tree) -> Tree:
    """A regex matcher meaning the same, and a redundant child route: same receivers."""
    def change(data: Any) -> None:
        model = data["route"]["routes"][1]
        model["matchers"] = ['category=~"model"']
        model["routes"] = [{"matchers": ['severity="warning"'], "receiver": "data-science-team"}]
    return edit_yaml(tree, AM, change)


def _route_under_catch_all(tree: Tree) -> Tree:
    """The model route moves under a catch-all child. Alerts no child of the catch-all takes
    stop there and go to its (inherited) receiver, so critical alerts now also e-mail the team."""
    def change(data: Any) -> None:
        model = data["route"]["routes"].pop(1)
        data["route"]["routes"].append({"matchers": ['category=~".*"'], "routes": [model]})
    return edit_yaml(tree, AM, change)


def _receiver(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        data["receivers"][2]["slack_configs"][0]["channel"] = "#ml-oncall"
    return edit_yaml(tree, AM, change)


def _inhibit(tree: Tree) -> Tree:
    return edit_yaml(tree, AM, lambda d: d["inhibit_rules"][0]["equal"].append("model_id"))


def _scrape(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        job = next(j for j in data["scrape_configs"] if j["job_name"] == "model_service")
        job["scrape_interval"] = "30s"
        job["static_configs"][0]["targets"].append("model-service-2:8001")
    return edit_yaml(tree, PROM, change)


def _panel_moved(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        panel(data, "Drift score")["gridPos"].update(x=0, y=14)
    return edit_json(tree, BOARD, change)


def _panel_query(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        panel(data, "Predictions per second")["targets"][0]["expr"] = "sum(rate(model_predictions_total[1m]))"
    return edit_json(tree, BOARD, change)


def _panel_added_variable_removed(tree: Tree) -> Tree:
    def change(data: Any) -> None:
        data["panels"].append({"id": 5, "type": "stat", "title": "Models", "gridPos": {"x": 0, "y": 14, "w": 6, "h": 4},
                               "targets": [{"refId": "A", "expr": "count(model_drift_score)"}]})
        data["templating"]["list"] = []
    return edit_json(tree, BOARD, change)


def _for_changed(tree: Tree) -> Tree:
    return edit_yaml(tree, SYSTEM_RULES, lambda d: alert(d, "ServiceDown").update({"for": "3m"}))


CASES: list[tuple[str, Callable[[Tree], Tree], list[tuple[str, str, str, list[tuple[str, Any, Any]]]]]] = [
    ("threshold change", _threshold, [("alerts", "changed", "HighModelError", [
        ("threshold", "> 15", "> 10"),
        ("annotations.description", "MAPE is above 15% for 30 minutes", "MAPE is above 10% for 30 minutes")])]),
    ("new alert", _new_alert, [("alerts", "added", "PredictionsStopped", [
        ("expr", None, "sum(rate(model_predictions_total[5m])) == 0"), ("for", None, "10m"),
        ("labels.category", None, "model"), ("labels.severity", None, "critical")])]),
    ("reordered rules, jobs, receivers and panels", _reordered, []),
    ("alert for changed", _for_changed, [("alerts", "changed", "ServiceDown", [("for", "1m", "3m")])]),
    ("route change", _route, [("routes", "changed", "reachability", [
        ("category=model, no severity", "data-science-team", "team-email"),
        ("category=model, severity=warning", "data-science-team", "team-email")])]),
    ("route continue removed", _route_continue, [("routes", "changed", "reachability", [
        ("category=model, severity=critical", "data-science-team, pager", "pager")])]),
    ("route tree restructured, same receivers", _route_restructured_same_reach, []),
    ("route moved under a catch-all", _route_under_catch_all, [("routes", "changed", "reachability", [
        ("category=<any other value>, severity=critical", "pager", "pager, team-email"),
        ("category=system, severity=critical", "pager", "pager, team-email"),
        ("no category, severity=critical", "pager", "pager, team-email")])]),
    ("receiver change", _receiver, [("receivers", "changed", "data-science-team", [
        ("slack_configs[0].channel", "#data-science-alerts", "#ml-oncall")])]),
    ("inhibit rule change", _inhibit, [
        ("inhibit rules", "removed", '{severity="critical"} mutes {severity="warning"} when equal: alertname, service', []),
        ("inhibit rules", "added",
         '{severity="critical"} mutes {severity="warning"} when equal: alertname, model_id, service', [])]),
    ("scrape job change", _scrape, [("scrape", "changed", "job model_service", [
        ("targets", "model-service:8001", "model-service-2:8001, model-service:8001"),
        ("scrape_interval", "10s", "30s")])]),
    ("panel moved", _panel_moved, [("dashboards", "changed", "Model overview (model-overview)", [
        ('panel "Drift score" moved', "x=12 y=0", "x=0 y=14")])]),
    ("panel query changed", _panel_query, [("dashboards", "changed", "Model overview (model-overview)", [
        ('panel "Predictions per second" query A', "sum(rate(model_predictions_total[5m]))",
         "sum(rate(model_predictions_total[1m]))")])]),
    ("panel added, variable removed", _panel_added_variable_removed, [
        ("dashboards", "changed", "Model overview (model-overview)", [
            ('panel "Models" added', None, "stat at x=0 y=14, 6×4: count(model_drift_score)"),
            ("variable $model_id removed", "label_values(model_prediction_error, model_id)", None)])]),
]


def _shape(tree: Tree) -> list[tuple[str, str, str, list[tuple[str, Any, Any]]]]:
    result = diff_stack("quantis", base_tree(), tree)
    return [(c.section, c.action, c.name, [(f.field, f.before, f.after) for f in c.fields]) for c in result.changes]


@pytest.mark.parametrize(("edit", "expected"), [(e, x) for _, e, x in CASES], ids=[d for d, _, _ in CASES])
def test_diff_reports_exactly_the_change(edit: Callable[[Tree], Tree], expected: list[Any]) -> None:
    assert _shape(edit(base_tree())) == expected


def test_identical_trees_have_no_changes() -> None:
    assert not diff_stack("quantis", base_tree(), base_tree())


def test_threshold_change_reads_as_the_threshold_in_markdown() -> None:
    text = render_stack(diff_stack("quantis", base_tree(), _threshold(base_tree())))
    assert ('  - threshold on `model_prediction_error{metric_type="mape"}`: `> 15` → `> 10`' in text.splitlines())


def test_route_change_reads_as_who_is_reached_and_which_alerts_it_affects() -> None:
    text = render_stack(diff_stack("quantis", base_tree(), _route(base_tree())))
    assert ("  - category=model, severity=warning now reaches: **team-email** (before: data-science-team)"
            " — alerts: DataDriftDetected, HighModelError, SlowPredictions") in text.splitlines()


def test_removed_stack_output_lists_every_alert_as_removed() -> None:
    result = diff_stack("quantis", base_tree(), {})
    assert {c.name for c in result.section("alerts") if c.action == "removed"} == {
        "HighCpuUsage", "HighMemoryUsage", "ServiceDown", "HighModelError", "DataDriftDetected", "SlowPredictions"}


def test_headline_counts_only_the_stacks_that_changed() -> None:
    changed = diff_stack("quantis", base_tree(), _threshold(base_tree()))
    unchanged = diff_stack("other", base_tree(), base_tree())
    text = render([changed, unchanged], "main")
    assert "1 change in 1 stack (1 more stack unchanged)." in text.splitlines()


def test_headline_without_changes_says_so() -> None:
    text = render([diff_stack("quantis", base_tree(), base_tree())], "main")
    assert "No changes." in text.splitlines()
