"""SLO proofs (obscode.slo.proofs): per tier, a promtool test that the alert fires at the first
evaluation after its predicted detection time and not at the one before, and one that it stays
silent at 0.9 × its factor; run with the real promtool."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from obscode import SLO, AlertTest, BurnRateTier, LatencySLI, RatioSLI
from obscode.alert_tests.run import run_alert_tests
from obscode.cli import main
from obscode.emit import render
from obscode.errors import DefinitionError
from obscode.model.duration import parse_duration
from obscode.model.rules import AlertRule, RecordingRule
from obscode.slo import proofs, rules
from obscode.slo.names import alert_name, tier_labels
from tests.catalog.helpers import stack
from tests.conftest import require_tool

TOTAL = 'http_requests_total{job="api"}'
ERRORS = 'http_requests_total{job="api", status=~"5.."}'
HISTOGRAM = 'http_request_duration_seconds{job="api"}'
#: The workbook's tiers: (name, step, long window).
WORKBOOK = [("page-fast", "1m", "1h"), ("page-slow", "6m", "6h"), ("ticket-fast", "24m", "1d"),
            ("ticket-slow", "1h12m", "3d")]


def availability(**fields: Any) -> SLO:
    return SLO(**{"name": "api-availability", "service": "api", "objective": Decimal("99.9"),
                  "sli": RatioSLI(total=TOTAL, bad=ERRORS), **fields})


def latency(**fields: Any) -> SLO:
    return SLO(**{"name": "api-latency", "service": "api", "objective": Decimal("99"),
                  "sli": LatencySLI(histogram=HISTOGRAM, threshold=Decimal("0.5")), **fields})


def custom() -> SLO:
    """A 28-day SLO at 99.5 % with two tiers of its own, one with windows that are not 1:12."""
    return SLO(name="checkout", service="shop", objective=Decimal("99.5"), period="28d",
               sli=RatioSLI(total=TOTAL, good='http_requests_total{job="api", status!~"5.."}'),
               labels={"team": "shop"},
               tiers=[BurnRateTier(name="page", budget_share=Decimal("0.05"), long_window="2h", short_window="10m",
                                   action="page", labels={"channel": "pager"}),
                      BurnRateTier(name="ticket", budget_share=Decimal("0.2"), long_window="90m",
                                   short_window="7m", action="ticket")])


def proofs_of(the_stack: Any, slo: SLO) -> dict[str, AlertTest]:
    return {t.name: t for t in the_stack.alert_tests if t.name.startswith(f"slo-{slo.name}-")}


def counter_steps(values: str) -> list[int]:
    """The per-step increments of a counter written '0+a x n b+c x m' (each item once per step)."""
    increments: list[int] = []
    for index, item in enumerate(values.split()):
        first, rest = item.split("+")
        step, count = rest.split("x")
        if index:
            increments.append(int(first) - previous)
        increments += [int(step)] * int(count)
        previous = int(first) + int(step) * int(count)
    return increments


def burn(test: AlertTest, slo: SLO) -> tuple[int, Fraction]:
    """(steps of healthy traffic, burn rate after them) read back from the test's input series."""
    series = {s.series: counter_steps(s.values) for s in test.input_series}
    bad_name = next(name for name in series if 'status="500"' in name)
    bad, other = series.pop(bad_name), next(iter(series.values()))
    warmup = next(i for i, value in enumerate(bad) if value)
    ratio = Fraction(bad[warmup], bad[warmup] + other[warmup])
    assert all(b == bad[warmup] for b in bad[warmup:]) and not any(bad[:warmup])
    assert all(b + o == bad[warmup] + other[warmup] for b, o in zip(bad, other)), "the total is constant"
    return warmup, ratio / Fraction(slo.budget)


