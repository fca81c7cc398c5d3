"""The error-budget dashboard (obscode/slo/dashboard.py): one per stack with SLOs, a row per
service, per SLO the objective, SLI, budget left, burn rate per window and the tiers firing;
its queries read only the SLO recording rules and ALERTS, it validates against Grafana's
upstream JSON schemas and ``obscode check`` finds nothing on it."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from obscode import PrometheusConfig, ScrapeConfig, Stack, StaticConfig
from obscode.build import build
from obscode.cli import main
from obscode.checks import CheckContext, run_checks
from obscode.emit import render
from obscode.errors import DefinitionError
from obscode.model.rules import AlertRule, RecordingRule
from obscode.promql import parse, selectors
from obscode.model.slo import SLO, BurnRateTier, LatencySLI, RatioSLI
from obscode.slo import dashboard
from obscode.slo.names import alert_name, window_rule, windows
from tests.dashboards.test_upstream_keys import PANEL_KINDS, load

UID = "shop-slos"
FILE = f"grafana/dashboards/{UID}.json"


def availability(**overrides: Any) -> SLO:
    fields: dict[str, Any] = {"name": "api-availability", "service": "api", "objective": Decimal("99.9"), **overrides}
    return SLO(sli=RatioSLI(total='http_requests_total{job="api"}', bad='http_requests_total{job="api", status=~"5.."}'),
               **fields)


def latency() -> SLO:
    return SLO(name="api-latency", service="api", objective=Decimal("99"),
               sli=LatencySLI(histogram='http_request_duration_seconds{job="api"}', threshold=Decimal("0.5")))


def predictions() -> SLO:
    return SLO(name="model-predictions", service="model", objective=Decimal("99.5"), period="28d",
               sli=RatioSLI(total='http_requests_total{job="model"}', good='http_requests_total{job="model", status="200"}'))


def shop(slos: list[SLO], dashboards: list[Any] | None = None) -> Stack:
    return Stack(
        name="shop",
        prometheus=PrometheusConfig(scrape_configs=[
            ScrapeConfig(job_name=job, static_configs=[StaticConfig(targets=[f"{job}:8000"])]) for job in ("api", "model")]),
        job_catalogs={"api": ["instrumentation-http"], "model": ["instrumentation-http"]},
        slos=slos,
        dashboards=dashboards or [],
    )


def board(slos: list[SLO]) -> dict[str, Any]:
    """The dashboard JSON as obscode writes it."""
    return json.loads(render(shop(slos))[FILE])


def panel(data: dict[str, Any], title: str) -> dict[str, Any]:
    found = [p for p in data["panels"] if p["title"] == title]
    assert len(found) == 1, [p["title"] for p in data["panels"]]
    return found[0]


def exprs(p: dict[str, Any]) -> list[str]:
    return [t["expr"] for t in p.get("targets", [])]


# one dashboard per stack, none without SLOs


def test_a_stack_without_slos_has_no_slo_dashboard() -> None:
    stack = shop([])
    assert dashboard.dashboards(stack) == []
    assert not [path for path in render(stack) if path.startswith("grafana/dashboards/")]


def test_a_stack_with_slos_has_one_dashboard_named_after_it() -> None:
    data = board([availability(), predictions()])
    assert (data["uid"], data["title"]) == ("shop-slos", "Shop SLOs")
    assert [p for p in render(shop([availability(), predictions()])) if p.startswith("grafana/dashboards/")] == [FILE]


# grouped by service


def test_each_service_has_a_row_holding_its_slos_in_declaration_order() -> None:
    data = board([availability(), predictions(), latency()])
    layout = [(p["type"], p["title"]) for p in data["panels"] if p["type"] == "row" or p["title"].endswith("objective")]
    assert layout == [("row", "Service api"), ("text", "api-availability: objective"), ("text", "api-latency: objective"),
                      ("row", "Service model"), ("text", "model-predictions: objective")]


def test_each_slo_band_sits_below_its_service_row_and_above_the_next() -> None:
    data = board([availability(), predictions()])
    rows = {p["title"]: p["gridPos"]["y"] for p in data["panels"] if p["type"] == "row"}
    for p in data["panels"]:
        if p["type"] == "row":
            continue
        y = p["gridPos"]["y"]
        if p["title"].startswith("api-"):
            assert rows["Service api"] < y < rows["Service model"], p["title"]
        else:
            assert y > rows["Service model"], p["title"]


# the panels of one SLO


def test_an_slo_has_its_objective_sli_budget_burn_rate_and_alert_state() -> None:
    data = board([availability()])
    titles = [p["title"] for p in data["panels"] if p["type"] != "row"]
    assert titles == ["api-availability: objective", "api-availability: SLI over 30d",
                      "api-availability: error budget left", "api-availability: tiers firing",
                      "api-availability: burn rate"]


def test_the_objective_panel_states_the_objective_budget_and_each_tier() -> None:
    content = panel(board([availability()]), "api-availability: objective")["options"]["content"]
    assert "**99.9 %** of events good over **30d**; error budget 0.1 % of events." in content
    assert "| page-fast | 14.4 | 1h / 5m | page (critical) |" in content
    assert "| ticket-slow | 1 | 3d / 6h | ticket (warning) |" in content


def test_the_sli_is_one_minus_the_error_ratio_over_the_period_red_below_the_objective() -> None:
    p = panel(board([availability()]), "api-availability: SLI over 30d")
    assert exprs(p) == ['1 - slo:sli_error:ratio_rate30d{slo="api-availability"}']
    assert p["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert p["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "red", "value": None}, {"color": "green", "value": 0.999}]


def test_the_budget_left_is_a_percentage_that_goes_negative_when_overspent() -> None:
    p = panel(board([availability()]), "api-availability: error budget left")
    assert exprs(p) == ['1 - slo:sli_error:ratio_rate30d{slo="api-availability"} / 0.001']
    assert p["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert p["fieldConfig"]["defaults"]["thresholds"]["steps"][:2] == [
        {"color": "red", "value": None}, {"color": "orange", "value": 0.0}]


def test_the_burn_rate_is_drawn_per_recorded_window_with_the_tiers_factors_as_lines() -> None:
    slo = availability()
    p = panel(board([slo]), "api-availability: burn rate")
    assert p["type"] == "timeseries"
    assert exprs(p) == [f'slo:sli_error:ratio_rate{w}{{slo="api-availability"}} / 0.001' for w in windows(slo)]
    assert [t["legendFormat"] for t in p["targets"]] == [f"over {w}" for w in windows(slo)]
    steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps == [{"color": "green", "value": None}, {"color": "orange", "value": 1.0},
                     {"color": "orange", "value": 3.0}, {"color": "red", "value": 6.0},
                     {"color": "red", "value": 14.4}]
    assert p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "dashed"}


def test_the_factor_lines_follow_the_period_and_the_tiers_given() -> None:
    slo = predictions()  # 28 days: the workbook's shares give 13.44, 5.6, 2.8 and 0.9333…
    tiers = [BurnRateTier(name="page", budget_share=Decimal("0.02"), long_window="1h", short_window="5m", action="page")]
    p = panel(board([slo, availability(tiers=tiers)]), "api-availability: burn rate")
    assert [s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 14.4]
    p = panel(board([predictions()]), "model-predictions: burn rate")
    assert [s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]][1:] == [
        float(tier.factor("28d")) for tier in sorted(slo.tiers, key=lambda t: t.factor("28d"))]
    assert 13.44 in [s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_the_alert_state_shows_the_firing_tiers_of_the_slos_alert() -> None:
    p = panel(board([availability()]), "api-availability: tiers firing")
    assert exprs(p) == ['sum by (slo_tier) (ALERTS{alertname="ApiAvailabilityBudgetBurn", slo="api-availability", '
                        'alertstate="firing"})']
    assert p["targets"][0]["legendFormat"] == "{{slo_tier}}"
    assert p["options"]["textMode"] == "name"
    assert p["fieldConfig"]["defaults"]["noValue"] == "none firing"


def test_an_slo_without_tiers_has_no_alert_state_and_no_factor_lines() -> None:
    data = board([availability(tiers=[])])
    assert [p["title"] for p in data["panels"] if p["title"].endswith("tiers firing")] == []
    widths = [p["gridPos"]["w"] for p in data["panels"] if p["type"] in ("text", "stat")]
    assert widths == [8, 8, 8]
    burn = panel(data, "api-availability: burn rate")
    assert burn["fieldConfig"]["defaults"]["thresholds"]["steps"] == [{"color": "green", "value": None}]
    assert "No burn-rate tier alerts" in panel(data, "api-availability: objective")["options"]["content"]


def test_budgets_are_written_as_exact_decimals() -> None:
    assert exprs(panel(board([availability(objective=Decimal("99.999"), tiers=[])]), "api-availability: error budget left")) == [
        '1 - slo:sli_error:ratio_rate30d{slo="api-availability"} / 0.00001']
    assert dashboard.decimal_text(Decimal("1E-5")) == "0.00001"
    assert dashboard.decimal_text(Decimal("14.400")) == "14.4"


# queries read only known series


def test_every_query_reads_only_the_slo_recording_rules_and_the_slos_alerts() -> None:
    stack = shop([availability(), latency(), predictions()])
    data = json.loads(render(stack)[FILE])
    records = {r.record for f in stack.rule_files for g in f.groups for r in g.rules if isinstance(r, RecordingRule)}
    alerts = {r.alert for f in stack.rule_files for g in f.groups for r in g.rules if isinstance(r, AlertRule)}
    recorded = {window_rule(w) for slo in stack.slos for w in windows(slo)}
    seen: set[str] = set()
    for p in data["panels"]:
        for expr in exprs(p):
            for selector in selectors(parse(expr)):
                seen.add(str(selector.name))
                if selector.name == "ALERTS":
                    assert selector.equals("alertname") in alerts, expr
                else:
                    assert selector.name in recorded and selector.name in records, expr
                    assert selector.equals("slo") in {slo.name for slo in stack.slos}, expr
    assert seen == recorded | {"ALERTS"}
    assert {alert_name(slo) for slo in stack.slos} <= alerts


# what Grafana and obscode check accept


def _validator(kind: str, definition: str) -> jsonschema.Draft7Validator:
    document = load(kind)
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{definition}", "definitions": document["definitions"]})


def _schema_errors(kind: str, definition: str, value: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(kind, definition).iter_errors(value)]


def test_the_dashboard_validates_against_grafanas_dashboard_schema() -> None:
    data = board([availability(), latency(), predictions(), availability(name="api-tierless", tiers=[])])
    assert _schema_errors("dashboard", "Dashboard", data) == []


def test_each_panels_options_and_queries_validate_against_their_upstream_schemas() -> None:
    data = board([availability(), latency(), predictions()])
    kinds = {p["type"] for p in data["panels"]}
    assert kinds == {"row", "text", "stat", "timeseries"}
    for p in data["panels"]:
        if p["type"] == "row":
            assert _schema_errors("dashboard", "RowPanel", p) == []
            continue
        kind = PANEL_KINDS[p["type"]]
        assert _schema_errors(kind, "Options", p["options"]) == [], p["title"]
        if "FieldConfig" in load(kind)["definitions"]:
            assert _schema_errors(kind, "FieldConfig", p["fieldConfig"]["defaults"]["custom"]) == [], p["title"]
        for target in p.get("targets", []):
            assert _schema_errors("prometheus", "Dataquery", target) == [], p["title"]


def test_the_schema_validation_used_here_rejects_a_broken_dashboard() -> None:
    data = board([availability()])
    data["panels"][1]["gridPos"] = {"h": "five"}
    data["panels"][2]["options"]["textMode"] = "everything"
    assert _schema_errors("dashboard", "Dashboard", data)
    assert _schema_errors("stat", "Options", data["panels"][2]["options"])


STACK = '''
from decimal import Decimal

from obscode import PrometheusConfig, ScrapeConfig, Stack, StaticConfig
from obscode.model.slo import SLO, LatencySLI, RatioSLI

stack = Stack(
    name="shop",
    prometheus=PrometheusConfig(scrape_configs=[
        ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])]),
        ScrapeConfig(job_name="model", static_configs=[StaticConfig(targets=["model:8000"])]),
    ]),
    job_catalogs={"api": ["instrumentation-http"], "model": ["instrumentation-http"]},
    slos=[
        SLO(name="api-availability", service="api", objective=Decimal("99.9"),
            sli=RatioSLI(total='http_requests_total{job="api"}', bad='http_requests_total{job="api", status=~"5.."}')),
        SLO(name="model-latency", service="model", objective=Decimal("99"),
            sli=LatencySLI(histogram='http_request_duration_seconds{job="model"}', threshold=Decimal("0.5"))),
    ],
)
'''


@pytest.fixture
def two_services(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "__init__.py").write_text(textwrap.dedent(STACK))
    return root


def test_obscode_check_finds_nothing_on_the_dashboard_of_two_slos_of_two_services(two_services: Path) -> None:
    assert FILE in build(two_services).files  # the dashboard is there to be checked
    result = CliRunner().invoke(main, ["check", str(two_services), "--no-tools", "--format", "json"])
    problems = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    assert [p for p in problems if p["file"] == FILE] == []


def test_the_dashboard_is_the_same_on_every_build(two_services: Path) -> None:
    first, second = build(two_services).files[FILE], build(two_services).files[FILE]
    assert first == second
    assert dashboard.dashboards(shop([availability()])) == dashboard.dashboards(shop([availability()]))


# what the user can get wrong


def test_a_stack_dashboard_taking_the_slo_dashboards_uid_is_reported() -> None:
    stack = shop([availability()], dashboards=[{"uid": "shop-slos", "title": "Mine", "panels": []}])
    problems = run_checks(CheckContext(stack, render(stack)), only=["dashboard/uid"])
    assert [p.message for p in problems] == [
        "uid 'shop-slos' is used by dashboards 'Mine' and 'Shop SLOs'; every dashboard needs its own uid"]


def test_a_stack_name_too_long_for_the_dashboards_uid_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError) as raised:
        Stack(name="a-very-long-platform-name-for-shops-x", slos=[availability()])
    assert str(raised.value).startswith(
        "stack a-very-long-platform-name-for-shops-x, field 'slos': the SLO dashboard's uid "
        "'a-very-long-platform-name-for-shops-x-slos' is 42 characters, over Grafana's 40: shorten the stack name "
        "to at most 35 characters")
    assert dashboard.dashboards(Stack(name="a" * 35, slos=[availability()]))[0]["uid"] == "a" * 35 + "-slos"
