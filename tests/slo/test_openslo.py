"""OpenSLO v1: the ``openslo`` output and ``obscode import openslo``.

The export is validated against a typed model of the OpenSLO v1 documents written from the
specification's README (github.com/OpenSLO/OpenSLO, apiVersion openslo/v1; unknown fields are
errors): no JSON schema of OpenSLO v1 is published on PyPI or npm."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from obscode import SLO, BurnRateTier, LatencySLI, RatioSLI
from obscode.emit import openslo, render
from obscode.errors import DefinitionError
from obscode.loader import load
from tests.conftest import ROOT
from tests.importers.helpers import imported, obscode, tree, write
from tests.slo.rules_helpers import ERRORS, HISTOGRAM, TOTAL, availability, latency, slo_stack

# --- a typed model of OpenSLO v1 ------------------------------------------------------

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
Shorthand = Annotated[str, StringConstraints(pattern=r"^\d+[mhdwMQY]$")]
LabelKey = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$")]
AnnotationKey = Annotated[str, StringConstraints(
    pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*/)?"
            r"[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$")]
Description = Annotated[str, StringConstraints(max_length=1050)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Metadata(Strict):
    name: Name
    displayName: str | None = None
    labels: dict[LabelKey, str | list[str]] | None = None
    annotations: dict[AnnotationKey, str] | None = None


class MetricSource(Strict):
    metricSourceRef: str | None = None
    type: str | None = None
    spec: dict[str, Any]


class Metric(Strict):
    metricSource: MetricSource


class RatioMetric(Strict):
    counter: bool | None = None
    good: Metric | None = None
    bad: Metric | None = None
    total: Metric | None = None
    rawType: Literal["success", "failure"] | None = None
    raw: Metric | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "RatioMetric":
        counted = self.total is not None and (self.good is None) != (self.bad is None)
        assert counted != (self.raw is not None and self.rawType is not None), "good or bad with total, or raw"
        return self


class SLISpec(Strict):
    description: Description | None = None
    thresholdMetric: Metric | None = None
    ratioMetric: RatioMetric | None = None

    @model_validator(mode="after")
    def _one_metric(self) -> "SLISpec":
        assert (self.thresholdMetric is None) != (self.ratioMetric is None), "thresholdMetric or ratioMetric"
        return self


class InlineSLI(Strict):
    metadata: Metadata
    spec: SLISpec


class Calendar(Strict):
    startTime: str
    timeZone: str


class TimeWindow(Strict):
    duration: Shorthand
    isRolling: bool | None = None
    calendar: Calendar | None = None


class Objective(Strict):
    displayName: str | None = None
    op: Literal["lte", "gte", "lt", "gt"] | None = None
    value: float | None = None
    target: Annotated[float, Field(ge=0, lt=1)] | None = None
    targetPercent: Annotated[float, Field(ge=0, lt=100)] | None = None
    timeSliceTarget: Annotated[float, Field(gt=0, le=1)] | None = None
    timeSliceWindow: Shorthand | None = None
    indicator: InlineSLI | None = None
    indicatorRef: str | None = None
    compositeWeight: Annotated[float, Field(gt=0)] | None = None


class AlertPolicyRef(Strict):
    alertPolicyRef: Name


class SLOSpec(Strict):
    description: Description | None = None
    service: str
    indicator: InlineSLI | None = None
    indicatorRef: str | None = None
    timeWindow: Annotated[list[TimeWindow], Field(min_length=1, max_length=1)] | None = None
    budgetingMethod: Literal["Occurrences", "Timeslices", "RatioTimeslices"]
    objectives: Annotated[list[Objective], Field(min_length=1)]
    alertPolicies: list[AlertPolicyRef] | None = None


class Condition(Strict):
    kind: Literal["burnrate"] = "burnrate"
    op: Literal["lte", "gte", "lt", "gt"]
    threshold: float | int
    lookbackWindow: Shorthand
    alertAfter: Shorthand | None = None


class AlertConditionSpec(Strict):
    description: Description | None = None
    severity: str
    condition: Condition


class InlineAlertCondition(Strict):
    kind: Literal["AlertCondition"]
    metadata: Metadata
    spec: AlertConditionSpec


class NotificationTargetSpec(Strict):
    target: str
    description: Description | None = None


class InlineNotificationTarget(Strict):
    kind: Literal["AlertNotificationTarget"]
    metadata: Metadata
    spec: NotificationTargetSpec


class AlertPolicySpec(Strict):
    description: Description | None = None
    alertWhenNoData: bool
    alertWhenResolved: bool
    alertWhenBreaching: bool
    conditions: Annotated[list[InlineAlertCondition], Field(min_length=1, max_length=1)]
    notificationTargets: Annotated[list[InlineNotificationTarget], Field(min_length=1)]


class ServiceSpec(Strict):
    description: Description | None = None


SPECS: dict[str, type[Strict]] = {"Service": ServiceSpec, "SLO": SLOSpec, "AlertPolicy": AlertPolicySpec}


class Document(Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["Service", "SLO", "AlertPolicy"]
    metadata: Metadata
    spec: dict[str, Any]

    @model_validator(mode="after")
    def _spec(self) -> "Document":
        SPECS[self.kind].model_validate(self.spec)
        return self


def documents(content: bytes) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(content))


# --- the export -----------------------------------------------------------------------

def custom_tiers_slo() -> SLO:
    """28 days, a whole-second latency bound, and tiers of its own (one burn rate no finite decimal)."""
    return SLO(name="model-latency", service="model", objective=Decimal("99.5"), period="28d",
               sli=LatencySLI(histogram='model_prediction_seconds{job="model"}', threshold=Decimal("1")),
               tiers=[BurnRateTier(name="page-fast", budget_share=Decimal("0.02"), long_window="1h",
                                   short_window="5m", action="page", labels={"team": "ml"}),
                      BurnRateTier(name="ticket-slow", budget_share=Decimal("0.1"), long_window="3d",
                                   short_window="6h", action="ticket", severity="info")],
               labels={"team": "ml"}, description="Predictions answer within a second")


SHAPES = [
    availability(runbook_url="https://runbooks.example.com/api-availability", description="API requests succeed",
                 labels={"team": "core"}),
    latency(tiers=[]),
    SLO(name="api-success", service="api", objective=Decimal("99.95"),
        sli=RatioSLI(total=TOTAL, good='http_requests_total{job="api", status!~"5.."}')),
    custom_tiers_slo(),
]


@pytest.mark.parametrize("slo", SHAPES, ids=lambda slo: slo.name)
def test_every_document_is_openslo_v1(slo: SLO) -> None:
    for document in documents(openslo.file_content(slo, "s")):
        Document.model_validate(document)


def test_the_output_is_one_file_per_slo_when_the_stack_asks_for_it() -> None:
    plain = render(slo_stack(availability(), latency()))
    assert not [p for p in plain if p.startswith("openslo/")]
    files = render(slo_stack(availability(), latency(), outputs=["prometheus", "alertmanager", "openslo"]))
    assert sorted(p for p in files if p.startswith("openslo/")) == ["openslo/api-availability.yaml",
                                                                     "openslo/api-latency.yaml"]
    assert files["openslo/api-availability.yaml"] == openslo.file_content(availability(), "s")


def test_a_file_holds_the_service_the_slo_and_one_alert_policy_per_tier() -> None:
    kinds = [(d["kind"], d["metadata"]["name"]) for d in documents(openslo.file_content(availability(), "s"))]
    assert kinds == [("Service", "api"), ("SLO", "api-availability"),
                     ("AlertPolicy", "api-availability-page-fast"), ("AlertPolicy", "api-availability-page-slow"),
                     ("AlertPolicy", "api-availability-ticket-fast"), ("AlertPolicy", "api-availability-ticket-slow")]


def test_the_slo_counts_occurrences_over_a_rolling_period_with_the_exact_target() -> None:
    spec = documents(openslo.file_content(availability(), "s"))[1]["spec"]
    assert spec["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    assert spec["budgetingMethod"] == "Occurrences"
    assert spec["objectives"] == [{"target": 0.999}]
    text = openslo.file_content(availability(objective=Decimal("99.95")), "s").decode()
    assert "- target: 0.9995\n" in text


def test_a_ratio_sli_is_a_ratio_metric_of_the_prometheus_counters() -> None:
    ratio = documents(openslo.file_content(availability(), "s"))[1]["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio == {"counter": True,
                     "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": ERRORS}}},
                     "total": {"metricSource": {"type": "Prometheus", "spec": {"query": TOTAL}}}}


@pytest.mark.parametrize(("threshold", "good"), [
    ("0.5", 'http_request_duration_seconds_bucket{job="api",le="0.5"}'),
    ("1", 'http_request_duration_seconds_bucket{job="api",le=~"1|1\\\\.0"}'),
])
def test_a_latency_sli_is_the_bucket_of_the_threshold_over_the_count(threshold: str, good: str) -> None:
    ratio = documents(openslo.file_content(latency(threshold), "s"))[1]["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["good"]["metricSource"]["spec"]["query"] == good
    assert ratio["total"]["metricSource"]["spec"]["query"] == 'http_request_duration_seconds_count{job="api"}'


def test_each_tier_is_a_burn_rate_condition_at_its_factor() -> None:
    policies = documents(openslo.file_content(availability(), "s"))[2:]
    conditions = [p["spec"]["conditions"][0] for p in policies]
    assert [c["spec"]["condition"] for c in conditions] == [
        {"kind": "burnrate", "op": "gt", "threshold": 14.4, "lookbackWindow": "1h", "alertAfter": "0m"},
        {"kind": "burnrate", "op": "gt", "threshold": 6, "lookbackWindow": "6h", "alertAfter": "0m"},
        {"kind": "burnrate", "op": "gt", "threshold": 3, "lookbackWindow": "1d", "alertAfter": "0m"},
        {"kind": "burnrate", "op": "gt", "threshold": 1, "lookbackWindow": "3d", "alertAfter": "0m"}]
    assert [c["metadata"]["annotations"] for c in conditions] == [
        {"obscode/budget-share": "0.02", "obscode/short-window": "5m"},
        {"obscode/budget-share": "0.05", "obscode/short-window": "30m"},
        {"obscode/budget-share": "0.1", "obscode/short-window": "2h"},
        {"obscode/budget-share": "0.1", "obscode/short-window": "6h"}]
    assert [c["spec"]["severity"] for c in conditions] == ["critical", "critical", "warning", "warning"]
    assert [p["spec"]["notificationTargets"][0]["metadata"]["name"] for p in policies] == \
        ["page", "page", "ticket", "ticket"]


def test_a_burn_rate_that_is_no_finite_decimal_is_rounded_and_the_share_kept_exact() -> None:
    ticket_slow = documents(openslo.file_content(custom_tiers_slo(), "s"))[-1]
    condition = ticket_slow["spec"]["conditions"][0]
    # 10 % of 28 days in 3 days: 0.1 × 672 h ÷ 72 h = 0.9333…
    assert condition["spec"]["condition"]["threshold"] == 0.933333
    assert condition["metadata"]["annotations"]["obscode/budget-share"] == "0.1"
    assert condition["spec"]["severity"] == "info"


def test_runbook_labels_and_description_are_on_the_slo() -> None:
    slo = documents(openslo.file_content(SHAPES[0], "s"))[1]
    assert slo["metadata"] == {"name": "api-availability", "labels": {"team": "core"},
                               "annotations": {"obscode/runbook-url": "https://runbooks.example.com/api-availability"}}
    assert slo["spec"]["description"] == "API requests succeed"


def test_an_slo_without_tiers_has_no_alert_policies() -> None:
    docs = documents(openslo.file_content(latency(tiers=[]), "s"))
    assert [d["kind"] for d in docs] == ["Service", "SLO"]
    assert "alertPolicies" not in docs[1]["spec"]


def test_the_export_is_deterministic() -> None:
    assert {openslo.file_content(slo, "s") for _ in range(3) for slo in SHAPES[:1]} == \
        {openslo.file_content(SHAPES[0], "s")}


def test_a_description_longer_than_openslo_takes_is_a_definition_error() -> None:
    with pytest.raises(ValueError, match="SLO api-availability: the description has 1051 characters; an OpenSLO "
                                         "description holds at most 1050"):
        openslo.file_content(availability(description="x" * 1051), "s")


def test_an_objective_no_yaml_number_holds_exactly_is_a_definition_error() -> None:
    with pytest.raises(ValueError, match=r"SLO api-availability: objective 99.99999999999999999 has more digits "
                                         r"than a YAML number keeps exactly \(15\)"):
        openslo.file_content(availability(objective=Decimal("99.99999999999999999")), "s")


def test_a_window_of_seconds_is_a_definition_error() -> None:
    tier = BurnRateTier(name="page-fast", budget_share=Decimal("0.02"), long_window="1h", short_window="90s",
                        action="page")
    with pytest.raises(ValueError, match="SLO api-availability, tier page-fast: duration '90s' is no whole number "
                                         "of minutes: OpenSLO durations count minutes, hours or days"):
        openslo.file_content(availability(tiers=[tier]), "s")


def test_a_label_that_is_no_openslo_label_key_is_a_definition_error() -> None:
    with pytest.raises(ValueError, match="api-availability: label '_team' is no OpenSLO label key"):
        openslo.file_content(availability(labels={"_team": "core"}), "s")


def test_a_service_that_is_no_openslo_name_is_a_definition_error() -> None:
    the_stack = slo_stack(availability(service="API Gateway"), outputs=["prometheus", "alertmanager", "openslo"])
    with pytest.raises(DefinitionError) as raised:
        render(the_stack)
    assert str(raised.value) == (
        "stack s: output: SLO api-availability: service 'API Gateway' is no OpenSLO object name: use at most 63 "
        "lower-case letters, digits and '-', starting and ending with a letter or digit")


# --- import: the round trip -----------------------------------------------------------

def _export(tmp_path: Path, *slos: SLO) -> list[Path]:
    files = render(slo_stack(*slos, outputs=["prometheus", "alertmanager", "openslo"]))
    return [write(tmp_path / "in" / Path(p).name, files[p].decode()) for p in sorted(files) if p.startswith("openslo/")]


def test_export_import_export_is_identical(tmp_path: Path) -> None:
    exported = _export(tmp_path, *SHAPES)
    imported("openslo", *exported, stack=tmp_path / "s")
    again = openslo.emit(load(tmp_path / "s").stack)
    assert {Path(p).name: content for p, content in again.items()} == {p.name: p.read_bytes() for p in exported}


def test_the_import_writes_readable_slo_calls(tmp_path: Path) -> None:
    imported("openslo", *_export(tmp_path, availability(), latency(tiers=[]), custom_tiers_slo()),
             stack=tmp_path / "s")
    code = (tmp_path / "s" / "slos.py").read_text()
    assert "from obscode import BurnRateTier, LatencySLI, RatioSLI, SLO\n" in code
    assert 'objective=99.9,\n    sli=RatioSLI(\n' in code
    assert f"sli=LatencySLI(histogram='{HISTOGRAM}', threshold=0.5)," in code
    # the workbook's tiers are the default: not written
    assert code.count("BurnRateTier(") == 2
    assert "slos = [api_availability, api_latency, model_latency]\n" in code
    assert "from .slos import slos" in (tmp_path / "s" / "__init__.py").read_text()


def test_the_slos_join_a_stack_package_other_imports_wrote(tmp_path: Path) -> None:
    rules = write(tmp_path / "in" / "rules.yaml", "groups:\n- name: api\n  rules:\n  - alert: ApiDown\n"
                  "    expr: up{job=\"api\"} == 0\n")
    imported("rules", rules, stack=tmp_path / "s")
    imported("openslo", *_export(tmp_path, availability()), stack=tmp_path / "s")
    loaded = load(tmp_path / "s").stack
    assert [slo.name for slo in loaded.slos] == ["api-availability"]
    assert "rules" in [f.name for f in loaded.rule_files]
    assert "slo-api-availability" in [f.name for f in loaded.rule_files]


# --- import: OpenSLO written elsewhere ------------------------------------------------

FOREIGN = """\
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prometheus
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus:9090
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        metricSourceRef: prometheus
        spec:
          query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m]))
    total:
      metricSource:
        metricSourceRef: prometheus
        spec:
          query: sum(rate(http_requests_total{job="checkout"}[5m]))
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  severity: page
  condition:
    kind: burnrate
    op: gt
    threshold: 14.4
    lookbackWindow: 1h
    alertAfter: 0m
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: checkout-fast-burn
spec:
  alertWhenBreaching: true
  alertWhenResolved: false
  alertWhenNoData: false
  conditions:
    - conditionRef: fast-burn
  notificationTargets:
    - targetRef: pagerduty
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
  displayName: Checkout
  annotations:
    example.com/owner: payments
