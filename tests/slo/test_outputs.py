"""The SLO rules reach every output that carries rules: plain Prometheus, PrometheusRule,
Thanos Ruler and Mimir namespaces."""

from __future__ import annotations

from obscode import KubernetesSettings
from obscode.build import load
from obscode.emit import render_stack
from tests.conftest import ROOT


def test_slo_rules_are_in_every_rule_output() -> None:
    quantis = load(ROOT / "stacks" / "quantis").stack
    fields = {name: getattr(quantis, name) for name in type(quantis).model_fields}
    fields.update(outputs=["prometheus", "alertmanager", "grafana", "kubernetes", "thanos", "mimir"],
                  kubernetes=KubernetesSettings())
    rendered = render_stack(type(quantis)(**fields))
    forms = rendered.rule_groups_by_output()
    assert set(forms) == {"prometheus", "kubernetes", "thanos", "mimir"}
    for output, files in forms.items():
        alerts = {rule.get("alert") for groups in files.values() for group in groups for rule in group["rules"]}
        assert {"ApiAvailabilityBudgetBurn", "ApiLatencyBudgetBurn", "PredictionSuccessBudgetBurn"} <= alerts, output
    thanos = rendered.thanos_rule_files()["thanos/rules/slo-api-availability.yml"]["groups"]
    assert {g["name"]: g.get("partial_response_strategy") for g in thanos}["slo-api-availability"] == "abort"
    assert rendered.mimir_rule_files()["mimir/rules/slo-api-availability.yml"]["namespace"] == "slo-api-availability"
