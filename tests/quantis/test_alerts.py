"""Quantis' alert taxonomy (issue 18, item 6): every alert says which service it is about and
who owns it, links its runbook, and each alert written at two severities is one the seed's
inhibit rule (critical mutes warning, equal alertname and service) really pairs."""

from __future__ import annotations

import dataclasses

import pytest

from obscode.alert_labels import Truth, shapes
from stacks.quantis import stack
from stacks.quantis.alerts import runbook_url
from stacks.quantis.config import CONFIG
from stacks.quantis.rule_files import rule_files

#: The alerts written at a warning and a critical level.
TWO_SEVERITIES = {"HighMemoryUsage", "DiskSpaceLow", "HighHttpErrorRatio", "SlowHttpResponses",
                  "PostgresConnectionsSaturated", "PostgresReplicationLag"}


def _hand_written():
    return [(file, rule) for file in rule_files(CONFIG) for group in file.groups for rule in group.rules
            if hasattr(rule, "alert")]


@pytest.mark.parametrize("rule", [rule for _file, rule in stack.alerts()], ids=lambda rule: rule.alert)
def test_every_alert_has_service_owner_and_runbook(rule) -> None:
    """The SLOs' burn-rate alerts included: the stack requires the runbook link."""
    assert stack.require_runbook_url
    assert rule.labels.get("service"), rule.labels
    assert rule.labels.get("owner"), rule.labels
    assert rule.annotations["runbook_url"] == runbook_url(CONFIG, rule.alert)


def test_slo_alerts_are_owned_by_their_service_team() -> None:
    owners = {rule.alert: rule.labels["owner"] for _file, rule in stack.alerts() if rule.alert.endswith("BudgetBurn")}
    assert owners == {"ApiAvailabilityBudgetBurn": CONFIG.api.owner, "ApiLatencyBudgetBurn": CONFIG.api.owner,
                      "PredictionSuccessBudgetBurn": CONFIG.model_service.owner}


def test_runbook_url_is_the_alert_name_in_kebab_case() -> None:
    assert runbook_url(CONFIG, "HighCpuUsage") == f"{CONFIG.runbook_base_url}/high-cpu-usage"


def test_the_seed_inhibit_rule_pairs_each_two_severity_alert() -> None:
    """For each alert at two severities, its critical alert matches the source side, its
    warning the target side, and both carry the same service: the critical one mutes the other."""
    seed_rule = stack.alertmanager.inhibit_rules[0]
    assert seed_rule.equal == ["alertname", "service"]
    alerts = shapes(stack)
    by_name: dict[str, list] = {}
    for shape in alerts:
        by_name.setdefault(shape.alert, []).append(shape)
    paired = set()
    for name, found in by_name.items():
        sources = [s for s in found if s.matches_all(seed_rule.source_matchers) is Truth.YES]
        targets = [s for s in found if s.matches_all(seed_rule.target_matchers) is Truth.YES]
        if any(s.values.get("service") and s.values.get("service") == t.values.get("service")
               for s in sources for t in targets):
            paired.add(name)
    assert TWO_SEVERITIES <= paired, TWO_SEVERITIES - paired


def test_disk_thresholds_come_from_config() -> None:
    thresholds = dataclasses.replace(CONFIG.thresholds, disk_used_ratio_warning=0.75, disk_used_ratio_critical=0.85,
                                     ignored_filesystems="tmpfs")
    config = dataclasses.replace(CONFIG, thresholds=thresholds)
    exprs = [rule.expr for file, rule in
             ((f, r) for f in rule_files(config) for g in f.groups for r in g.rules) if rule.alert == "DiskSpaceLow"]
    assert [e.rsplit(" ", 1)[1] for e in exprs] == ["0.75", "0.85"]
    assert all('fstype!~"tmpfs"' in e for e in exprs)


def test_network_alerts_leave_out_the_loopback_device() -> None:
    network = [rule for file, rule in _hand_written() if rule.alert.startswith("Network")]
    assert sorted(rule.alert for rule in network) == [
        "NetworkReceiveDrops", "NetworkReceiveErrors", "NetworkTransmitDrops", "NetworkTransmitErrors"]
    assert all(rule.expr.count(f'device!~"{CONFIG.thresholds.ignored_network_devices}"') == 2 for rule in network)