spec:
  service: checkout
  indicatorRef: checkout-errors
  timeWindow:
    - duration: 4w
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.5
  alertPolicies:
    - alertPolicyRef: checkout-fast-burn
"""


def test_referenced_slis_data_sources_policies_and_conditions_are_resolved(tmp_path: Path) -> None:
    result = imported("openslo", write(tmp_path / "checkout.yaml", FOREIGN), stack=tmp_path / "s")
    slo = load(tmp_path / "s").stack.slos[0]
    assert slo.sli.model_dump() == RatioSLI(total='http_requests_total{job="checkout"}',
                                            bad='http_requests_total{job="checkout",code=~"5.."}').model_dump()
    assert (slo.objective, slo.period) == (Decimal("99.5"), "28d")
    tier = slo.tiers[0]
    # policy checkout-fast-burn of SLO checkout: tier fast-burn; 14.4 over 1 h of 28 days is 14.4 ÷ 672 of the
    # budget (no finite decimal: the shortest one that writes threshold 14.4 again), the short window the
    # workbook's 1/12
    assert (tier.name, tier.long_window, tier.short_window, tier.action, tier.severity) == \
        ("fast-burn", "1h", "5m", "page", "page")
    assert tier.budget_share == Decimal("0.021428571")
    assert "burn rate 14.4 over 1h of 28d is a budget share of 0.0214285714286…: written as 0.021428571, the " \
        "shortest decimal whose burn rate is again 14.4" in result.output
    assert "short window 5m (lookbackWindow ÷ 12, as the SRE workbook)" in result.output
    assert "action page, from severity 'page'" in result.output
    assert "checkout.yaml:58: SLO checkout: displayName is not kept" in result.output
    assert "checkout.yaml:60: SLO checkout: annotation 'example.com/owner' is not kept" in result.output


THRESHOLD = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-latency
spec:
  service: search
  indicator:
    metadata:
      name: search-latency
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: search_duration_seconds_bucket{job="search"}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - op: lte
      value: 0.25
      target: 0.99
"""


