"""The SLO inhibit rule: a page tier of an SLO mutes its ticket tiers, and nothing else."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import yaml

from obscode import BurnRateTier
from obscode.emit import render
from obscode.model.slo import workbook_tiers
from obscode.slo.inhibit import inhibit_rule, inhibit_rules
from tests.conftest import require_tool
from tests.slo.rules_helpers import availability, latency, messages, slo_stack

ROUTING_CHECKS = ["routing/default", "routing/delivery", "routing/inhibit", "routing/labels", "routing/matchers",
                  "routing/tree"]


def test_the_page_tiers_mute_the_ticket_tiers_of_the_same_slo() -> None:
    stack = slo_stack(availability())
    written = yaml.safe_load(render(stack)["alertmanager/alertmanager.yml"])["inhibit_rules"]
    assert written == [{
        "source_matchers": ['alertname="ApiAvailabilityBudgetBurn"', 'slo="api-availability"', 'slo_action="page"'],
        "target_matchers": ['alertname="ApiAvailabilityBudgetBurn"', 'slo="api-availability"',
                            'slo_action="ticket"'],
        "equal": ["slo"],
    }]


def test_one_rule_per_slo() -> None:
    stack = slo_stack(availability(), latency())
    assert [str(r.source_matchers[0]) for r in stack.alertmanager.inhibit_rules] == [
        'alertname="ApiAvailabilityBudgetBurn"', 'alertname="ApiLatencyBudgetBurn"']


def test_no_rule_without_both_page_and_ticket_tiers() -> None:
    pages, tickets = workbook_tiers()[:2], workbook_tiers()[2:]
    assert inhibit_rule(availability(tiers=pages)) is None
    assert inhibit_rule(availability(tiers=tickets)) is None
    assert inhibit_rule(availability(tiers=[])) is None
    assert inhibit_rules(slo_stack(availability(tiers=pages))) == []


def test_custom_tiers_are_muted_by_their_action() -> None:
    page = BurnRateTier(name="burning", budget_share=Decimal("0.05"), long_window="2h", short_window="10m",
                        action="page")
    ticket = BurnRateTier(name="smouldering", budget_share=Decimal("0.2"), long_window="2d", short_window="4h",
                          action="ticket")
    rule = inhibit_rule(availability(tiers=[page, ticket]))
    assert rule is not None and [str(m) for m in rule.target_matchers][-1] == 'slo_action="ticket"'


def test_the_rule_passes_the_routing_checks() -> None:
    assert messages(slo_stack(availability(), latency()), only=ROUTING_CHECKS) == []


def test_the_rule_points_at_the_slo_definition() -> None:
    slo = availability()
    rule = inhibit_rule(slo)
    assert rule is not None and rule.source == slo.source


def test_amtool_accepts_the_configuration_with_the_rules(tmp_path: Path) -> None:
    amtool = require_tool("amtool")
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(render(slo_stack(availability(), latency()))["alertmanager/alertmanager.yml"])
    done = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " - 2 inhibit rules" in done.stdout
