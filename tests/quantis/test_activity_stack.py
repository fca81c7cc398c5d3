"""User activity in the Quantis stack, without a live stack: the alerts, the dashboard and the
demo service's routes and instruments (tests/integration/test_activity_live.py runs them for real)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from obscode import AlertRule, RuleFile, RuleGroup
from obscode.checks import CheckContext, run_checks
from obscode.emit import render
from obscode.model.catalog import from_instrumentation
from stacks.quantis import stack as quantis
from stacks.quantis.activity_alerts import funnel_pairs, rule_files
from stacks.quantis.config import CONFIG
from stacks.quantis.dashboards import user_activity
from stacks.quantis.profiles import local_config
from stacks.quantis.service import activity as service_activity
from stacks.quantis.service.app import create_app
from stacks.quantis.service.processes import free_port
from stacks.quantis.service.settings import ServiceSettings

CATALOG_CHECKS = ("catalog/metric", "catalog/label")


@pytest.fixture(scope="module")
def app():
    app = create_app(ServiceSettings(port=free_port(), model_metrics_port=free_port()))
    yield app
    app.state.instrumentation.uninstrument()  # its log handler, before pytest closes the captured stream


def _with_service_catalog(app, extra: list[AlertRule] = ()):
    """Quantis with the api job's activity catalog built from the service's own UserActivity:
    its declared plans and features are the only label values a query may ask for."""
    strict = from_instrumentation("instrumentation-activity", app.state.activity.specs())
    catalogs = {job: [strict if c.name == strict.name else c for c in refs] for job, refs in quantis.job_catalogs.items()}
    rule_files_ = list(quantis.rule_files)
    if extra:
        rule_files_.append(RuleFile(name="extra", groups=[RuleGroup(name="extra", rules=list(extra))]))
    return quantis.model_copy(update={"job_catalogs": catalogs, "rule_files": rule_files_})


def _catalog_problems(stack) -> list[str]:
    return [str(p) for p in run_checks(CheckContext(stack=stack, files=render(stack)), only=CATALOG_CHECKS)]


def test_alerts_and_panels_ask_only_for_what_the_service_emits(app) -> None:
    assert _catalog_problems(_with_service_catalog(app)) == []


def test_a_plan_the_service_does_not_declare_is_refused(app) -> None:
    gold = AlertRule(alert="GoldUsers", expr='sum(rate(api_usage_total{job="api", plan="gold"}[5m])) > 0',
                     labels={"severity": "warning"}, annotations={"summary": "s", "description": "d"})
    found = _catalog_problems(_with_service_catalog(app, [gold]))
    assert any("gold" in message and "plan" in message for message in found), found


def test_one_funnel_rule_per_consecutive_pair_and_the_dashboard_draws_each() -> None:
    rules = rule_files(CONFIG)[0].groups[0].rules
    funnel = [r for r in rules if r.alert == "FunnelConversionLow"]
    assert [(r.labels["funnel_from"], r.labels["funnel_to"]) for r in funnel] == [("visit", "forecast"),
                                                                                  ("forecast", "export")]
    assert funnel_pairs(CONFIG) == list(zip(CONFIG.activity.funnel, CONFIG.activity.funnel[1:]))
    for rule in rules:
        assert rule.labels["category"] == "product" and rule.labels["service"] == "api"
        assert rule.labels["owner"] == CONFIG.activity.owner
        assert rule.annotations["runbook_url"].startswith(CONFIG.runbook_base_url)
    board = user_activity.build(CONFIG).to_json_data()
    assert board["uid"] == "quantis-user-activity"
    exprs = [t.expr for panel in board["panels"] for t in panel.targets]
    for before, after in funnel_pairs(CONFIG):
        assert any(f'feature="{before}"' in e and f'feature="{after}"' in e for e in exprs), (before, after)


def test_the_local_profile_shortens_the_activity_for_durations() -> None:
    local = local_config(CONFIG).activity
    assert local.for_funnel_conversion == "3s" and local.for_active_users_missing == "2s"  # the 2s floor
    assert local.funnel_window == CONFIG.activity.funnel_window  # thresholds and windows stay production's
    assert {r.for_ for r in rule_files(local_config(CONFIG))[0].groups[0].rules} == {"3s", "2s"}


def test_the_service_counts_features_plans_sessions_and_never_a_user_id(app) -> None:
    headers = {"X-User-Id": "user-8d1f2c", "X-Plan": "pro"}
    with TestClient(app) as client:
        assert client.post("/api/sessions", headers=headers).status_code == 201
        assert client.post("/api/forecast", json={"store_id": 1}, headers=headers).status_code == 200
        backtest = client.post("/api/backtest", json={"store_id": 2, "horizon": 7}, headers={"X-Plan": "gold"})
        assert backtest.status_code == 200 and backtest.json()["mape"] >= 0
        export = client.post("/api/export", json={"store_id": 1, "horizon": 3}, headers=headers)
        assert export.headers["content-type"].startswith("text/csv")
        assert export.text.splitlines()[0] == "day,forecast,lower,upper" and len(export.text.splitlines()) == 4
        # A refused request is no use of the feature.
        assert client.post("/api/export", json={"store_id": 99}, headers=headers).status_code == 422
        assert client.post("/api/sessions/end", json={"seconds": 312.5}).status_code == 200
        refused = client.post("/api/sessions/end", json={"seconds": -1})
        assert refused.status_code == 422 and "greater than or equal to 0" in refused.text
        text = client.get("/metrics").text
    assert 'feature_usage_total{feature="visit",plan="pro"} 1.0' in text
    assert 'feature_usage_total{feature="forecast",plan="pro"} 1.0' in text
    assert 'feature_usage_total{feature="backtest",plan="other"} 1.0' in text
    assert 'feature_usage_total{feature="export",plan="pro"} 1.0' in text
    assert 'api_usage_total{path="/api/export",plan="pro"} 2.0' in text
    assert "user_session_duration_seconds_count 1.0" in text
    active = [line for line in text.splitlines() if line.startswith('active_users{window="5m"}')]
    assert active and round(float(active[0].split()[1])) == 1
    assert "user-8d1f2c" not in text


def test_feature_routes_must_name_declared_features(app) -> None:
    with pytest.raises(ValueError, match="feature route\\(s\\) for undeclared feature\\(s\\): share"):
        service_activity.FeatureRoutes(app.state.activity, None, {("POST", "/api/share"): "share"})


@pytest.mark.parametrize("raw", ["0.5", "fast", "inf"])
def test_time_scale_must_be_a_number_of_at_least_one(raw: str) -> None:
    with pytest.raises(ValueError, match=f"QUANTIS_ACTIVITY_TIME_SCALE='{raw}' must be a number of at least 1"):
        service_activity.time_scale({service_activity.TIME_SCALE_VARIABLE: raw})
    assert service_activity.time_scale({}) == 1.0


def test_the_declared_sets_are_the_config_s() -> None:
    assert set(service_activity.FEATURE_ROUTES.values()) <= set(CONFIG.activity.features)
    assert set(CONFIG.activity.funnel) <= set(CONFIG.activity.features)