def test_a_threshold_metric_on_buckets_is_a_latency_sli(tmp_path: Path) -> None:
    imported("openslo", write(tmp_path / "search.yaml", THRESHOLD), stack=tmp_path / "s")
    slo = load(tmp_path / "s").stack.slos[0]
    assert slo.sli.model_dump() == LatencySLI(histogram='search_duration_seconds{job="search"}',
                                              threshold=Decimal("0.25")).model_dump()
    assert (slo.objective, slo.tiers) == (Decimal("99"), [])


# --- import: what cannot be expressed -------------------------------------------------

def _failed(tmp_path: Path, text: str, name: str = "slo.yaml") -> list[str]:
    """The import of ``text`` fails with exit 2, writes nothing, and says why (its lines)."""
    result = obscode("import", "openslo", write(tmp_path / name, text), "--stack", "s", "--out", tmp_path / "s")
    assert result.exit_code == 2, result.output
    assert tree(tmp_path / "s") == {}
    assert result.output.rstrip().endswith("nothing written")
    return [line.replace(f"{tmp_path}/", "") for line in result.output.splitlines() if ": error: " in line]


def _edited(old: str, new: str, text: str = THRESHOLD, count: int = -1) -> str:
    """``text`` with ``old`` replaced (its first ``count`` occurrences)."""
    assert old in text
    return text.replace(old, new, count)


