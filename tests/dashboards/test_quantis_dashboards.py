"""What the Quantis dashboards promise: the seed's five dashboards and one per monitoring area,
modern panels with units, variables used by panels, alert thresholds drawn."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from stacks.quantis.config import CONFIG

GRAFANA = Path(__file__).resolve().parents[2] / "generated" / "quantis" / "grafana"
#: The seed's five dashboards.
SEED_UIDS = ["api-performance", "database", "infrastructure", "model-performance", "system-overview"]
#: One per monitoring area of issue 18 (stacks/quantis/dashboards/).
AREA_UIDS = ["quantis-data-quality", "quantis-mlops", "quantis-security", "quantis-user-activity"]
UIDS = SEED_UIDS + AREA_UIDS


def _dashboard(uid: str) -> dict:
    return json.loads((GRAFANA / "dashboards" / f"{uid}.json").read_text())


def _panels(uid: str) -> dict[str, dict]:
    return {p["title"]: p for p in _dashboard(uid)["panels"]}


def test_the_seed_and_area_dashboards_and_the_error_budget_one_are_written():
    # quantis-slos: the error-budget dashboard of the stack's SLOs (tests/slo/test_dashboard.py)
    assert sorted(p.stem for p in (GRAFANA / "dashboards").glob("*.json")) == sorted([*UIDS, "quantis-slos"])


@pytest.mark.parametrize("uid", UIDS)
def test_panels_are_modern_types_with_units(uid):
    for title, panel in _panels(uid).items():
        assert panel["type"] in {"timeseries", "stat", "gauge", "bargauge", "table", "heatmap"}, title
        if panel["type"] != "table":
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{uid}: {title} has no unit"


@pytest.mark.parametrize("uid, expected", [
    ("system-overview", {"job", "instance"}), ("api-performance", {"job", "instance"}),
    ("database", {"job", "instance"}), ("infrastructure", {"job", "instance"}),
    ("model-performance", {"job", "instance", "model_id"}),
    ("quantis-data-quality", {"job", "instance", "model_id", "feature_name"}),
    ("quantis-security", {"job", "instance"}),
])
def test_variables_are_defined_and_every_query_uses_them(uid, expected):
    dashboard = _dashboard(uid)
    assert {v["name"] for v in dashboard["templating"]["list"]} == expected
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in expected - _exempt(uid, target["expr"]):
                assert f"${name}" in target["expr"], f"{panel['title']}: {target['expr']}"


def _exempt(uid: str, expr: str) -> set[str]:
    """Variables a query may leave out: $feature_name where its metric has no feature_name label
    (a per-model series); $job and $instance on Infrastructure where it names the jobs it reads
    (the services' processes, the blackbox probes; the variables list the node exporters)."""
    from instrumentation.catalog import by_name

    if uid == "quantis-data-quality":
        metrics = [name.removesuffix("_total") for name in re.findall(r"([a-z_:][a-z0-9_:]*)\{", expr)]
        assert metrics, expr
        return set() if any("feature_name" in by_name(name).labels for name in metrics) else {"feature_name"}
    if uid == "infrastructure" and (f'job="{CONFIG.blackbox.name}"' in expr or 'job=~"api|model_service"' in expr):
        return {"job", "instance"}
    return set()


def test_seed_api_panels_keep_their_queries_and_units():
    panels = _panels("api-performance")
    rate = panels["API Request Rate"]
    assert "rate(http_requests_total{" in rate["targets"][0]["expr"] and "[5m]" in rate["targets"][0]["expr"]
    assert "by (method, path)" in rate["targets"][0]["expr"]
    assert rate["fieldConfig"]["defaults"]["unit"] == "reqps"
    p95 = panels["API Response Time (p95)"]
    assert p95["targets"][0]["expr"].startswith("histogram_quantile(0.95, sum by (le, path) (rate(http_request_duration_seconds_bucket{")
    assert p95["fieldConfig"]["defaults"]["unit"] == "s"


def test_model_dashboard_draws_alert_thresholds():
    panels = _panels("model-performance")
    mape = panels["Model MAPE (%)"]
    assert 'metric_type="mape"' in mape["targets"][0]["expr"]
    assert mape["fieldConfig"]["defaults"]["unit"] == "percent"
    drift = panels["Feature Drift Score"]["fieldConfig"]["defaults"]
    assert drift["thresholds"]["steps"][-1]["value"] == CONFIG.thresholds.drift_score_above
    assert drift["custom"]["thresholdsStyle"]["mode"] == "line+area"
    assert mape["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] == CONFIG.thresholds.model_mape_percent_above
    assert panels["Feature Importance"]["type"] == "bargauge"


def test_every_reference_points_at_the_provisioned_prometheus_uid():
    for uid in UIDS:
        for panel in _dashboard(uid)["panels"]:
            refs = [panel["datasource"], *(t["datasource"] for t in panel["targets"])]
            assert all(r == {"type": "prometheus", "uid": "prometheus"} for r in refs), panel["title"]


def test_datasources_provision_prometheus_and_the_log_index():
    datasources = {d["type"]: d for d in yaml.safe_load((GRAFANA / "provisioning/datasources/datasources.yml").read_text())["datasources"]}
    assert datasources["prometheus"]["uid"] == "prometheus" and datasources["prometheus"]["isDefault"] is True
    assert datasources["prometheus"]["jsonData"]["timeInterval"] == CONFIG.scrape_interval
    assert datasources["elasticsearch"]["jsonData"]["index"] == "quantis-logs"
    assert datasources["elasticsearch"]["jsonData"]["timeField"] == "@timestamp"


def test_dashboard_provider_reads_files_without_ui_changes_or_deletion():
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/dashboards.yml").read_text())["providers"][0]
    assert provider["type"] == "file" and provider["disableDeletion"] is True and provider["allowUiUpdates"] is False
    assert provider["options"]["foldersFromFilesStructure"] is True