def test_every_tier_has_a_firing_and_a_quiet_proof_over_a_copy_of_its_own_rules() -> None:
    slo = availability()
    found = proofs_of(stack(slos=[slo]), slo)
    assert list(found) == [f"slo-api-availability-{tier}-{kind}" for tier, _s, _w in WORKBOOK
                           for kind in ("fires", "quiet")]
    for tier_name, step, window in WORKBOOK:
        for kind in ("fires", "quiet"):
            test = found[f"slo-api-availability-{tier_name}-{kind}"]
            assert (test.interval, test.evaluation_interval) == (step, step)
            assert test.rules is not None and len(test.rules.groups) == 1
            copied = test.rules.groups[0].rules
            tier = next(t for t in slo.tiers if t.name == tier_name)
            assert [r.record for r in copied if isinstance(r, RecordingRule)] == sorted(
                {f"slo:sli_error:ratio_rate{tier.short_window}", f"slo:sli_error:ratio_rate{window}"},
                key=lambda r: parse_duration(r.rsplit("rate", 1)[1]))
            alerts = [r for r in copied if isinstance(r, AlertRule)]
            assert len(alerts) == 1 and alerts[0].labels == tier_labels(slo, tier)
            assert {e.alertname for e in test.alert_rule_test} == {alert_name(slo)}
    page_fast = found["slo-api-availability-page-fast-fires"]
    assert [(e.eval_time, [a.exp_labels["slo_tier"] for a in e.exp_alerts]) for e in page_fast.alert_rule_test] == [
        ("1h", []), ("1h59m", []), ("2h", ["page-fast"])]
    assert page_fast.input_series[0].model_dump(include={"series", "values"}) == {
        "series": 'http_requests_total{job="api", status="500"}', "values": "0+0x60 144001+144001x59"}
    assert page_fast.alert_rule_test[-1].exp_alerts[0].exp_annotations == {
        "summary": "SLO api-availability of api burns its error budget too fast (page-fast)",
        "description": "Objective 99.9% of events good over 30d. The error ratio over the last 1h is 1.44%, above "
                       "1.44% (burn rate 14.4: 2% of the 30d error budget spent within 1h), and still above it "
                       "over the last 5m."}
    quiet = found["slo-api-availability-ticket-slow-quiet"]
    assert [e.eval_time for e in quiet.alert_rule_test] == ["3d18h", "4d12h", "5d6h", "6d", "6d18h", "7d12h",
                                                            "8d6h", "9d"]


@pytest.mark.parametrize("slo", [availability(), custom()], ids=["workbook", "custom"])
def test_the_firing_proof_burns_a_hair_above_the_factor_and_fires_within_one_step_of_detection(slo: SLO) -> None:
    found = proofs_of(stack(slos=[slo]), slo)
    for tier in slo.tiers:
        test = found[f"slo-{slo.name}-{tier.name}-fires"]
        step = parse_duration(test.interval or "")
        warmup, rate = burn(test, slo)
        factor = Fraction(tier.factor(slo.period))
        assert factor < rate <= factor * Fraction(10001, 10000), (tier.name, float(rate))
        assert warmup * step == parse_duration(tier.long_window), "healthy traffic fills the long window first"
        detection = parse_duration(tier.long_window) * factor / rate
        start, before, first = (parse_duration(e.eval_time) - warmup * step for e in test.alert_rule_test)
        assert start == 0 and before <= detection < first <= detection + step
        assert first - before == step
        assert [bool(e.exp_alerts) for e in test.alert_rule_test] == [False, False, True]


@pytest.mark.parametrize("slo", [availability(), custom()], ids=["workbook", "custom"])
def test_the_quiet_proof_burns_at_nine_tenths_of_the_factor_for_two_long_windows(slo: SLO) -> None:
    found = proofs_of(stack(slos=[slo]), slo)
    for tier in slo.tiers:
        test = found[f"slo-{slo.name}-{tier.name}-quiet"]
        step = parse_duration(test.interval or "")
        warmup, rate = burn(test, slo)
        factor = Fraction(tier.factor(slo.period))
        assert factor * Fraction(89, 100) < rate <= factor * Fraction(9, 10)
        times = [parse_duration(e.eval_time) - warmup * step for e in test.alert_rule_test]
        assert times[-1] >= 2 * parse_duration(tier.long_window) and times[0] > 0
        assert all(not e.exp_alerts for e in test.alert_rule_test)


def test_custom_tiers_get_steps_dividing_both_windows() -> None:
    slo = custom()
    found = proofs_of(stack(slos=[slo]), slo)
    assert list(found) == ["slo-checkout-page-fires", "slo-checkout-page-quiet", "slo-checkout-ticket-fires",
                           "slo-checkout-ticket-quiet"]
    # page: 2h and 10m -> the largest divisor of 10m at most 2h/60; ticket: 90m and 7m -> 1m
    assert [found[f"slo-checkout-{t}-fires"].interval for t in ("page", "ticket")] == ["2m", "1m"]
    labels = found["slo-checkout-page-fires"].alert_rule_test[-1].exp_alerts[0].exp_labels
    assert labels == {"slo": "checkout", "service": "shop", "slo_tier": "page", "slo_action": "page",
                      "severity": "critical", "team": "shop", "channel": "pager"}