def test_another_api_version_is_an_error(tmp_path: Path) -> None:
    errors = _failed(tmp_path, _edited("apiVersion: openslo/v1\n", "apiVersion: openslo/v1alpha\n"))
    assert errors == ["slo.yaml:1: error: document 1: apiVersion 'openslo/v1alpha': obscode reads OpenSLO v1 "
                      "(apiVersion: openslo/v1); convert the document to v1 first"]


def test_missing_objectives_are_an_error(tmp_path: Path) -> None:
    text = THRESHOLD.split("  objectives:")[0]
    assert _failed(tmp_path, text) == [
        "slo.yaml:6: error: SLO search-latency: spec.objectives is missing: give one objective, e.g. "
        "objectives: [{target: 0.999}] (or targetPercent: 99.9)"]


def test_a_calendar_aligned_window_is_an_error(tmp_path: Path) -> None:
    text = _edited("    - duration: 30d\n      isRolling: true\n",
                   "    - duration: 1M\n      calendar:\n        startTime: 2024-01-01 00:00:00\n"
                   "        timeZone: UTC\n")
    assert _failed(tmp_path, text) == [
        "slo.yaml:18: error: SLO search-latency: a calendar-aligned time window cannot be expressed: obscode's SLOs "
        "hold over a rolling 28d or 30d window; write timeWindow: [{duration: 30d, isRolling: true}]"]


