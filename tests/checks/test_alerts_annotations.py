"""alerts/annotations: summary and description present, runbook_url when required,
and $labels.x in annotations survive the expression."""

from __future__ import annotations

import pytest

from tests.catalog.helpers import alert, messages, stack

CHECK = "alerts/annotations"
EXPR = "max by (model_id, feature_name) (model_drift_score) > 0.05"

CASES = [
    ("complete", {"summary": "Drift on {{ $labels.model_id }}", "description": "Feature {{ $labels.feature_name }}"},
     False, []),
    ("Go template .Labels form", {"summary": "{{ .Labels.model_id }}", "description": "d"}, False, []),
    ("runbook given when required", {"summary": "s", "description": "d", "runbook_url": "https://runbooks/x"},
     True, []),
    ("no summary", {"description": "d"}, False, ["annotation summary is missing"]),
    ("blank description", {"summary": "s", "description": " "}, False, ["annotation description is missing"]),
    ("no runbook when required", {"summary": "s", "description": "d"}, True,
     ["annotation runbook_url is missing (the stack sets require_runbook_url)"]),
    ("label dropped by the aggregation", {"summary": "{{ $labels.model_version }}", "description": "d"}, False,
     ["label model_version ($labels.model_version; the expression's result does not keep it"]),
    ("typo", {"summary": "s", "description": '{{ index $labels "feature" }}'}, False,
     ["label feature", "did you mean feature_name?"]),
]


@pytest.mark.parametrize(("annotations", "runbook", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_annotations(annotations: dict[str, str], runbook: bool, expected: list[str]) -> None:
    found = messages(CHECK, stack([alert(EXPR, annotations=annotations)], require_runbook_url=runbook))
    if not expected:
        assert found == []
        return
    assert len(found) == 1, found
    assert all(e in found[0] for e in expected), found
    assert "error[alerts/annotations] prometheus/rules/rules.yml: alert A (group g), field 'annotations." in found[0]


def test_alert_labels_are_not_visible_to_annotations() -> None:
    found = messages(CHECK, stack([alert("up == 0", labels={"team": "x"},
                                         annotations={"summary": "{{ $labels.severity }}", "description": "d"})]))
    assert len(found) == 1 and "label severity" in found[0]
