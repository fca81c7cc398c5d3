"""``obscode import openslo``: OpenSLO v1 documents -> ``slos.py`` of ``SLO(...)`` calls.

Reads SLOs with their SLI inline or referenced (``indicatorRef``), Prometheus queries given
directly or through a ``metricSourceRef`` DataSource, and their burn-rate AlertPolicies inline
or referenced, across every input file. What obscode's SLO cannot express — another apiVersion,
calendar windows, timeslice budgeting, another metric source, quantiles, composite SLOs — is an
error at its line, and nothing is written (docs/openslo.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import promql_parser as pp

from obscode.emit import openslo as out
from obscode.errors import DefinitionError
from obscode.importers import pycode
from obscode.importers.problems import Collector
from obscode.importers.yaml_lines import Mapping, Sequence, load_documents, report_duplicates
from obscode.model.duration import parse_duration
from obscode.model.slo import SLO, BurnRateTier, LatencySLI, RatioSLI, workbook_tiers

KINDS = ("SLO", "SLI", "DataSource", "Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")
#: The periods obscode's SLO models, by the OpenSLO durations that spell them.
PERIODS = {"28d": "28d", "4w": "28d", "30d": "30d"}
_SHORTHAND = re.compile(r"^(\d+)([mhdwMQY])$")
_CALENDAR_UNITS = {"M": "months", "Q": "quarters", "Y": "years"}
_METADATA = ("name", "displayName", "labels", "annotations")
_SLO_SPEC = ("description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives",
             "alertPolicies")
_OBJECTIVE = ("displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow",
              "indicator", "indicatorRef", "compositeWeight")
_RATIO = ("counter", "good", "bad", "total", "raw", "rawType")
_CONDITION = ("kind", "op", "threshold", "lookbackWindow", "alertAfter")
_POLICY_SPEC = ("description", "alertWhenNoData", "alertWhenResolved", "alertWhenBreaching", "conditions",
                "notificationTargets")
_PAGE_SEVERITIES = {"critical", "page"}


@dataclass
class Document:
    """One OpenSLO document of an input file."""

    file: str
    data: Mapping

    @property
    def kind(self) -> str:
        return str(self.data.get("kind"))

    @property
    def name(self) -> str:
        meta = self.data.get("metadata")
        return str(meta.get("name")) if isinstance(meta, Mapping) else ""


@dataclass
class ImportedSLO:
    slo: SLO
    file: str
    line: int
    #: The PromQL selectors it reads, for the catalog suggestions.
    selectors: list[str] = field(default_factory=list)


class _Reader:
    """Reads the SLOs of a set of documents, every problem reported at its line."""

    def __init__(self, documents: list[Document], report: Collector) -> None:
        self.report = report
        self.index: dict[tuple[str, str], Document] = {}
        self.slos = [d for d in documents if d.kind == "SLO"]
        for document in documents:
            key = (document.kind, document.name)
            if key in self.index:
                first = self.index[key]
                if first.data == document.data:  # the same object written in two files (a shared Service)
                    continue
                self.error(document, document.data, f"{document.kind} {document.name!r} is defined twice, "
                           f"differently (first in {first.file}:{first.data.line}); keep one")
                continue
            self.index[key] = document
        self.file = self.slo_file = ""

    def error(self, document: Document | str, node: Any, message: str, key: str | None = None) -> None:
        file = document.file if isinstance(document, Document) else document
        line = node.line_of(key) if isinstance(node, Mapping) and key is not None else getattr(node, "line", None)
        self.report.error(file, line, message)

    def err(self, node: Any, message: str, key: str | None = None) -> None:
        self.error(self.file, node, message, key)

    def err_objective(self, node: Any, message: str, key: str | None = None) -> None:
        """An error in the SLO's objective, which may be in another file than its SLI."""
        self.error(self.slo_file, node, message, key)

    def unknown(self, data: Mapping, allowed: tuple[str, ...], what: str) -> bool:
        ok = True
        for key in data:
            if key not in allowed:
                self.err(data, f"{what}: unknown field {key!r}; it takes {', '.join(allowed)}", key)
                ok = False
        return ok

    def mapping(self, data: Mapping, key: str, what: str, required: bool = True) -> Mapping | None:
        value = data.get(key)
        if value is None:
            if required:
                self.err(data, f"{what}: {key} is missing")
            return None
        if not isinstance(value, Mapping):
            self.err(data, f"{what}: {key} must be a mapping", key)
            return None
        return value

    # --- the SLO ---------------------------------------------------------------

    def read(self, document: Document) -> ImportedSLO | None:
        self.file = self.slo_file = document.file
        before = len(self.report.errors)
        data = document.data
        meta = self.mapping(data, "metadata", "SLO")
        spec = self.mapping(data, "spec", f"SLO {document.name}")
        if meta is None or spec is None:
            return None
        name = meta.text("name")
        what = f"SLO {name}"
        self.unknown(meta, _METADATA, f"{what}, metadata")
        labels = self.labels(meta, what)
        runbook = self.annotations(meta, what).get(out.RUNBOOK_URL, "")
        self.unknown(spec, _SLO_SPEC, what)
        service = spec.text("service")
        if not isinstance(service, str) or not service:
            self.err(spec, f"{what}: spec.service is missing: name the service the SLO is about")
        period = self.period(spec, what)
        self.budgeting(spec, what)
        objective = self.objective(spec, what)
        sli_spec = self.indicator(spec, what)
        sli, selectors = self.sli(sli_spec, objective, what) if sli_spec is not None else (None, [])
        tiers = self.tiers(spec, name, period, what) if period is not None else None
        if len(self.report.errors) > before or None in (sli, tiers, objective, period):
            return None
        target = objective[0]  # type: ignore[index]
        try:
            slo = SLO(name=name, service=service, objective=target, sli=sli, period=period, tiers=tiers,
                      description=spec.text("description") or "", labels=labels, runbook_url=runbook)
        except DefinitionError as exc:
            self.err(data, f"{exc.obj}{f', field {exc.field!r}' if exc.field else ''}: {exc.message}")
            return None
        return ImportedSLO(slo, document.file, data.line, selectors)

    def labels(self, meta: Mapping, what: str, key: str = "labels") -> dict[str, str]:
        value = meta.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.err(meta, f"{what}: metadata.{key} must be a mapping", key)
            return {}
        found: dict[str, str] = {}
        for label in value:
            item = value.get(label)
            if isinstance(item, list):
                if len(item) != 1 or isinstance(item[0], (dict, list)) or item[0] is None:
                    self.err(value, f"{what}: label {label!r} has {len(item)} values; an obscode label (a Prometheus "
                             "label of the alerts) has one", label)
                    continue
                found[str(label)] = str(item[0])
            elif isinstance(item, dict) or item is None:
                self.err(value, f"{what}: label {label!r} must have a text value", label)
            else:
                found[str(label)] = str(value.text(label))
        return found

    def annotations(self, meta: Mapping, what: str) -> dict[str, str]:
        """The ``obscode/`` annotations (a note names every other one, and a displayName, as not kept)."""
        if "displayName" in meta:
            self.report.note(f"{self.file}:{meta.line_of('displayName')}: {what}: displayName is not kept")
        value = meta.get("annotations")
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.err(meta, f"{what}: metadata.annotations must be a mapping", "annotations")
            return {}
        for key in value:
            if not str(key).startswith("obscode/"):
                self.report.note(f"{self.file}:{value.line_of(key)}: {what}: annotation {key!r} is not kept")
        return {str(k): str(value.text(k)) for k in value}

    def period(self, spec: Mapping, what: str) -> str | None:
        windows = spec.get("timeWindow")
        if windows is None:
            self.err(spec, f"{what}: spec.timeWindow is missing: give a rolling window, "
                     "[{duration: 30d, isRolling: true}] (or 28d)")
            return None
        if not isinstance(windows, Sequence) or len(windows) != 1 or not isinstance(windows[0], Mapping):
            self.err(spec, f"{what}: timeWindow must be a list of exactly one window", "timeWindow")
            return None
        window = windows[0]
        self.unknown(window, ("duration", "isRolling", "calendar"), f"{what}, timeWindow")
        duration = window.text("duration")
        if "calendar" in window or window.get("isRolling") is not True:
            self.err(window, f"{what}: a calendar-aligned time window cannot be expressed: obscode's SLOs hold over a "
                     "rolling 28d or 30d window; write timeWindow: [{duration: 30d, isRolling: true}]",
                     "calendar" if "calendar" in window else "isRolling")
            return None
        if duration not in PERIODS:
            self.err(window, f"{what}: timeWindow duration {duration!r} cannot be expressed: obscode's SLOs hold over "
                     "a rolling 28d (4w) or 30d window", "duration")
            return None
        return PERIODS[duration]

    def budgeting(self, spec: Mapping, what: str) -> None:
        method = spec.text("budgetingMethod")
        if method is None:
            self.err(spec, f"{what}: spec.budgetingMethod is missing: obscode's SLOs count events (Occurrences)")
        elif method != "Occurrences":
            self.err(spec, f"{what}: budgetingMethod {method} cannot be expressed: it counts good time slices, while "
                     "obscode's SLOs count good events over all events (budgetingMethod: Occurrences)",
                     "budgetingMethod")

    def objective(self, spec: Mapping, what: str) -> tuple[Decimal, Mapping] | None:
        objectives = spec.get("objectives")
        if objectives is None or objectives == []:
            self.err(spec, f"{what}: spec.objectives is missing: give one objective, e.g. "
                     "objectives: [{target: 0.999}] (or targetPercent: 99.9)")
            return None
        if not isinstance(objectives, Sequence) or not all(isinstance(o, Mapping) for o in objectives):
            self.err(spec, f"{what}: objectives must be a list of mappings", "objectives")
            return None
        if len(objectives) > 1:
            self.err(spec, f"{what}: {len(objectives)} objectives: obscode's SLO has one objective; "
                     "write one SLO per objective", "objectives")
            return None
        item = objectives[0]
        self.unknown(item, _OBJECTIVE, f"{what}, objective")
        for key in ("indicator", "indicatorRef", "compositeWeight"):
            if key in item:
                self.err(item, f"{what}: a composite SLO (objective field {key}) cannot be expressed: write one SLO "
                         "per indicator", key)
        for key in ("timeSliceTarget", "timeSliceWindow"):
            if key in item:
                self.err(item, f"{what}: objective field {key} is for timeslice budgeting, which obscode's SLOs "
                         "do not use: they count events (Occurrences)", key)
        if ("target" in item) == ("targetPercent" in item):
            self.err(item, f"{what}: an objective takes exactly one of target (0.999) and targetPercent (99.9)")
            return None
        key = "target" if "target" in item else "targetPercent"
        value = self.decimal(item, key, what)
        if value is None:
            return None
        return (value * 100 if key == "target" else value).normalize(), item

    def decimal(self, data: Mapping, key: str, what: str) -> Decimal | None:
        raw = data.get(key)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            self.err(data, f"{what}: {key} must be a number, not {data.text(key)!r}", key)
            return None
        try:
            return Decimal(data.raw.get(key, str(raw)))
        except InvalidOperation:
            return Decimal(str(raw))

    # --- the SLI ---------------------------------------------------------------

    def indicator(self, spec: Mapping, what: str) -> tuple[Mapping, str] | None:
        """The SLI's spec, inline or the referenced SLI's, with the file it is in."""
        if ("indicator" in spec) == ("indicatorRef" in spec):
            self.err(spec, f"{what}: give exactly one of indicator (the SLI inline) and indicatorRef (an SLI's name)")
            return None
        if "indicatorRef" in spec:
            ref = spec.text("indicatorRef")
            found = self.index.get(("SLI", str(ref)))
            if found is None:
                self.err(spec, f"{what}: indicatorRef {ref!r} names no SLI in the input files", "indicatorRef")
                return None
            saved, self.file = self.file, found.file
            sli_spec = self.mapping(found.data, "spec", f"SLI {ref}")
            self.file = saved
            return None if sli_spec is None else (sli_spec, found.file)
        inline = self.mapping(spec, "indicator", what)
        inline_spec = None if inline is None else self.mapping(inline, "spec", f"{what}, indicator")
        return None if inline_spec is None else (inline_spec, self.file)

    def sli(self, located: tuple[Mapping, str], objective: tuple[Decimal, Mapping] | None,
            what: str) -> tuple[LatencySLI | RatioSLI | None, list[str]]:
        saved = self.file
        self.file = located[1]
        try:
            return self._sli(located[0], None if objective is None else objective[1], what)
        finally:
            self.file = saved

    def _sli(self, spec: Mapping, item: Mapping | None, what: str) -> tuple[LatencySLI | RatioSLI | None, list[str]]:
        self.unknown(spec, ("description", "ratioMetric", "thresholdMetric"), f"{what}, SLI")
        if ("ratioMetric" in spec) == ("thresholdMetric" in spec):
            self.err(spec, f"{what}: an SLI takes exactly one of ratioMetric and thresholdMetric")
            return None, []
        if "thresholdMetric" in spec:
            return self.threshold_sli(spec, item, what)
        for key in ("op", "value"):
            if item is not None and key in item:
                self.err_objective(item, f"{what}: objective field {key} is for a thresholdMetric; a ratioMetric's "
                                   "objective is its target alone", key)
        ratio = self.mapping(spec, "ratioMetric", what)
        if ratio is None:
            return None, []
        self.unknown(ratio, _RATIO, f"{what}, ratioMetric")
        if "raw" in ratio or "rawType" in ratio:
            self.err(ratio, f"{what}: a precomputed ratio (raw) cannot be expressed: obscode computes the ratio from "
                     "event counters over each window; give good or bad, and total",
                     "raw" if "raw" in ratio else "rawType")
            return None, []
        if ratio.get("counter") is False:
            self.err(ratio, f"{what}: counter: false cannot be expressed: obscode's SLIs count events with "
                     "increase() of counters", "counter")
            return None, []
        if "counter" not in ratio:
            self.report.note(f"{self.file}:{ratio.line}: {what}: ratioMetric without counter: read as counters")
        if ("good" in ratio) == ("bad" in ratio) or "total" not in ratio:
            self.err(ratio, f"{what}: a ratioMetric takes total and exactly one of good and bad")
            return None, []
        numerator_key = "good" if "good" in ratio else "bad"
        numerator = self.counter(ratio, numerator_key, what)
        total = self.counter(ratio, "total", what)
        if numerator is None or total is None:
            return None, []
        texts = [numerator[0], total[0]]
        latency = _latency(numerator, total) if numerator_key == "good" else None
        if latency is not None:
            return latency, texts
        return (RatioSLI(total=total[0], good=numerator[0]) if numerator_key == "good"
                else RatioSLI(total=total[0], bad=numerator[0])), texts

    def threshold_sli(self, spec: Mapping, item: Mapping | None, what: str) -> tuple[LatencySLI | None, list[str]]:
        metric = self.mapping(spec, "thresholdMetric", what)
        if metric is None:
            return None, []
        found = self.query(metric, "thresholdMetric", what)
        if found is None:
            return None, []
        query, line = found
        if "histogram_quantile" in query:
            self.report.error(self.file, line, f"{what}: a thresholdMetric on histogram_quantile(...) cannot be "
                              "expressed: it compares a quantile per sample, while obscode's latency SLI counts the "
                              "requests under a bucket bound; give the histogram's bucket selector (X_bucket{...}) "
                              "with op: lte and value: the bound, or a ratioMetric of X_bucket{le=\"0.5\"} over X_count")
            return None, []
        parsed = self.selector_of(query, line, what)
        if parsed is None:
            return None, []
        text, name, matchers = parsed
        if not name.endswith("_bucket") or any(label == "le" for label, _, _ in matchers):
            self.report.error(self.file, line, f"{what}: a thresholdMetric maps to obscode's latency SLI only on a "
                              f"histogram's buckets: {query!r} is no X_bucket{{...}} selector without le; for any "
                              "other metric, write a ratioMetric")
            return None, []
        if item is None:  # no objective (reported): nothing to compare the buckets with
            return None, []
        if item.text("op") != "lte" or "value" not in item:
            self.err_objective(item, f"{what}: a thresholdMetric on buckets needs op: lte and value: the latency "
                               "bound in seconds (a bucket counts the requests at or under its bound)",
                               "op" if "op" in item else None)
            return None, []
        saved, self.file = self.file, self.slo_file
        bound = self.decimal(item, "value", what)
        self.file = saved
        if bound is None:
            return None, []
        histogram = out.selector(name.removesuffix("_bucket"), matchers)
        return LatencySLI(histogram=histogram, threshold=bound.normalize()), [text]

    def query(self, metric: Mapping, key: str, what: str) -> tuple[str, int] | None:
        """A Prometheus metric source's query, with its line."""
        source = self.mapping(metric, "metricSource", f"{what}, {key}")
        if source is None:
            return None
        self.unknown(source, ("metricSourceRef", "type", "spec"), f"{what}, {key}.metricSource")
        kind = source.text("type")
        ref = source.text("metricSourceRef")
        if kind is None and ref is not None:
            found = self.index.get(("DataSource", str(ref)))
            if found is None:
                self.err(source, f"{what}: metricSourceRef {ref!r} names no DataSource in the input files",
                         "metricSourceRef")
                return None
            ds_spec = found.data.get("spec")
            kind = ds_spec.text("type") if isinstance(ds_spec, Mapping) else None
        if kind is None:
            self.err(source, f"{what}: {key}.metricSource needs type: Prometheus (or a metricSourceRef to a "
                     "Prometheus DataSource)")
            return None
        if str(kind).lower() != "prometheus":
            self.err(source, f"{what}: metric source {kind} cannot be expressed: obscode's SLIs are Prometheus "
                     "queries (metricSource.type: Prometheus)", "type" if "type" in source else "metricSourceRef")
            return None
        query_spec = self.mapping(source, "spec", f"{what}, {key}.metricSource")
        if query_spec is None:
            return None
        self.unknown(query_spec, ("query", "promql"), f"{what}, {key}.metricSource.spec")
        query = query_spec.text("query") if "query" in query_spec else query_spec.text("promql")
        if not isinstance(query, str) or not query.strip():
            self.err(query_spec, f"{what}: {key}.metricSource.spec.query is missing: the PromQL selector")
            return None
        return query.strip(), query_spec.line_of("query" if "query" in query_spec else "promql")

    def counter(self, ratio: Mapping, key: str, what: str) -> tuple[str, str, list[out.Matcher]] | None:
        metric = self.mapping(ratio, key, what)
        if metric is None:
            return None
        found = self.query(metric, key, what)
        return None if found is None else self.selector_of(*found, f"{what}, {key}")

    def selector_of(self, query: str, line: int, what: str) -> tuple[str, str, list[out.Matcher]] | None:
        """The counter selector of a query: itself, or the selector inside ``rate``/``increase``
        and an ungrouped ``sum``."""
        hint = ("obscode's SLIs take the counters' selectors (http_requests_total{job=\"api\"}) and count the "
                "events over each window themselves; sum(rate(SELECTOR[5m])) is read as SELECTOR too")
        try:
            tree = pp.parse(query)
        except ValueError as exc:
            self.report.error(self.file, line, f"{what}: query {query!r} is not PromQL: {exc}")
            return None
        current = tree
        if isinstance(current, pp.AggregateExpr) and str(current.op) == "sum" and current.modifier is None:
            current = current.expr
        if isinstance(current, pp.Call) and current.func.name in ("rate", "increase") and \
                isinstance(current.args[0], pp.MatrixSelector):
            current = current.args[0].vector_selector
        if not isinstance(current, pp.VectorSelector):
            self.report.error(self.file, line, f"{what}: query {query!r} cannot be expressed: {hint}")
            return None
        try:
            name, matchers = out.vector_parts(current, query)
        except ValueError as exc:
            self.report.error(self.file, line, f"{what}: {exc}")
            return None
        return (query if current is tree else out.selector(name, matchers)), name, matchers

    # --- the tiers -------------------------------------------------------------

    def tiers(self, spec: Mapping, slo_name: str, period: str, what: str) -> list[BurnRateTier] | None:
        policies = spec.get("alertPolicies")
        if not policies:
            self.report.note(f"{self.file}:{spec.line}: {what}: no alert policies: the SLO records and draws, and "
                             "does not alert (tiers=[]); write tiers=workbook_tiers() for the SRE workbook's")
            return []
        if not isinstance(policies, Sequence):
            self.err(spec, f"{what}: alertPolicies must be a list", "alertPolicies")
            return None
        tiers = []
        saved = self.file
        for index, item in enumerate(policies):
            policy = self.resolve(item, policies.line_of(index), "AlertPolicy", "alertPolicyRef", what)
            if policy is None:
                continue
            document, file = policy
            self.file = file
            tier = self.tier(document, slo_name, period, what)
            self.file = saved
            if tier is not None:
                tiers.append(tier)
        return tiers if len(tiers) == len(policies) else None

    def resolve(self, item: Any, line: int, kind: str, ref_key: str, what: str) -> tuple[Mapping, str] | None:
        """An inline object of ``kind``, or the one its ``ref_key`` names, with its file."""
        if not isinstance(item, Mapping):
            self.report.error(self.file, line, f"{what}: a {kind} item must be a mapping")
            return None
        if ref_key in item:
            ref = item.text(ref_key)
            found = self.index.get((kind, str(ref)))
            if found is None:
                self.err(item, f"{what}: {ref_key} {ref!r} names no {kind} in the input files", ref_key)
                return None
            return found.data, found.file
        if item.get("kind") not in (kind, None):
            self.err(item, f"{what}: an inline {kind} has kind {kind}, not {item.get('kind')}", "kind")
            return None
        return item, self.file

    def tier(self, policy: Mapping, slo_name: str, period: str, what: str) -> BurnRateTier | None:
        before = len(self.report.errors)
        meta = self.mapping(policy, "metadata", f"{what}, alert policy")
        spec = self.mapping(policy, "spec", f"{what}, alert policy")
        if meta is None or spec is None:
            return None
        policy_name = str(meta.text("name"))
        where = f"{what}, alert policy {policy_name}"
        self.unknown(meta, _METADATA, f"{where}, metadata")
        labels = self.labels(meta, where)
        self.annotations(meta, where)
        self.unknown(spec, _POLICY_SPEC, where)
        if spec.get("alertWhenNoData") is True:
            self.err(spec, f"{where}: alertWhenNoData: true cannot be expressed: a burn-rate alert has no value "
                     "without data and stays silent; set it to false", "alertWhenNoData")
        if spec.get("alertWhenBreaching") is False:
            self.err(spec, f"{where}: alertWhenBreaching: false makes a policy that never alerts: remove the policy, "
                     "or set it to true", "alertWhenBreaching")
        conditions = spec.get("conditions")
        if not isinstance(conditions, Sequence) or len(conditions) != 1:
            self.err(spec, f"{where}: conditions must be a list of exactly one condition", "conditions")
            return None
        found = self.resolve(conditions[0], conditions.line_of(0), "AlertCondition", "conditionRef", where)
        if found is None:
            return None
        condition_doc, condition_file = found
        saved, self.file = self.file, condition_file
        try:
            read = self.condition(condition_doc, period, where)
        finally:
            self.file = saved
        action = self.action(spec, read[1] if read else "", where)
        if read is None or len(self.report.errors) > before:
            return None
        (share, severity, long_window, short_window) = read
        name = policy_name.removeprefix(f"{slo_name}-")
        try:
            return BurnRateTier(name=name, budget_share=share, long_window=long_window, short_window=short_window,
                                action=action, severity=severity, labels=labels)
        except DefinitionError as exc:
            self.err(policy, f"{where}: {exc.message}")
            return None

    def action(self, spec: Mapping, severity: str, where: str) -> str:
        """``page`` or ``ticket``: the notification target's name, else from the severity."""
        for target in spec.get("notificationTargets") or []:
            if isinstance(target, Mapping):
                meta = target.get("metadata")
                name = target.text("targetRef") if "targetRef" in target else (
                    meta.text("name") if isinstance(meta, Mapping) else None)
                if name in ("page", "ticket"):
                    return str(name)
        action = "page" if severity in _PAGE_SEVERITIES else "ticket"
        self.report.note(f"{self.file}:{spec.line}: {where}: no notification target named page or ticket: "
                         f"action {action}, from severity {severity!r}")
        return action

    def condition(self, document: Mapping, period: str, where: str) -> tuple[Decimal, str, str, str] | None:
        """The budget share, severity, long and short windows of a burn-rate condition."""
        meta = self.mapping(document, "metadata", f"{where}, condition")
        spec = self.mapping(document, "spec", f"{where}, condition")
        if meta is None or spec is None:
            return None
        where = f"{where}, condition {meta.text('name')}"
        self.unknown(spec, ("description", "severity", "condition"), where)
        annotations = self.annotations(meta, where)
        severity = spec.text("severity")
        if not isinstance(severity, str) or not severity:
            self.err(spec, f"{where}: severity is missing (it becomes the alert's severity label)")
        condition = self.mapping(spec, "condition", where)
        if condition is None:
            return None
        self.unknown(condition, _CONDITION, where)
        if condition.get("kind", "burnrate") != "burnrate":
            self.err(condition, f"{where}: condition kind {condition.get('kind')!r} cannot be expressed: obscode's "
                     "tiers are burn-rate conditions (kind: burnrate)", "kind")
            return None
        op = condition.text("op")
        if op not in ("gt", "gte"):
            self.err(condition, f"{where}: op {op!r}: a burn-rate tier alerts when the burn rate is above its "
                     "threshold (op: gt)", "op" if "op" in condition else None)
        after = condition.text("alertAfter")
        if after is not None and not re.fullmatch(r"0+[mhdwMQY]?", str(after)):
            self.err(condition, f"{where}: alertAfter {after} cannot be expressed: obscode's burn-rate alerts fire "
                     f"without waiting, the short window ({out.SHORT_WINDOW}) confirms the burn instead; "
                     "set alertAfter: 0m", "alertAfter")
        long_window = self.duration(condition, "lookbackWindow", where)
        threshold = self.decimal(condition, "threshold", where) if "threshold" in condition else None
        if threshold is None and "threshold" not in condition:
            self.err(condition, f"{where}: threshold is missing: the burn rate the tier alerts above (14.4)")
        if long_window is None or threshold is None or not isinstance(severity, str):
            return None
        long_ms = parse_duration(long_window)
        share = self.share(annotations, meta, threshold, long_ms, period, where)
        short_window = self.short_window(annotations, meta, long_ms, where)
        if share is None or short_window is None:
            return None
        return share, severity, long_window, short_window

    def duration(self, data: Mapping, key: str, where: str) -> str | None:
        text = data.text(key)
        match = _SHORTHAND.match(str(text)) if text is not None else None
        if match is None:
            self.err(data, f"{where}: {key} {text!r} is no OpenSLO duration such as 1h or 5m", key)
            return None
        if match.group(2) in _CALENDAR_UNITS:
            self.err(data, f"{where}: {key} {text} counts {_CALENDAR_UNITS[match.group(2)]}, which have no fixed "
                     "length: give minutes, hours, days or weeks", key)
            return None
        return str(text)

    def share(self, annotations: dict[str, str], meta: Mapping, threshold: Decimal, long_ms: int, period: str,
              where: str) -> Decimal | None:
        """The tier's budget share: its annotation (checked against the threshold), else
        threshold × lookbackWindow ÷ period."""
        period_ms = parse_duration(period)
        text = annotations.get(out.BUDGET_SHARE)
        if text is None:
            return self.derived_share(meta, threshold, long_ms, period, where)
        try:
            share = Decimal(text)
        except InvalidOperation:
            self.err(meta["annotations"], f"{where}: annotation {out.BUDGET_SHARE} {text!r} is not a number",
                     out.BUDGET_SHARE)
            return None
        implied = out.decimal_of(Fraction(share) * period_ms / long_ms)
        if implied != threshold.normalize():
            self.err(meta["annotations"], f"{where}: annotation {out.BUDGET_SHARE} {text} means burn rate {implied} "
                     f"over {period}, not the threshold {threshold}: correct one, or remove the annotation",
                     out.BUDGET_SHARE)
            return None
        return share

    def derived_share(self, meta: Mapping, threshold: Decimal, long_ms: int, period: str, where: str) -> Decimal:
        """threshold × lookbackWindow ÷ period: the shortest decimal whose burn rate is written as
        the same threshold (a note says so when it is not the exact share)."""
        exact = Fraction(threshold) * long_ms / parse_duration(period)
        share = Decimal(0)
        for digits in range(1, 29):
            share = Decimal(round(exact * 10**digits)) / Decimal(10) ** digits
            if share and out.decimal_of(Fraction(share) * parse_duration(period) / long_ms) == threshold.normalize():
                break
        if Fraction(share) == exact:
            return share.normalize()
        window = out.shorthand(f"{long_ms}ms")
        self.report.note(f"{self.file}:{meta.line}: {where}: burn rate {threshold} over {window} of {period} is a "
                         f"budget share of {float(exact):.12g}…: written as {share}, the shortest decimal whose burn "
                         f"rate is again {threshold}")
        return share.normalize()

    def short_window(self, annotations: dict[str, str], meta: Mapping, long_ms: int, where: str) -> str | None:
        """The annotation's short window, else the SRE workbook's: the long window ÷ 12."""
        text = annotations.get(out.SHORT_WINDOW)
        if text is not None:
            try:
                parse_duration(text)
            except ValueError as exc:
                self.err(meta["annotations"], f"{where}: annotation {out.SHORT_WINDOW}: {exc}", out.SHORT_WINDOW)
                return None
            return text
        if long_ms % 12 or (long_ms // 12) % 60_000:
            self.err(meta, f"{where}: no {out.SHORT_WINDOW} annotation, and lookbackWindow ÷ 12 (the SRE workbook's "
                     "short window) is no whole number of minutes: give the annotation", None)
            return None
        window = out.shorthand(f"{long_ms // 12}ms")
        self.report.note(f"{self.file}:{meta.line}: {where}: no {out.SHORT_WINDOW} annotation: short window "
                         f"{window} (lookbackWindow ÷ 12, as the SRE workbook)")
        return window


def _latency(good: tuple[str, str, list[out.Matcher]],
             total: tuple[str, str, list[out.Matcher]]) -> LatencySLI | None:
    """A good/total pair that is a histogram's bucket ``le=T`` over its count, as a latency SLI."""
    _, good_name, good_matchers = good
    _, total_name, total_matchers = total
    if not (good_name.endswith("_bucket") and total_name.endswith("_count")):
        return None
    base = good_name.removesuffix("_bucket")
    if total_name.removesuffix("_count") != base:
        return None
    le = [m for m in good_matchers if m[0] == "le"]
    if len(le) != 1 or [m for m in good_matchers if m[0] != "le"] != total_matchers:
        return None
    threshold = _bound(le[0])
    if threshold is None:
        return None
    return LatencySLI(histogram=out.selector(base, total_matchers), threshold=threshold)


def _bound(matcher: out.Matcher) -> Decimal | None:
    """The bucket bound an ``le`` matcher selects: ``le="0.5"``, or ``le=~"1|1.0"`` (both spellings)."""
    _, op, value = matcher
    candidates = [value] if op == "=" else [c.replace("\\.", ".") for c in value.split("|")] if op == "=~" else []
    try:
        bounds = {Decimal(c).normalize() for c in candidates}
    except InvalidOperation:
        return None
    if len(bounds) != 1:
        return None
    bound = bounds.pop()
    return bound if out.le_matcher(bound) == matcher else None


def read_files(paths: list[Path], report: Collector) -> list[ImportedSLO]:
    """Every SLO of the input files, every problem reported with its file and line."""
    documents: list[Document] = []
    for path in paths:
        file = str(path)
        loaded = load_documents(path, report)
        for index, data in enumerate(loaded or []):
            if data is None:
                continue
            if not isinstance(data, Mapping):
                report.error(file, getattr(data, "line", None), f"document {index + 1} is not a mapping: an OpenSLO "
                             "document has apiVersion, kind, metadata and spec")
                continue
            report_duplicates(data, file, report)
            version = data.get("apiVersion")
            if version != out.API_VERSION:
                report.error(file, data.line_of("apiVersion"), f"document {index + 1}: apiVersion {version!r}: obscode "
                             f"reads OpenSLO v1 (apiVersion: {out.API_VERSION}); convert the document to v1 first")
                continue
            if data.get("kind") not in KINDS:
                report.error(file, data.line_of("kind"), f"document {index + 1}: kind {data.get('kind')!r} is no "
                             f"OpenSLO v1 kind ({', '.join(KINDS)})")
                continue
            documents.append(Document(file, data))
    reader = _Reader(documents, report)
    imported = [found for document in reader.slos if (found := reader.read(document)) is not None]
    if not reader.slos and not report.errors:
        for path in paths:
            report.error(str(path), None, "holds no OpenSLO SLO document: nothing to import")
    return imported


# --- writing slos.py ----------------------------------------------------------------

def _number(value: Decimal, used: set[str]) -> pycode.Raw:
    value = value.normalize()
    if value == value.to_integral_value():
        return pycode.Raw(str(int(value)))
    if Decimal(repr(float(value))) == value:
        return pycode.Raw(repr(float(value)))
    used.add("Decimal")
    return pycode.Raw(f'Decimal("{value}")')


def _sli_call(sli: LatencySLI | RatioSLI, used: set[str]) -> pycode.Call:
    if isinstance(sli, LatencySLI):
        used.add("LatencySLI")
        return pycode.Call("LatencySLI", [("histogram", sli.histogram), ("threshold", _number(sli.threshold, used))])
    used.add("RatioSLI")
    numerator = ("good", sli.good) if sli.good else ("bad", sli.bad)
    return pycode.Call("RatioSLI", [numerator, ("total", sli.total)])


def _tier_call(tier: BurnRateTier, used: set[str]) -> pycode.Call:
    kwargs: list[tuple[str, Any]] = [
        ("name", tier.name), ("budget_share", _number(tier.budget_share, used)), ("long_window", tier.long_window),
        ("short_window", tier.short_window), ("action", tier.action)]
    if tier.severity != ("critical" if tier.action == "page" else "warning"):
        kwargs.append(("severity", tier.severity))
    if tier.labels:
        kwargs.append(("labels", dict(tier.labels)))
    return pycode.Call("BurnRateTier", kwargs)


def slo_call(slo: SLO, used: set[str]) -> pycode.Call:
    """``SLO(...)`` with the fields that differ from the defaults."""
    kwargs: list[tuple[str, Any]] = [("name", slo.name), ("service", slo.service),
                                     ("objective", _number(slo.objective, used)), ("sli", _sli_call(slo.sli, used))]
    if slo.period != "30d":
        kwargs.append(("period", slo.period))
    if [t.model_dump() for t in slo.tiers] != [t.model_dump() for t in workbook_tiers()]:
        if slo.tiers:
            used.add("BurnRateTier")
        kwargs.append(("tiers", [_tier_call(t, used) for t in slo.tiers]))
    if slo.description:
        kwargs.append(("description", slo.description))
    if slo.labels:
        kwargs.append(("labels", dict(slo.labels)))
    if slo.runbook_url:
        kwargs.append(("runbook_url", slo.runbook_url))
    return pycode.Call("SLO", kwargs)


def module_source(imported: list[ImportedSLO]) -> str:
    """The text of ``slos.py``: one variable per SLO, then ``slos`` listing them."""
    taken = {"slos", "Decimal", "SLO", "RatioSLI", "LatencySLI", "BurnRateTier"}
    used: set[str] = {"SLO"}
    sections, variables = [], []
    for item in imported:
        variable = pycode.identifier(item.slo.name, taken, "slo")
        variables.append(variable)
        code = pycode.assignment(variable, slo_call(item.slo, used))
        sections.append(f"# From {Path(item.file).name}:{item.line}\n{code}")
    sources = ", ".join(sorted({Path(item.file).name for item in imported}))
    header = pycode.docstring(f"Service level objectives, imported by `obscode import openslo` from {sources}.")
    imports = ("from decimal import Decimal\n\n" if "Decimal" in used else "") + \
        pycode.import_line("obscode", used - {"Decimal"})
    footer = pycode.assignment("slos", [pycode.Raw(v) for v in variables])
    return header + "\n" + imports + "\n\n" + "\n\n".join(sections) + "\n\n" + footer


def expressions(imported: list[ImportedSLO]) -> list[str]:
    """Every selector the SLOs read, for the catalog suggestions."""
    return [text for item in imported for text in item.selectors]