def test_a_rolling_window_of_another_length_is_an_error(tmp_path: Path) -> None:
    assert _failed(tmp_path, _edited("duration: 30d", "duration: 7d")) == [
        "slo.yaml:17: error: SLO search-latency: timeWindow duration '7d' cannot be expressed: obscode's SLOs hold "
        "over a rolling 28d (4w) or 30d window"]


def test_a_metric_source_other_than_prometheus_is_an_error(tmp_path: Path) -> None:
    assert _failed(tmp_path, _edited("type: Prometheus", "type: Datadog")) == [
        "slo.yaml:13: error: SLO search-latency: metric source Datadog cannot be expressed: obscode's SLIs are "
        "Prometheus queries (metricSource.type: Prometheus)"]


def test_a_data_source_other_than_prometheus_is_an_error(tmp_path: Path) -> None:
    cloudwatch = ("---\napiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: cloudwatch\n"
                  "spec:\n  type: CloudWatch\n")
    text = _edited("metricSourceRef: prometheus", "metricSourceRef: cloudwatch", FOREIGN, 1) + cloudwatch
    assert _failed(tmp_path, text) == [
        "slo.yaml:19: error: SLO checkout: metric source CloudWatch cannot be expressed: obscode's SLIs are "
        "Prometheus queries (metricSource.type: Prometheus)"]