def test_an_slo_without_tiers_has_no_proofs() -> None:
    assert stack(slos=[availability(tiers=[])]).alert_tests == []


def test_the_proofs_are_written_beside_a_copy_of_their_rules() -> None:
    files = render(stack(slos=[availability()]))
    test_file = yaml.safe_load(files["prometheus/tests/slo-api-availability-page-fast-fires.yml"])
    assert test_file["rule_files"] == ["rules/slo-api-availability-page-fast-fires.yml"]
    assert test_file["evaluation_interval"] == "1m" and test_file["tests"][0]["interval"] == "1m"
    assert "rules" not in test_file["tests"][0] and "evaluation_interval" not in test_file["tests"][0]
    copy = yaml.safe_load(files["prometheus/tests/rules/slo-api-availability-page-fast-fires.yml"])
    original = yaml.safe_load(files["prometheus/rules/slo-api-availability.yml"])
    originals = [rule for group in original["groups"] for rule in group["rules"]]
    assert all(rule in originals for rule in copy["groups"][0]["rules"]), "the rules are the stack's, unchanged"
    assert files == render(stack(slos=[availability()])), "deterministic"


SLIS = {
    "bad-ratio": availability(),
    "good-ratio": custom(),
    "latency": latency(),
    "two-counters": SLO(name="api-errors", service="api", objective=Decimal("99.95"),
                        sli=RatioSLI(total=TOTAL, bad='http_request_errors_total{job="api"}')),
}


@pytest.mark.parametrize("name", list(SLIS))
def test_promtool_passes_every_proof(name: str) -> None:
    require_tool("promtool")
    the_stack = stack(slos=[SLIS[name]])
    files = render(the_stack)
    proof_files = [p for p in files if p.startswith("prometheus/tests/slo-")]
    assert len(proof_files) == 2 * len(SLIS[name].tiers)
    assert run_alert_tests("t", files, the_stack) == []


def test_the_latency_proof_feeds_the_bucket_the_rule_selects() -> None:
    slo = latency()
    test = proofs_of(stack(slos=[slo]), slo)["slo-api-latency-page-fast-fires"]
    assert [s.series for s in test.input_series] == [
        'http_request_duration_seconds_bucket{job="api", le="0.5"}', 'http_request_duration_seconds_count{job="api"}']


def _broken(monkeypatch: pytest.MonkeyPatch, scale: Decimal) -> None:
    """Every SLO alert compares with ``scale`` × its threshold, as a broken rule generator would."""
    original = rules.alert_rule

    def alert_rule(slo: SLO, tier: BurnRateTier) -> AlertRule:
        rule = original(slo, tier)
        right = rules.decimal_text(slo.threshold(tier))
        wrong = rules.decimal_text(slo.threshold(tier) * scale)
        return rule.model_copy(update={"expr": rule.expr.replace(f"> {right}", f"> {wrong}")})

    monkeypatch.setattr(rules, "alert_rule", alert_rule)


