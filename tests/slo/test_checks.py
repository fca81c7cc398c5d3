"""The SLO checks (slo/latency-bucket, slo/ratio-counter), the catalog checks on the SLO rules'
selectors, and ``obscode check`` on a stack declaring SLOs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode import LatencySLI, RatioSLI, RecordingRule, RuleFile, RuleGroup
from obscode.cli import main
from obscode.model.catalog import Catalog, Metric
from tests.slo.rules_helpers import TOTAL, availability, latency, messages, slo_stack

HERE = "tests/slo/rules_helpers.py"


def test_a_threshold_between_bucket_bounds_is_an_error_listing_the_bounds() -> None:
    assert messages(slo_stack(latency("0.3")), only=["slo/latency-bucket"]) == [
        "s: error[slo/latency-bucket] prometheus/rules/slo-api-latency.yml: SLO api-latency, field 'sli.threshold': "
        "threshold 0.3 s is not a bucket bound of http_request_duration_seconds (catalog instrumentation-http, job "
        "api): no bucket counts the requests under it, so every request would count as slow; its bounds are 0.005, "
        "0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10: pick one, or add the bound to the "
        f"histogram's buckets ({HERE}:29)"]


@pytest.mark.parametrize("threshold", ["0.5", "1", "1.0", "0.005", "10"])
def test_a_threshold_on_a_bucket_bound_passes(threshold: str) -> None:
    assert messages(slo_stack(latency(threshold)), only=["slo/latency-bucket"]) == []


def test_a_catalog_without_bounds_leaves_the_threshold_unchecked_with_a_note() -> None:
    own = Catalog(name="api-catalog", metrics=[
        Metric(name="http_request_duration_seconds", type="histogram", labels=["path"]),
        Metric(name="http_requests_total", type="counter", labels=["status"])])
    found = messages(slo_stack(latency("0.3"), job_catalogs={"api": [own]}), only=["slo/latency-bucket"])
    assert found == [
        "s: info[slo/latency-bucket] prometheus/rules/slo-api-latency.yml: SLO api-latency, field 'sli.threshold': "
        "the catalog records no bucket bounds of http_request_duration_seconds (catalog api-catalog, job api), so "
        f"threshold 0.3 s is not checked: list them in the catalog's buckets ({HERE}:29)"]


def test_bounds_a_yaml_catalog_lists_are_checked() -> None:
    own = Catalog.model_validate({"name": "api-catalog", "metrics": [
        {"name": "http_request_duration_seconds", "type": "histogram", "buckets": [0.1, 0.3, 1]}]})
    assert messages(slo_stack(latency("0.3"), job_catalogs={"api": [own]}), only=["slo/latency-bucket"]) == []
    found = messages(slo_stack(latency("0.5"), job_catalogs={"api": [own]}), only=["slo/latency-bucket"])
    assert len(found) == 1 and "its bounds are 0.1, 0.3, 1: pick one" in found[0]


def test_the_instrumentation_catalog_records_its_histograms_bounds() -> None:
    from instrumentation.catalog import SECONDS_BUCKETS
    from obscode.model.catalog import instrumentation_http

    (metric,) = [m for m in instrumentation_http().metrics if m.name == "http_request_duration_seconds"]
    assert metric.buckets == list(SECONDS_BUCKETS)
    assert "buckets:\n  - 0.005\n" in Catalog(name="x", metrics=[metric]).as_yaml()


def test_a_ratio_sli_over_a_gauge_is_an_error() -> None:
    slo = availability(sli=RatioSLI(total='http_requests_in_progress{job="api"}',
                                    bad='http_requests_in_progress{job="api", method="POST"}'))
    assert messages(slo_stack(slo), only=["slo/ratio-counter"]) == [
        "s: error[slo/ratio-counter] prometheus/rules/slo-api-availability.yml: SLO api-availability, field "
        f"'sli.{field}': http_requests_in_progress is a gauge, not a counter: a ratio SLI counts the events in each "
        "window with increase(), which only counters support; select a counter of the events (a _total metric, "
        f"or a histogram's _count) ({HERE}:23)" for field in ("bad", "total")]


def test_a_ratio_sli_over_a_recorded_rate_is_an_error() -> None:
    rate = RecordingRule(record="job:http_requests:rate5m", expr="sum by (job) (rate(http_requests_total[5m]))")
    slo = availability(sli=RatioSLI(total='job:http_requests:rate5m{job="api"}',
                                    bad='job:http_requests:rate5m{job="api", instance="api:8000"}'))
    found = messages(slo_stack(slo, rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=[rate])])]),
                     only=["slo/ratio-counter"])
    assert len(found) == 2
    assert ("field 'sli.total': job:http_requests:rate5m is a recording rule's output that is not a counter "
            "(a rate, ratio or gauge), not a counter") in found[1]


@pytest.mark.parametrize("sli", [
    RatioSLI(total=TOTAL, bad='http_requests_total{job="api", status=~"5.."}'),
    RatioSLI(total='http_request_duration_seconds_count{job="api"}',
             bad='http_request_duration_seconds_count{job="api", path="/predict"}'),
], ids=["counters", "histogram-count"])
def test_a_ratio_sli_over_counters_passes(sli: RatioSLI) -> None:
    assert messages(slo_stack(availability(sli=sli)), only=["slo/ratio-counter"]) == []


def test_the_catalog_checks_read_the_sli_selectors_in_the_rules() -> None:
    typo = availability(sli=RatioSLI(total='http_request_total{job="api"}',
                                     bad='http_request_total{job="api", status="500"}'))
    found = messages(slo_stack(typo), only=["catalog/metric"])
    assert found and all("prometheus/rules/slo-api-availability.yml: recording rule slo:sli_error:ratio_rate" in m
                         and "metric http_request_total is not emitted by any catalog" in m
                         and "did you mean http_requests_total?" in m and m.endswith(f"({HERE}:23)") for m in found)
    label = availability(sli=RatioSLI(total=TOTAL, bad='http_requests_total{job="api", code=~"5.."}'))
    found = messages(slo_stack(label), only=["catalog/label"])
    assert found and all("label code" in m for m in found)
    histogram = latency(sli=LatencySLI(histogram='http_request_durations_seconds{job="api"}', threshold=Decimal("1")))
    assert messages(slo_stack(histogram), only=["catalog/metric"])


def test_slos_add_no_finding_of_any_check() -> None:
    assert messages(slo_stack(availability(), latency())) == []


STACK = '''from decimal import Decimal

from obscode import *

stack = Stack(
    name="shop",
    prometheus=PrometheusConfig(
        scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])],
        alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["alertmanager:9093"])])]),
    job_catalogs={"api": ["instrumentation-http"]},
    alertmanager=AlertmanagerConfig(
        route=Route(receiver="tickets", group_by=["alertname", "slo"],
                    routes=[Route(matchers=['severity="critical"'], receiver="pager")]),
        receivers=[Receiver(name="pager", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/pager")]),
                   Receiver(name="tickets", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/tickets")])]),
    slos=[
        SLO(name="api-availability", service="api", objective=Decimal("99.9"),
            sli=RatioSLI(total='http_requests_total{job="api"}', bad='http_requests_total{job="api", status=~"5.."}')),
        SLO(name="api-latency", service="api", objective=Decimal("99"),
            sli=LatencySLI(histogram='http_request_duration_seconds{job="api"}', threshold=Decimal("0.5"))),
    ],
)
'''


def test_obscode_check_passes_a_stack_with_slos(tmp_path: Path) -> None:
    # The static checks only: promtool's view of the rules is test_rules', amtool's of the
    # inhibit rule test_inhibit's, and running the generated proofs is tests/slo/test_proofs'.
    path = tmp_path / "shop.py"
    path.write_text(STACK)
    result = CliRunner().invoke(main, ["check", "--no-tools", str(path)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "checked shop: 0 error(s), 0 warning(s)" in result.stderr


def test_obscode_check_fails_a_latency_slo_between_bounds(tmp_path: Path) -> None:
    path = tmp_path / "shop.py"
    path.write_text(STACK.replace('threshold=Decimal("0.5")', 'threshold=Decimal("0.3")'))
    result = CliRunner().invoke(main, ["check", "--no-tools", str(path)])
    assert result.exit_code == 1
    assert "error[slo/latency-bucket]" in result.stdout and "shop.py:19)" in result.stdout


def test_ignore_on_the_slo_covers_the_findings_on_its_rules(tmp_path: Path) -> None:
    path = tmp_path / "shop.py"
    path.write_text(STACK.replace("sli=RatioSLI(total='http_requests_total", "sli=RatioSLI(total='http_request_total")
                    .replace("""bad='http_requests_total{job="api", status=~"5.."}')),""",
                             """bad='http_request_total{job="api", status=~"5.."}'), ignore=["catalog/metric"]),"""))
    result = CliRunner().invoke(main, ["check", "--no-tools", str(path)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "checked shop: 0 error(s), 0 warning(s), 1 note(s), 8 suppressed (8 by ignore=)" in result.stderr


def test_ignore_on_the_slo_covers_its_slo_check_findings(tmp_path: Path) -> None:
    path = tmp_path / "shop.py"
    path.write_text(STACK.replace('threshold=Decimal("0.5"))),',
                                  'threshold=Decimal("0.3")), ignore=["slo/latency-bucket"]),'))
    result = CliRunner().invoke(main, ["check", "--no-tools", str(path)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 suppressed (1 by ignore=)" in result.stderr