@pytest.mark.parametrize("method", ["Timeslices", "RatioTimeslices"])
def test_timeslice_budgeting_is_an_error(tmp_path: Path, method: str) -> None:
    assert _failed(tmp_path, _edited("budgetingMethod: Occurrences", f"budgetingMethod: {method}")) == [
        f"slo.yaml:19: error: SLO search-latency: budgetingMethod {method} cannot be expressed: it counts good time "
        "slices, while obscode's SLOs count good events over all events (budgetingMethod: Occurrences)"]


def test_a_quantile_threshold_is_an_error(tmp_path: Path) -> None:
    text = _edited("query: search_duration_seconds_bucket{job=\"search\"}",
                   "query: histogram_quantile(0.99, sum by (le) (rate(search_duration_seconds_bucket[5m])))")
    errors = _failed(tmp_path, text)
    assert len(errors) == 1
    assert errors[0].startswith("slo.yaml:15: error: SLO search-latency: a thresholdMetric on histogram_quantile(...) "
                                "cannot be expressed: it compares a quantile per sample")


def test_a_query_that_is_no_counter_selector_is_an_error(tmp_path: Path) -> None:
    text = _edited('sum(rate(http_requests_total{job="checkout"}[5m]))',
                   'sum by (route) (rate(http_requests_total{job="checkout"}[5m]))', FOREIGN)
    errors = _failed(tmp_path, text)
    assert errors == [
        "slo.yaml:26: error: SLO checkout, total: query "
        "'sum by (route) (rate(http_requests_total{job=\"checkout\"}[5m]))' cannot be expressed: obscode's SLIs "
        "take the counters' selectors (http_requests_total{job=\"api\"}) and count the events over each window "
        "themselves; sum(rate(SELECTOR[5m])) is read as SELECTOR too"]


def test_an_alert_after_delay_is_an_error(tmp_path: Path) -> None:
    errors = _failed(tmp_path, _edited("alertAfter: 0m", "alertAfter: 5m", FOREIGN))
    assert errors == [
        "slo.yaml:39: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: alertAfter 5m cannot "
        "be expressed: obscode's burn-rate alerts fire without waiting, the short window (obscode/short-window) "
        "confirms the burn instead; set alertAfter: 0m"]


def test_a_budget_share_that_contradicts_the_threshold_is_an_error(tmp_path: Path) -> None:
    exported = _export(tmp_path, availability())[0]
    text = exported.read_text().replace("obscode/budget-share: '0.02'", "obscode/budget-share: '0.03'")
    errors = _failed(tmp_path, text, "edited.yaml")
    assert errors == [
        "edited.yaml:58: error: SLO api-availability, alert policy api-availability-page-fast, condition "
        "api-availability-page-fast: annotation obscode/budget-share 0.03 means burn rate 21.6 over 30d, not the "
        "threshold 14.4: correct one, or remove the annotation"]


def test_a_problem_of_a_referenced_object_names_its_own_file(tmp_path: Path) -> None:
    documents = FOREIGN.split("---\n")
    write(tmp_path / "slis.yaml", "---\n".join(documents[:2]).replace("counter: true", "counter: false"))
    slo = write(tmp_path / "slo.yaml", "---\n".join(documents[2:]))
    result = obscode("import", "openslo", tmp_path / "slis.yaml", slo, "--stack", "s", "--out", tmp_path / "s")
    assert result.exit_code == 2
    assert result.output.replace(f"{tmp_path}/", "").startswith(
        "slis.yaml:16: error: SLO checkout: counter: false cannot be expressed")


def test_the_export_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    script = ("import sys; from tests.slo.test_openslo import SHAPES; from obscode.emit import openslo; "
              "sys.stdout.buffer.write(b''.join(openslo.file_content(slo, 's') for slo in SHAPES))")
    outputs = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    second = _edited("budgetingMethod: Occurrences", "budgetingMethod: Timeslices",
                     _edited("name: search-latency\nspec", "name: other-latency\nspec"))
    result = obscode("import", "openslo", write(tmp_path / "a.yaml", _edited("type: Prometheus", "type: Datadog")),
                     write(tmp_path / "b.yaml", second), "--stack", "s", "--out", tmp_path / "s")
    assert result.exit_code == 2
    output = result.output.replace(f"{tmp_path}/", "")
    assert re.findall(r"^(\S+): error: SLO ([a-z-]+): (\S+ \S+)", output, re.M) == [
        ("a.yaml:13", "search-latency", "metric source"), ("b.yaml:19", "other-latency", "budgetingMethod Timeslices")]
    assert "import: 2 error(s); nothing written" in result.output
    assert tree(tmp_path / "s") == {}


