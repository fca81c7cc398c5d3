"""alerts/for: for and keep_firing_for within Stack.alert_for_warning and Stack.alert_for_max."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalog.helpers import alert, messages, stack

CHECK = "alerts/for"

PASSING = [
    ("short", {"for_": "5m"}),
    ("exactly the warning bound", {"for_": "1d"}),
    ("24h is one day", {"for_": "24h"}),
    ("keep_firing_for short", {"for_": "5m", "keep_firing_for": "15m"}),
    ("none", {}),
]

FAILING = [
    ("25h is more than a day", {"for_": "25h"}, "warning", "for",
     "for 25h is longer than 1d (Stack.alert_for_warning): the condition must hold at every evaluation for 25 hours "
     "before the alert fires, and one evaluation without it starts the wait again; shorten it, or raise "
     "Stack.alert_for_warning if this is meant"),
    ("exactly the max is still a warning", {"for_": "1w"}, "warning", "for", "for 7 days before the alert fires"),
    ("45 days", {"for_": "45d"}, "error", "for",
     "for 45d is longer than 7d (Stack.alert_for_max): the condition must hold at every evaluation for 45 days "
     "before the alert fires, and one evaluation without it starts the wait again; shorten it, or raise "
     "Stack.alert_for_max if this is meant"),
    ("keep_firing_for 8 days", {"keep_firing_for": "8d"}, "error", "keep_firing_for",
     "keep_firing_for 8d is longer than 7d (Stack.alert_for_max): the alert keeps firing for 8 days after its "
     "condition is gone; shorten it, or raise Stack.alert_for_max if this is meant"),
    ("keep_firing_for two days", {"keep_firing_for": "2d"}, "warning", "keep_firing_for",
     "keep_firing_for 2d is longer than 1d (Stack.alert_for_warning)"),
]


@pytest.mark.parametrize("fields", [c[1] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passes(fields: dict[str, Any]) -> None:
    assert messages(CHECK, stack([alert("up == 0", **fields)])) == []


@pytest.mark.parametrize(("fields", "severity", "field", "expected"), [c[1:] for c in FAILING],
                         ids=[c[0] for c in FAILING])
def test_fails(fields: dict[str, Any], severity: str, field: str, expected: str) -> None:
    found = messages(CHECK, stack([alert("up == 0", **fields)]))
    assert len(found) == 1, found
    assert found[0].startswith(f"t: {severity}[alerts/for] prometheus/rules/rules.yml: alert A (group g), "
                               f"field '{field}': ")
    assert expected in found[0] and found[0].endswith("(tests/catalog/helpers.py:51)")


def test_both_fields_are_reported() -> None:
    found = messages(CHECK, stack([alert("up == 0", for_="10d", keep_firing_for="2d")]))
    assert [f.split("field ")[1].split(":")[0] for f in found] == ["'for'", "'keep_firing_for'"]


def test_the_stack_sets_the_bounds() -> None:
    relaxed = stack([alert("up == 0", for_="10d")], alert_for_warning="3d", alert_for_max="14d")
    found = messages(CHECK, relaxed)
    assert len(found) == 1 and "warning[alerts/for]" in found[0] and "longer than 3d (Stack.alert_for_warning)" in found[0]
    strict = stack([alert("up == 0", for_="2h")], alert_for_warning="30m", alert_for_max="1h")
    found = messages(CHECK, strict)
    assert len(found) == 1 and "error[alerts/for]" in found[0] and "for 2 hours before" in found[0]


def test_quantis_passes() -> None:
    from obscode import build

    assert [p for p in build.build("stacks/quantis").check() if p.check == CHECK] == []
