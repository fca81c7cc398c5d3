"""SLO expansion: once per stack however often it validates, and the local profile's windows."""

from __future__ import annotations

from decimal import Decimal

from obscode import profiles
from obscode.build import load
from obscode.slo import GeneratedDashboard
from tests.conftest import ROOT


def _quantis():
    return load(ROOT / "stacks" / "quantis").stack


def test_rebuilding_a_stack_from_its_fields_adds_the_slo_outputs_once() -> None:
    stack = _quantis()
    rebuilt = type(stack)(**{name: getattr(stack, name) for name in type(stack).model_fields})
    for built in (stack, rebuilt):
        names = [f.name for f in built.rule_files]
        assert names.count("slo-api-availability") == 1 and len(names) == len(set(names))
        assert sum(isinstance(d, GeneratedDashboard) for d in built.dashboards) == 1
        assert len(built.alert_tests) == len({t.name for t in built.alert_tests})
        inhibit = [r for r in built.alertmanager.inhibit_rules if r.generated_by == "slo"]
        assert len(inhibit) == 3
    # the stack it came from still has its own, once
    assert len([r for r in stack.alertmanager.inhibit_rules if r.generated_by == "slo"]) == 3


def test_the_local_profile_shortens_windows_and_keeps_the_factors() -> None:
    stack = _quantis()
    local = profiles.local(stack, environ={})
    (availability,) = [s for s in local.slos if s.name == "api-availability"]
    (production,) = [s for s in stack.slos if s.name == "api-availability"]
    assert [(t.long_window, t.short_window) for t in availability.tiers] == [
        ("60s", "5s"), ("360s", "30s"), ("1440s", "120s"), ("4320s", "360s")]
    assert [availability.threshold(t) for t in availability.tiers] == [production.threshold(t) for t in production.tiers]
    assert availability.threshold(availability.tiers[0]) == Decimal("0.0144")
    rules = {r.record for f in local.rule_files if f.name == "slo-api-availability" for g in f.groups for r in g.rules
             if getattr(r, "record", None)}
    assert "slo:sli_error:ratio_rate60s" in rules and "slo:sli_error:ratio_rate1h" not in rules