def test_a_threshold_ten_times_too_high_fails_the_firing_proofs_naming_slo_and_tier(
        monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("promtool")
    _broken(monkeypatch, Decimal(10))
    the_stack = stack(slos=[availability(tiers=availability().tiers[:2])])
    found = run_alert_tests("t", render(the_stack), the_stack)
    assert [(p.file, p.obj) for p in found] == [
        ("prometheus/tests/slo-api-availability-page-fast-fires.yml", "alert test slo-api-availability-page-fast-fires"),
        ("prometheus/tests/slo-api-availability-page-slow-fires.yml", "alert test slo-api-availability-page-slow-fires"),
    ]
    assert str(found[0]).startswith(
        "t: error[tools/promtool-test] prometheus/tests/slo-api-availability-page-fast-fires.yml: alert test "
        "slo-api-availability-page-fast-fires, field 'alert_rule_test': alert ApiAvailabilityBudgetBurn at "
        'eval_time 2h: promtool: exp:[ 0: Labels:{alertname="ApiAvailabilityBudgetBurn", service="api", '
        'severity="critical", slo="api-availability", slo_action="page", slo_tier="page-fast"} ')
    assert found[0].message.endswith("got:[]")
    assert found[0].source is not None and Path(found[0].source.file).name == "test_proofs.py"


def test_a_threshold_ten_times_too_low_fails_the_quiet_proofs(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("promtool")
    _broken(monkeypatch, Decimal("0.1"))
    the_stack = stack(slos=[availability(tiers=availability().tiers[:1])])
    found = run_alert_tests("t", render(the_stack), the_stack)
    assert {p.obj for p in found} == {"alert test slo-api-availability-page-fast-quiet",
                                      "alert test slo-api-availability-page-fast-fires"}
    quiet = [p for p in found if p.obj.endswith("quiet")]
    assert len(quiet) == 8, "every check of the quiet proof sees the alert"
    assert quiet[0].message.startswith("alert ApiAvailabilityBudgetBurn at eval_time 1h15m: promtool: exp:[], got:[ "
                                       '0: Labels:{alertname="ApiAvailabilityBudgetBurn"')


STACK_FILE = '''
from decimal import Decimal
from obscode import SLO, RatioSLI, PrometheusConfig, ScrapeConfig, Stack, StaticConfig
stack = Stack(
    name="proved",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api",
                                                             static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={"api": ["instrumentation-http"]},
    slos=[SLO(name="api-availability", service="api", objective=Decimal("99.9"),
              sli=RatioSLI(total='http_requests_total{job="api"}',
                           bad='http_requests_total{job="api", status=~"5.."}'))],
)
'''


def test_obscode_check_runs_the_proofs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("promtool")
    stack_file = tmp_path / "proved.py"
    stack_file.write_text(STACK_FILE)
    result = CliRunner().invoke(main, ["check", str(stack_file)])
    assert "promtool-test" not in result.output, result.output
    _broken(monkeypatch, Decimal(10))
    result = CliRunner().invoke(main, ["check", str(stack_file)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        "proved: error[tools/promtool-test] prometheus/tests/slo-api-availability-page-fast-fires.yml: alert test "
        "slo-api-availability-page-fast-fires, field 'alert_rule_test': alert ApiAvailabilityBudgetBurn at "
        "eval_time 2h: promtool: exp:[ 0: Labels:{alertname=\"ApiAvailabilityBudgetBurn\", service=\"api\", "
        "severity=\"critical\", slo=\"api-availability\", slo_action=\"page\", slo_tier=\"page-fast\"}")
    assert "also prometheus/tests/slo-api-availability-page-slow-fires.yml" in result.output
    assert "checked proved: 4 error(s)" in result.output, "one per firing proof; the quiet ones pass"


def test_an_sli_whose_part_is_its_total_is_refused() -> None:
    with pytest.raises(DefinitionError) as caught:
        stack(slos=[availability(sli=RatioSLI(total=TOTAL, bad=TOTAL))])
    assert "SLO api-availability" in str(caught.value) and "sli.bad" in str(caught.value)
    assert (f"{TOTAL!r} selects every series {TOTAL!r} does: the SLI's ratio is always 1; narrow it with a "
            "matcher, e.g. status=~\"5..\"") in str(caught.value)


@pytest.mark.parametrize(("long", "short", "step"), [("1h", "5m", "1m"), ("6h", "30m", "6m"), ("3d", "6h", "72m"),
                                                     ("90m", "7m", "1m"), ("10m", "1m", "10s")])
def test_the_step_is_the_largest_divisor_of_both_windows_near_a_sixtieth(long: str, short: str, step: str) -> None:
    tier = BurnRateTier(name="tier-a", budget_share=Decimal("0.01"), long_window=long, short_window=short, action="page")
    assert proofs.step_ms(tier) == parse_duration(step)


def test_a_tier_whose_threshold_is_every_event_is_refused() -> None:
    tier = BurnRateTier(name="never", budget_share=Decimal(1), long_window="3d", short_window="6h", action="ticket")
    with pytest.raises(DefinitionError) as caught:
        stack(slos=[availability(objective=Decimal(90), tiers=[tier])])
    assert ("SLO api-availability, field 'tiers': tier never alerts above an error ratio of 1: no share of bad "
            "events exceeds 1, so the tier can never fire; lengthen its window or lower its budget_share"
            ) in str(caught.value)
