"""Series of jobs a stack does not declare: a stack without its own Prometheus configuration
queries jobs it cannot list, whose targets carry at least ``job`` and ``instance``."""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup, Stack
from obscode.checks import CheckContext, run_checks
from obscode.emit import render
from tests.catalog.helpers import alert, stack


def _template_findings(the_stack: Stack) -> list[str]:
    ctx = CheckContext(stack=the_stack, files=render(the_stack))
    return [p.message for p in run_checks(ctx, only=["alerts/annotations", "catalog/label"])]


def _rules_only(*rules: AlertRule) -> Stack:
    return Stack(name="t", rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=list(rules))])],
                 job_catalogs={"node": ["node-exporter"]})


def _down(expr: str, template: str) -> AlertRule:
    return alert(expr, annotations={"summary": template, "description": "d"})


def test_up_of_a_job_the_stack_does_not_declare_keeps_job_and_instance() -> None:
    assert _template_findings(_rules_only(_down('up{job="integrations/velero"} != 0', "{{ $labels.instance }}"))) == []


def test_up_aggregated_without_instance_keeps_job() -> None:
    expr = 'sum(up{job=~".*etcd.*"} == bool 1) without (instance) < 2'
    assert _template_findings(_rules_only(_down(expr, "cluster {{ $labels.job }}"))) == []


def test_absent_of_up_still_drops_instance() -> None:
    found = _template_findings(_rules_only(_down('absent(up{job=~".*promscale.*"})', "{{ $labels.instance }}")))
    assert any("label instance ($labels.instance" in m for m in found), found


def test_a_stack_that_declares_every_job_keeps_its_closed_label_sets() -> None:
    found = _template_findings(stack([_down('sum by (job) (up{job="node"}) == 0', "{{ $labels.instance }}")]))
    assert any("label instance" in m for m in found), found


def test_labels_made_from_user_data_are_open() -> None:
    # kubernetes/alerts.yaml KubePersistentVolumeFillingUp: kube-state-metrics turns the
    # PVC's Kubernetes labels into label_* labels (--metric-labels-allowlist).
    expr = 'kube_persistentvolumeclaim_labels{label_excluded_from_alerts="true"} == 1'
    the_stack = Stack(name="t", rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=[alert(expr)])])],
                      job_catalogs={"kube-state-metrics": ["kube-state-metrics"]})
    assert _template_findings(the_stack) == []
    typo = expr.replace("kube_persistentvolumeclaim_labels{label_excluded_from_alerts", "kube_persistentvolumeclaim_info{label_excluded_from_alerts")
    the_stack.rule_files[0].groups[0].rules[0] = alert(typo)
    assert any("label label_excluded_from_alerts" in m for m in _template_findings(the_stack))
