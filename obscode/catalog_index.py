"""What a stack's Prometheus holds: every series name a query may select, where it comes
from (scrape jobs and their catalogs, Prometheus itself, recording rules) and which
labels it carries. The catalog checks look every selector up here."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from obscode.model.catalog import Catalog, Metric, shipped
from obscode.model.duration import parse_duration
from obscode.model.rules import RecordingRule
from obscode.model.scrape import ScrapeConfig
from obscode.promql import UNKNOWN, LabelSet, Selector, output_labels, parse
from obscode.stack import Stack

#: Prometheus writes these for every target; ALERTS* for alerting rules.
PER_TARGET_SERIES = ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                     "scrape_samples_post_metric_relabeling", "scrape_series_added")


@dataclass
class Series:
    """One selectable series name and everything known about it."""

    name: str
    #: Family type: counter, gauge, histogram, summary, info, untyped; "recorded" for rule outputs.
    type: str
    #: ``bucket``, ``sum`` or ``count`` for histogram/summary parts, "" otherwise.
    part: str
    labels: frozenset[str]
    label_values: dict[str, list[str]] = field(default_factory=dict)
    jobs: set[str] = field(default_factory=set)
    catalogs: set[str] = field(default_factory=set)
    #: For recording rule outputs: how often the rule runs.
    interval_seconds: float | None = None

    @property
    def counter_like(self) -> bool:
        """rate() and increase() make sense over it."""
        if self.type == "counter":
            return True
        if self.type == "histogram":
            return self.part in ("bucket", "sum", "count")
        return self.type == "summary" and self.part in ("sum", "count")


def _part(metric: Metric, series: str) -> str:
    for part in ("bucket", "sum", "count"):
        if series == f"{metric.name}_{part}" and metric.type in ("histogram", "summary"):
            return part
    return ""


def target_labels(job: ScrapeConfig) -> LabelSet:
    """Labels a job's targets attach to every series: job, instance, static labels and
    relabelling targets; open when a ``labelmap`` copies labels in from discovery."""
    names = {"job", "instance"}
    opened = False
    for static in job.static_configs:
        names.update(static.labels)
    for relabel in job.relabel_configs:
        if relabel.action == "labelmap":
            opened = True
        elif relabel.target_label and not relabel.target_label.startswith("__"):
            names.add(relabel.target_label)
    return LabelSet(frozenset(names), open=opened)


class StackCatalog:
    """The index of everything a stack's queries may select."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.series: dict[str, Series] = {}
        self.jobs = {job.job_name: job for job in stack.prometheus.scrape_configs} if stack.prometheus else {}
        self.job_labels = {name: target_labels(job) for name, job in self.jobs.items()}
        for name in stack.scrape_jobs():  # jobs of a Prometheus configured elsewhere
            self.job_labels.setdefault(name, LabelSet(frozenset({"job", "instance"})))
        self.open_labels: dict[str, bool] = {}
        self._add_jobs()
        self._add_prometheus()
        self._add_recording_rules()
        self._add_alerts()

    # building

    def _add(self, catalog: Catalog, jobs: set[str]) -> None:
        for metric, series_name, labels in ((m, s, ls) for m in catalog.metrics
                                            for s, ls in m.series_names().items()):
            found = self.series.get(series_name)
            if found is None:
                found = self.series[series_name] = Series(
                    series_name, metric.type, _part(metric, series_name), frozenset(labels),
                    {k: list(v) for k, v in metric.label_values.items()})
            else:
                found.labels = found.labels | frozenset(labels)
            found.jobs |= jobs
            found.catalogs.add(catalog.name)

    def _add_jobs(self) -> None:
        for job, catalogs in self.stack.job_catalogs.items():
            for catalog in catalogs:
                self._add(catalog, {job})

    def _add_prometheus(self) -> None:
        prometheus = shipped("prometheus")
        per_target = Catalog(name=prometheus.name,
                             metrics=[m for m in prometheus.metrics if m.name in PER_TARGET_SERIES])
        self._add(per_target, set(self.job_labels))
        rules = Catalog(name=prometheus.name,
                        metrics=[m for m in prometheus.metrics if m.name not in PER_TARGET_SERIES])
        self._add(rules, set())

    def _add_recording_rules(self) -> None:
        evaluation = parse_duration(self.stack.global_config.evaluation_interval) / 1000
        rules: list[tuple[RecordingRule, float]] = []
        for rule_file in self.stack.rule_files:
            for group in rule_file.groups:
                interval = parse_duration(group.interval) / 1000 if group.interval else evaluation
                rules.extend((r, interval) for r in group.rules if isinstance(r, RecordingRule))
        for rule, interval in rules:  # known (with open labels) before any is analysed
            self.series.setdefault(rule.record, Series(rule.record, "recorded", "", frozenset(),
                                                       interval_seconds=interval))
            self.open_labels[rule.record] = True
        for _ in range(2):  # rules may read rules defined after them
            for rule, _interval in rules:
                try:
                    labels = output_labels(parse(rule.expr), self.resolve)
                except ValueError:
                    labels = UNKNOWN
                found = self.series[rule.record]
                found.labels = labels.names | frozenset(rule.labels)
                self.open_labels[rule.record] = labels.open
                found.catalogs.add("recording rules")

    def _add_alerts(self) -> None:
        extra: set[str] = set()
        opened = False
        for _file, alert in self.stack.alerts():
            extra.update(alert.labels)
            try:
                labels = output_labels(parse(alert.expr), self.resolve)
            except ValueError:
                continue
            extra.update(labels.names)
            opened = opened or labels.open
        for name in ("ALERTS", "ALERTS_FOR_STATE"):
            if name in self.series:
                self.series[name].labels |= frozenset(extra)
                self.open_labels[name] = opened

    # lookups

    def lookup(self, name: str) -> Series | None:
        return self.series.get(name)

    def suggest(self, name: str) -> str | None:
        """The closest series name, for "did you mean" hints."""
        close = difflib.get_close_matches(name, list(self.series), n=1, cutoff=0.75)
        return close[0] if close else None

    def providers(self, series: Series, selector: Selector | None = None) -> set[str]:
        """The jobs that emit ``series``, narrowed by a ``job="x"`` matcher in ``selector``."""
        if selector is not None:
            job = selector.equals("job")
            if job is not None and job in series.jobs:
                return {job}
        return set(series.jobs)

    def resolve(self, selector: Selector) -> LabelSet:
        """Labels the series ``selector`` selects carry; open when unknown."""
        if selector.name is None:
            return UNKNOWN
        series = self.series.get(selector.name)
        if series is None:
            return UNKNOWN
        names = set(series.labels)
        opened = self.open_labels.get(series.name, False)
        for job in self.providers(series, selector):
            names |= self.job_labels[job].names
            opened = opened or self.job_labels[job].open
        return LabelSet(frozenset(names), open=opened)

    def scrape_interval_seconds(self, series: Series, selector: Selector | None = None) -> float | None:
        """The longest interval at which the producers of ``series`` write it."""
        if series.interval_seconds is not None:
            return series.interval_seconds
        jobs = self.providers(series, selector)
        if not jobs:
            return None
        global_ = self.stack.global_config
        return max(self.jobs[j].interval_ms(global_) if j in self.jobs else parse_duration(global_.scrape_interval)
                   for j in jobs) / 1000


def index(ctx: object) -> StackCatalog:
    """The catalog index of ``ctx.stack``, built once per check run."""
    cache = ctx.cache  # type: ignore[attr-defined]
    if "catalog-index" not in cache:
        cache["catalog-index"] = StackCatalog(ctx.stack)  # type: ignore[attr-defined]
    return cache["catalog-index"]
