"""SLO rules: the window recording rules and the tier alerts of obscode.slo.rules.

The golden files in tests/slo/golden/ are the exact rule files of the two SLOs below; after an
intended change of output, write them again from ``render(golden_stack())`` and review the diff."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from obscode import BurnRateTier, RatioSLI
from obscode.emit import render
from obscode.errors import DefinitionError
from obscode.model.rules import AlertRule, RecordingRule
from obscode.model.slo import workbook_tiers
from obscode.promql import Matcher, parse, selectors
from obscode.slo.rules import PERIOD_INTERVAL, decimal_text, go_float, le_regex, le_spellings, rule_file
from tests.conftest import require_tool
from tests.slo.rules_helpers import TOTAL, availability, latency, slo_stack

GOLDEN = Path(__file__).parent / "golden"
WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]


def golden_stack():
    return slo_stack(availability(runbook_url="https://runbooks.example.com/api-availability",
                                  description="API requests succeed"), latency())


def _rules(slo) -> list:
    return [rule for group in rule_file(slo).groups for rule in group.rules]


def _alerts(slo) -> list[AlertRule]:
    return [rule for rule in _rules(slo) if isinstance(rule, AlertRule)]


def _thresholds(slo) -> list[str]:
    return [re.findall(r"> (\S+)", alert.expr)[0] for alert in _alerts(slo)]


@pytest.mark.parametrize("name", ["slo-api-availability", "slo-api-latency"])
def test_rule_file_equals_its_golden_file(name: str) -> None:
    files = render(golden_stack())
    assert files[f"prometheus/rules/{name}.yml"].decode() == (GOLDEN / f"{name}.yml").read_text()


def test_default_tiers_make_twelve_rules_eight_windows_and_four_alerts() -> None:
    rules = _rules(availability())
    assert len(rules) == 12
    assert [r.record for r in rules if isinstance(r, RecordingRule)] == [f"slo:sli_error:ratio_rate{w}"
                                                                          for w in WINDOWS]
    assert len(_alerts(availability())) == 4


def test_thresholds_are_exact_decimals() -> None:
    assert _thresholds(availability()) == ["0.0144", "0.006", "0.003", "0.001"]
    assert _thresholds(latency()) == ["0.144", "0.06", "0.03", "0.01"]
    # 10 % of a 28-day budget in 3 days is a factor of 0.9333…: rounded to 12 significant digits
    assert _thresholds(availability(period="28d")) == ["0.01344", "0.0056", "0.0028", "0.000933333333333"]


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("14.4") * Decimal("0.001"), "0.0144"), (Decimal("1E+1"), "10"), (Decimal("0.0100"), "0.01"),
    (Decimal("1E-7"), "0.0000001"), (Decimal("99.90"), "99.9"),
])
def test_decimal_text_has_no_exponent_nor_float_noise(value: Decimal, text: str) -> None:
    assert decimal_text(value) == text


def test_alert_contract_expression_labels_and_no_for() -> None:
    page_fast = _alerts(availability())[0]
    assert page_fast.alert == "ApiAvailabilityBudgetBurn"
    assert page_fast.expr == ('slo:sli_error:ratio_rate1h{slo="api-availability"} > 0.0144\nand\n'
                              'slo:sli_error:ratio_rate5m{slo="api-availability"} > 0.0144')
    assert page_fast.for_ is None
    assert page_fast.labels == {"slo": "api-availability", "service": "api", "slo_tier": "page-fast",
                                "slo_action": "page", "severity": "critical"}


def test_annotations_name_the_slo_tier_objective_window_and_burn_rate() -> None:
    ticket_slow = _alerts(availability(description="API requests succeed.", runbook_url="https://rb/api"))[3]
    assert ticket_slow.annotations == {
        "summary": "SLO api-availability of api burns its error budget too fast (ticket-slow)",
        "description": "API requests succeed. Objective 99.9% of events good over 30d. The error ratio over the "
                       "last 3d is {{ $value | humanizePercentage }}, above 0.1% (burn rate 1: 10% of the 30d error "
                       "budget spent within 3d), and still above it over the last 6h.",
        "runbook_url": "https://rb/api",
    }
    assert "runbook_url" not in _alerts(availability())[0].annotations


def test_window_rules_divide_event_counts_never_average_ratios() -> None:
    rule = _rules(availability())[0]
    assert rule.labels == {"slo": "api-availability", "service": "api"}
    assert rule.expr == ('(sum(increase(http_requests_total{job="api", status=~"5.."}[5m])) or vector(0))\n/\n'
                         '(sum(increase(http_requests_total{job="api"}[5m])) > 0)')
    period = _rules(availability())[-1]
    assert period.record == "slo:sli_error:ratio_rate30d"
    assert period.expr == rule.expr.replace("[5m]", "[30d]")  # counted over 30 days, not chained from ratios


def test_a_good_events_sli_records_one_minus_their_share() -> None:
    slo = availability(sli=RatioSLI(total=TOTAL, good='http_requests_total{job="api", status=~"2.."}'))
    assert _rules(slo)[0].expr == ('1 - (sum(increase(http_requests_total{job="api", status=~"2.."}[5m])) '
                                   'or vector(0))\n/\n(sum(increase(http_requests_total{job="api"}[5m])) > 0)')


def test_latency_sli_reads_the_bucket_of_the_threshold_over_the_count() -> None:
    assert _rules(latency())[0].expr == (
        '1 - (sum(increase(http_request_duration_seconds_bucket{job="api", le=~"0\\\\.5"}[5m])) or vector(0))\n/\n'
        '(sum(increase(http_request_duration_seconds_count{job="api"}[5m])) > 0)')


def test_the_period_rule_runs_in_its_own_slower_group() -> None:
    groups = rule_file(availability()).groups
    assert [(g.name, g.interval, len(g.rules)) for g in groups] == [
        ("slo-api-availability", None, 11), ("slo-api-availability-period", PERIOD_INTERVAL, 1)]


def test_a_tier_on_the_period_window_keeps_the_period_rule_with_the_alerts() -> None:
    whole = BurnRateTier(name="budget-gone", budget_share=Decimal("1"), long_window="30d", short_window="1d",
                         action="ticket")
    groups = rule_file(availability(tiers=[whole])).groups
    assert [(g.name, g.interval) for g in groups] == [("slo-api-availability", None)]
    assert [r.name for r in groups[0].rules] == ["slo:sli_error:ratio_rate1d", "slo:sli_error:ratio_rate30d",
                                                 "ApiAvailabilityBudgetBurn"]


def test_dropping_tiers_drops_their_windows_and_alerts() -> None:
    slo = availability(tiers=workbook_tiers()[:1])
    assert [r.name for r in _rules(slo)] == ["slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate1h",
                                             "ApiAvailabilityBudgetBurn", "slo:sli_error:ratio_rate30d"]
    assert [r.name for r in _rules(availability(tiers=[]))] == ["slo:sli_error:ratio_rate30d"]


def test_custom_tiers_have_their_threshold_windows_and_labels() -> None:
    tier = BurnRateTier(name="page-now", budget_share=Decimal("0.1"), long_window="2h", short_window="10m",
                        action="page", severity="page", labels={"team": "payments"})
    slo = availability(objective=Decimal("99.5"), period="28d", tiers=[tier], labels={"owner": "web"})
    (alert,) = _alerts(slo)
    assert alert.expr == ('slo:sli_error:ratio_rate2h{slo="api-availability"} > 0.168\nand\n'
                          'slo:sli_error:ratio_rate10m{slo="api-availability"} > 0.168')
    assert alert.labels == {"slo": "api-availability", "service": "api", "slo_tier": "page-now", "slo_action": "page",
                            "severity": "page", "owner": "web", "team": "payments"}
    assert "burn rate 33.6: 10% of the 28d error budget spent within 2h" in alert.annotations["description"]


def test_generated_rules_point_at_the_slo_definition() -> None:
    slo = availability()
    made = rule_file(slo)
    assert slo.source is not None
    assert {made.source, made.groups[0].source, *(r.source for r in made.groups[0].rules)} == {slo.source}


@pytest.mark.parametrize(("threshold", "spellings"), [
    ("0.5", ["0.5"]), ("1", ["1", "1.0"]), ("1.0", ["1", "1.0"]), ("10", ["10", "10.0"]),
    ("0.005", ["0.005"]), ("0.00001", ["1e-05"]), ("2000000", ["2e+06"]), ("123456", ["123456", "123456.0"]),
])
def test_le_spellings_of_prometheus_2_and_3(threshold: str, spellings: list[str]) -> None:
    assert le_spellings(Decimal(threshold)) == spellings


@pytest.mark.parametrize("value", [0.5, 1.0, 2.5, 1e-05, 0.0001, 1e6, 123456.0, 1234567.5, 1e21])
def test_go_float_is_gos_shortest_g_format(value: float) -> None:
    go = {0.5: "0.5", 1.0: "1", 2.5: "2.5", 1e-05: "1e-05", 0.0001: "0.0001", 1e6: "1e+06", 123456.0: "123456",
          1234567.5: "1.2345675e+06", 1e21: "1e+21"}
    assert go_float(value) == go[value]


@pytest.mark.parametrize(("threshold", "matching", "other"), [
    ("1", ["1", "1.0"], ["10", "1.5", "1x0", "0.1"]),
    ("0.5", ["0.5"], ["0x5", "0.50", "0.25"]),
    ("2000000", ["2e+06"], ["2e+060", "2e 06"]),
])
def test_le_regex_matches_every_spelling_and_nothing_else(threshold: str, matching: list[str],
                                                         other: list[str]) -> None:
    regex = le_regex(Decimal(threshold))
    (selector,) = selectors(parse(f'x{{le=~"{regex}"}}'))
    (matcher,) = [m for m in selector.matchers if m.label == "le"]
    assert isinstance(matcher, Matcher)
    assert all(matcher.matches(v) for v in matching) and not any(matcher.matches(v) for v in other)


@pytest.mark.parametrize(("sli", "field", "message"), [
    (RatioSLI(total='rate(http_requests_total{job="api"}[5m])', bad='http_requests_total{status="500"}'),
     "sli.total", "'rate(http_requests_total{job=\"api\"}[5m])' is not a plain selector; write "
                  "name{label=\"value\", ...} (no function, range or offset)"),
    (RatioSLI(total=TOTAL, bad='http_requests_total{status="500"} offset 5m'),
     "sli.bad", "is not a plain selector"),
    (RatioSLI(total='{__name__="http_requests_total"}', bad='http_requests_total{status="500"}'),
     "sli.total", "write the metric name before the braces, e.g. http_requests_total{job=\"api\"}"),
])
def test_an_sli_that_is_not_a_selector_is_a_definition_error(sli: RatioSLI, field: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        rule_file(availability(sli=sli))
    assert caught.value.obj == "SLO api-availability" and caught.value.field == field
    assert message in caught.value.message


def test_a_histogram_named_by_its_bucket_series_is_a_definition_error() -> None:
    from obscode import LatencySLI

    with pytest.raises(DefinitionError) as caught:
        rule_file(latency(sli=LatencySLI(histogram='http_request_duration_seconds_bucket{job="api"}',
                                         threshold=Decimal("0.5"))))
    assert caught.value.message == ("histogram 'http_request_duration_seconds_bucket{job=\"api\"}': name the "
                                    "histogram without _bucket (http_request_duration_seconds); the rules read its "
                                    "_bucket and _count")


def test_a_histogram_selector_with_le_is_a_definition_error() -> None:
    from obscode import LatencySLI

    with pytest.raises(DefinitionError) as caught:
        slo_stack(latency(sli=LatencySLI(histogram='http_request_duration_seconds{job="api", le="0.5"}',
                                         threshold=Decimal("0.5"))))
    assert "has an le matcher: select the histogram by its other labels; the threshold picks the bucket" in str(
        caught.value)


def test_promtool_check_rules_accepts_the_rule_files(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    files = render(golden_stack())
    paths = []
    for name in ("slo-api-availability", "slo-api-latency"):
        path = tmp_path / f"{name}.yml"
        path.write_bytes(files[f"prometheus/rules/{name}.yml"])
        paths.append(str(path))
    done = subprocess.run([promtool, "check", "rules", *paths], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS: 12 rules found") == 2


# The expressions evaluated by the real Prometheus engine (promtool test rules): no traffic
# records nothing, traffic without a 5xx series records 0, and a latency SLI reads its bucket
# whether le is spelled as Prometheus 2 scraped it from a Go client ("1") or as Prometheus 3
# and Python clients write it ("1.0").

REQUESTS = 'http_requests_total{job="api", method="GET", path="/", status="200"}'
FAILURES = 'http_requests_total{job="api", method="GET", path="/", status="500"}'


def _promtool_test(tmp_path: Path, slo, series: list[dict], expected: list[dict]) -> None:
    promtool = require_tool("promtool")
    files = render(slo_stack(slo))
    name = f"slo-{slo.name}.yml"
    (tmp_path / name).write_bytes(files[f"prometheus/rules/{name}"])
    test = {"rule_files": [name], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series,
                       "promql_expr_test": [{"expr": "slo:sli_error:ratio_rate5m", "eval_time": "10m",
                                             "exp_samples": expected}]}]}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    done = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _sample(slo_name: str, value: float) -> dict:
    return {"labels": f'slo:sli_error:ratio_rate5m{{service="api", slo="{slo_name}"}}', "value": value}


def test_no_traffic_records_no_series(tmp_path: Path) -> None:
    _promtool_test(tmp_path, availability(), [{"series": REQUESTS, "values": "5+0x20"},
                                              {"series": FAILURES, "values": "1+0x20"}], [])


def test_traffic_without_a_5xx_series_records_zero(tmp_path: Path) -> None:
    _promtool_test(tmp_path, availability(), [{"series": REQUESTS, "values": "0+10x20"}],
                   [_sample("api-availability", 0)])


def test_one_request_in_a_hundred_failing_records_one_percent(tmp_path: Path) -> None:
    _promtool_test(tmp_path, availability(), [{"series": REQUESTS, "values": "0+99x20"},
                                              {"series": FAILURES, "values": "0+1x20"}],
                   [_sample("api-availability", 0.01)])


@pytest.mark.parametrize("le", ["1", "1.0"], ids=["prometheus-2-go-client", "prometheus-3"])
def test_latency_reads_the_bucket_in_either_le_spelling(tmp_path: Path, le: str) -> None:
    histogram = 'http_request_duration_seconds_{}{{job="api", method="GET", path="/"{}}}'
    series = [{"series": histogram.format("bucket", f', le="{le}"'), "values": "0+96x20"},
              {"series": histogram.format("bucket", ', le="+Inf"'), "values": "0+100x20"},
              {"series": histogram.format("count", ""), "values": "0+100x20"}]
    _promtool_test(tmp_path, latency("1"), series, [_sample("api-latency", 1 - 0.96)])