def _exported_availability() -> str:
    return openslo.file_content(availability(), "s").decode()


#: (case, input, the one error: its line and the start of its message)
ERROR_TABLE = [
    ("several objectives", _edited("      target: 0.99\n", "      target: 0.99\n    - target: 0.9\n"),
     "slo.yaml:20: error: SLO search-latency: 2 objectives: obscode's SLO has one objective; write one SLO per "
     "objective"),
    ("composite", _edited("      target: 0.99\n", "      target: 0.99\n      indicatorRef: other\n"),
     "slo.yaml:24: error: SLO search-latency: a composite SLO (objective field indicatorRef) cannot be expressed"),
    ("timeslice objective", _edited("      target: 0.99\n", "      target: 0.99\n      timeSliceTarget: 0.9\n"),
     "slo.yaml:24: error: SLO search-latency: objective field timeSliceTarget is for timeslice budgeting"),
    ("target and percent", _edited("      target: 0.99\n", "      target: 0.99\n      targetPercent: 99\n"),
     "slo.yaml:21: error: SLO search-latency: an objective takes exactly one of target (0.999) and targetPercent"),
    ("target not a number", _edited("target: 0.99", "target: high"),
     "slo.yaml:23: error: SLO search-latency: target must be a number, not 'high'"),
    ("objective out of range", _edited("target: 0.99", "target: 0"),
     "slo.yaml:1: error: SLO search-latency, field 'objective': objective 0 is a percentage of good events"),
    ("raw ratio", _edited("    counter: true\n    bad:", "    counter: true\n    rawType: failure\n    raw:", FOREIGN),
     "slo.yaml:18: error: SLO checkout: a precomputed ratio (raw) cannot be expressed"),
    ("gauges", _edited("counter: true", "counter: false", FOREIGN),
     "slo.yaml:16: error: SLO checkout: counter: false cannot be expressed: obscode's SLIs count events"),
    ("good and bad", _edited("    bad:", "    good:\n      metricSource: {type: Prometheus, spec: {query: up}}\n"
                             "    bad:", FOREIGN),
     "slo.yaml:16: error: SLO checkout: a ratioMetric takes total and exactly one of good and bad"),
    ("op on a ratio", _edited("    - targetPercent: 99.5\n", "    - targetPercent: 99.5\n      op: lte\n", FOREIGN),
     "slo.yaml:70: error: SLO checkout: objective field op is for a thresholdMetric"),
    ("unknown SLI", _edited("indicatorRef: checkout-errors", "indicatorRef: nope", FOREIGN),
     "slo.yaml:63: error: SLO checkout: indicatorRef 'nope' names no SLI in the input files"),
    ("unknown data source", _edited("metricSourceRef: prometheus", "metricSourceRef: nope", FOREIGN, 1),
     "slo.yaml:19: error: SLO checkout: metricSourceRef 'nope' names no DataSource in the input files"),
    ("unknown policy", _edited("alertPolicyRef: checkout-fast-burn", "alertPolicyRef: nope", FOREIGN),
     "slo.yaml:71: error: SLO checkout: alertPolicyRef 'nope' names no AlertPolicy in the input files"),
    ("unknown condition", _edited("conditionRef: fast-burn", "conditionRef: nope", FOREIGN),
     "slo.yaml:50: error: SLO checkout, alert policy checkout-fast-burn: conditionRef 'nope' names no AlertCondition"),
    ("alert on no data", _edited("alertWhenNoData: false", "alertWhenNoData: true", FOREIGN),
     "slo.yaml:48: error: SLO checkout, alert policy checkout-fast-burn: alertWhenNoData: true cannot be expressed"),
    ("never alerting", _edited("alertWhenBreaching: true", "alertWhenBreaching: false", FOREIGN),
     "slo.yaml:46: error: SLO checkout, alert policy checkout-fast-burn: alertWhenBreaching: false makes a policy "
     "that never alerts"),
    ("burn rate below", _edited("op: gt", "op: lte", FOREIGN),
     "slo.yaml:36: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: op 'lte': a burn-rate "
     "tier alerts when the burn rate is above its threshold (op: gt)"),
    ("calendar unit", _edited("lookbackWindow: 1h", "lookbackWindow: 1M", FOREIGN),
     "slo.yaml:38: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: lookbackWindow 1M "
     "counts months, which have no fixed length"),
    ("no short window", _edited("lookbackWindow: 1h", "lookbackWindow: 7m", FOREIGN),
     "slo.yaml:31: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: no "
     "obscode/short-window annotation, and lookbackWindow ÷ 12"),
    ("other condition", _edited("kind: burnrate", "kind: errorbudget", FOREIGN),
     "slo.yaml:35: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: condition kind "
     "'errorbudget' cannot be expressed"),
    ("no threshold", _edited("    threshold: 14.4\n", "", FOREIGN),
     "slo.yaml:35: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: threshold is missing"),
    ("no severity", _edited("  severity: page\n", "", FOREIGN),
     "slo.yaml:33: error: SLO checkout, alert policy checkout-fast-burn, condition fast-burn: severity is missing"),
    ("bad short window", _exported_availability().replace("obscode/short-window: 5m", "obscode/short-window: 5 min"),
     "slo.yaml:59: error: SLO api-availability, alert policy api-availability-page-fast, condition "
     "api-availability-page-fast: annotation obscode/short-window: '5 min' is not a Prometheus duration"),
    ("unknown field", _edited("  service: search\n", "  service: search\n  owner: me\n"),
     "slo.yaml:7: error: SLO search-latency: unknown field 'owner'; it takes description, service, indicator"),
    ("no service", _edited("  service: search\n", ""),
     "slo.yaml:6: error: SLO search-latency: spec.service is missing"),
    ("no budgeting method", _edited("  budgetingMethod: Occurrences\n", ""),
     "slo.yaml:6: error: SLO search-latency: spec.budgetingMethod is missing"),
    ("no window", _edited("  timeWindow:\n    - duration: 30d\n      isRolling: true\n", ""),
     "slo.yaml:6: error: SLO search-latency: spec.timeWindow is missing"),
    ("not rolling", _edited("isRolling: true", "isRolling: false"),
     "slo.yaml:18: error: SLO search-latency: a calendar-aligned time window cannot be expressed"),
    ("a label of several values", _edited("  name: search-latency\nspec", "  name: search-latency\n  labels:\n"
                                          "    team: [search, web]\nspec"),
     "slo.yaml:6: error: SLO search-latency: label 'team' has 2 values"),
    ("not a bucket threshold", _edited("search_duration_seconds_bucket", "search_duration_seconds_sum"),
     "slo.yaml:15: error: SLO search-latency: a thresholdMetric maps to obscode's latency SLI only on a histogram's "
     "buckets"),
    ("threshold below", _edited("op: lte", "op: gte"),
     "slo.yaml:21: error: SLO search-latency: a thresholdMetric on buckets needs op: lte and value"),
    ("no PromQL", _edited('query: search_duration_seconds_bucket{job="search"}', "query: rate(("),
     "slo.yaml:15: error: SLO search-latency: query 'rate((' is not PromQL"),
    ("offset", _edited('query: search_duration_seconds_bucket{job="search"}',
                       'query: search_duration_seconds_bucket{job="search"} offset 5m'),
     "slo.yaml:15: error: SLO search-latency: 'search_duration_seconds_bucket{job=\"search\"} offset 5m': a "
     "selector of the SLI takes no offset"),
    ("no query", _edited('query: search_duration_seconds_bucket{job="search"}', "promql: ''"),
     "slo.yaml:15: error: SLO search-latency: thresholdMetric.metricSource.spec.query is missing"),
    ("no type", _edited("          type: Prometheus\n", ""),
     "slo.yaml:13: error: SLO search-latency: thresholdMetric.metricSource needs type: Prometheus"),
    ("two different objects of a name", FOREIGN + "---\napiVersion: openslo/v1\nkind: SLI\nmetadata:\n"
     "  name: checkout-errors\nspec:\n  description: another\n",
     "slo.yaml:73: error: SLI 'checkout-errors' is defined twice, differently (first in slo.yaml:10); keep one"),
    ("another kind", _edited("kind: SLO", "kind: Objective"),
     "slo.yaml:2: error: document 1: kind 'Objective' is no OpenSLO v1 kind"),
    ("no SLO", FOREIGN.split("---\napiVersion: openslo/v1\nkind: SLO")[0],
     "slo.yaml: error: holds no OpenSLO SLO document: nothing to import"),
    ("a list document", "- apiVersion: openslo/v1\n",
     "slo.yaml:1: error: document 1 is not a mapping: an OpenSLO document has apiVersion, kind, metadata and spec"),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in ERROR_TABLE],
                         ids=[case[0] for case in ERROR_TABLE])
def test_what_cannot_be_imported_is_an_error_at_its_line(tmp_path: Path, text: str, expected: str) -> None:
    errors = _failed(tmp_path, text)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors[0]
