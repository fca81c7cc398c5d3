"""What a stack's Prometheus holds: every series name a query may select, where it comes
from (scrape jobs and their catalogs, Prometheus itself, recording rules), which labels it
carries and which collector must run for it. Also how much of the world the catalogs
cover: which jobs have none, and which name prefixes an exporter owns. The catalog checks
look every selector up here. A recording rule's output gets the type and bounds of what its
expression computes (:mod:`obscode.expr_types`); one whose name a catalog lists is kept in
``shadowed`` and keeps the catalog's entry, with its labels open."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from obscode.expr_types import UNTYPED, Lookup, Value, infer, union
from obscode.model.catalog import OTEL_UNIT_SUFFIXES, Catalog, Metric, shipped, unit_suffix
from obscode.model.duration import parse_duration
from obscode.model.rules import RecordingRule
from obscode.model.scrape import ScrapeConfig
from obscode.promql import UNKNOWN, LabelSet, Selector, output_labels, parse
from obscode.queries import VARIABLE_VALUE
from obscode.stack import Stack

#: Prometheus writes these for every target; ALERTS* for alerting rules.
PER_TARGET_SERIES = ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                     "scrape_samples_post_metric_relabeling", "scrape_series_added")
RULE_SERIES = ("ALERTS", "ALERTS_FOR_STATE")


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
    #: job -> the (catalog, family) pairs through which that job emits it.
    sources: dict[str, list[tuple[Catalog, Metric]]] = field(default_factory=dict)
    #: Prefixes of labels made from user data (``label_`` of kube_pod_labels): any label
    #: name with one of them may be present.
    label_prefixes: frozenset[str] = frozenset()
    #: "seconds", "bytes", "ratio" (only when a catalog says so) or "": from the catalog's
    #: unit, else from the name (``_seconds``, ``_bytes``).
    unit: str = ""
    #: For recording rule outputs: the type of what the rule stores, derived from its
    #: expression (expr_types): "counter" (a counter, or a sum of counters), "gauge" (a rate,
    #: a ratio, arithmetic, a gauge) or "untyped" (unknown). "" for scraped series.
    recorded_type: str = ""

    @property
    def counter_like(self) -> bool:
        """rate() and increase() make sense over it."""
        if self.type == "counter":
            return True
        if self.type == "histogram":
            return self.part in ("bucket", "sum", "count")
        return self.type == "summary" and self.part in ("sum", "count")


def metric_unit(metric: Metric) -> str:
    """The unit of ``metric``'s values: its catalog unit (OTel ``s`` is ``seconds``; ``1``
    none), else the unit its name ends with (``_seconds``, ``_bytes``, ``_seconds_total``).
    A ``_ratio`` name alone is not taken as "ratio": exporters use it for values above 1
    (redis' ``mem_fragmentation_ratio``)."""
    if metric.unit:
        return metric.unit if metric.unit in ("ratio", "seconds", "bytes") else unit_suffix(metric.unit)
    base = metric.name.removesuffix("_total")
    for unit in ("seconds", "bytes"):
        if base.endswith("_" + unit):
            return unit
    return ""


@dataclass(frozen=True)
class Shadowed:
    """A recording rule whose name is a metric some catalog lists."""

    record: str
    catalogs: tuple[str, ...]
    jobs: tuple[str, ...]


def _part(metric: Metric, series: str) -> str:
    for part in ("bucket", "sum", "count"):
        if series == f"{metric.name}_{part}" and metric.type in ("histogram", "summary"):
            return part
    return ""


@dataclass(frozen=True)
class Gate:
    """Why a series a catalog lists may still be absent: its collector is off on the jobs
    that would emit it, it emits only where a condition holds (e.g. hardware), or the
    exporter version the jobs run predates or postdates it."""

    jobs: tuple[str, ...]
    catalog: str
    collector: str
    #: "off": not enabled by default and not enabled in job_collectors; "disabled": the
    #: stack's job_collectors turns it off; "condition": enabled, but ``condition`` must hold;
    #: "newer": first seen in version ``condition``; "removed": last seen in version ``condition``.
    reason: str
    condition: str = ""
    #: The exporter version the jobs run (Stack.job_versions), for "newer" and "removed".
    version: str = ""


def version_key(version: str) -> tuple[int, ...] | None:
    """``v1.9.1`` or ``1.9`` as numbers to compare, None when it is not dotted numbers."""
    match = _VERSION.match(version.strip())
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-+].*)?$")


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
        # external_labels are on alerts and remote-written data, not on series inside Prometheus;
        # treated as present, since mixins aggregate by them (e.g. cluster) on Thanos/Mimir setups.
        everywhere = set(stack.global_config.external_labels) | set(stack.target_labels)
        #: What the target of a job the stack does not declare carries, at least.
        self.unknown_job_labels = LabelSet(frozenset({"job", "instance"} | everywhere), open=True)
        for name, labels in self.job_labels.items():
            self.job_labels[name] = labels.add(sorted(everywhere | set(stack.job_labels.get(name, ()))))
        # On Kubernetes the operator gives a job found by a ServiceMonitor or PodMonitor the
        # target labels namespace, pod, container, endpoint (and service).
        from obscode.kubernetes.am_namespace import monitor_labels

        for name, extra in monitor_labels(stack).items():
            if name in self.job_labels:
                self.job_labels[name] = self.job_labels[name].add(sorted(extra))
        #: Jobs whose targets no catalog describes: they may emit anything.
        self.uncatalogued_jobs = sorted(j for j in stack.scrape_jobs() if not stack.job_catalogs.get(j))
        #: Every job has catalogs, so a metric none of them lists is emitted by nobody.
        partial = any(c.partial for catalogs in stack.job_catalogs.values() for c in catalogs)
        self.closed_world = (bool(stack.scrape_jobs()) and not self.uncatalogued_jobs and not stack.unlisted_jobs
                             and not partial)
        #: Name prefix -> catalog owning it (``node_`` -> node-exporter), for the catalogs in use.
        self.namespaces: dict[str, str] = {prefix: catalog.name for catalogs in stack.job_catalogs.values()
                                           for catalog in catalogs if not catalog.partial
                                           for prefix in catalog.namespaces}
        self.open_labels: dict[str, bool] = {}
        #: What a recording rule's output holds (expr_types), by record name.
        self.recorded_values: dict[str, Value] = {}
        #: Recording rules whose name is a metric some catalog lists, by record name.
        self.shadowed: dict[str, Shadowed] = {}
        self.values = Lookup(self.lookup, self.recorded_values.get)
        self._suggestions: dict[str, str | None] = {}
        self._names: tuple[list[NameIndex], frozenset[str]] | None = None
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
                    {k: list(v) for k, v in metric.label_values.items()}, unit=metric_unit(metric))
            else:
                found.labels = found.labels | frozenset(labels)
            found.label_prefixes |= frozenset(metric.label_prefixes)
            found.jobs |= jobs
            found.catalogs.add(catalog.name)
            for job in jobs:
                found.sources.setdefault(job, []).append((catalog, metric))

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
                        metrics=[m for m in prometheus.metrics if m.name in RULE_SERIES])
        self._add(rules, set())

    def _add_recording_rules(self) -> None:
        evaluation = parse_duration(self.stack.global_config.evaluation_interval) / 1000
        rules: list[tuple[RecordingRule, float]] = []
        for rule_file in self.stack.rule_files:
            for group in rule_file.groups:
                interval = parse_duration(group.interval) / 1000 if group.interval else evaluation
                rules.extend((r, interval) for r in group.rules if isinstance(r, RecordingRule))
        for rule, _interval in rules:
            found = self.series.get(rule.record)
            if found is not None and found.type != "recorded" and rule.record not in self.shadowed:
                self.shadowed[rule.record] = Shadowed(rule.record, tuple(sorted(found.catalogs)),
                                                      tuple(sorted(found.jobs)))
        for rule, interval in rules:  # known (with open labels) before any is analysed
            self.series.setdefault(rule.record, Series(rule.record, "recorded", "", frozenset(),
                                                       interval_seconds=interval, recorded_type=UNTYPED))
            self.open_labels[rule.record] = True
        for _ in range(2):  # rules may read rules defined after them
            outputs: dict[str, tuple[frozenset[str], bool]] = {}
            values: dict[str, Value] = {}
            for rule, _interval in rules:
                try:
                    ast = parse(rule.expr)
                    labels = output_labels(ast, self.resolve)
                    value = infer(ast, self.values)
                except ValueError:
                    labels, value = UNKNOWN, Value()
                names, opened = outputs.get(rule.record, (frozenset(), False))
                outputs[rule.record] = (names | labels.names | frozenset(rule.labels), opened or labels.open)
                values[rule.record] = union(values[rule.record], value) if rule.record in values else value
            for record, (names, opened) in outputs.items():
                found = self.series[record]
                found.catalogs.add("recording rules")
                if record in self.shadowed:
                    # Both the scraped metric and the rule's output carry the name: its labels
                    # are either's, and rules/naming reports the clash once.
                    self.open_labels[record] = True
                    continue
                found.labels = names
                self.open_labels[record] = opened
                found.recorded_type = values[record].kind
                self.recorded_values[record] = values[record]

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

    def value(self, node: object) -> Value:
        """What is known of the values the PromQL AST ``node`` returns (expr_types.infer)."""
        return infer(node, self.values)

    def suggest(self, name: str) -> str | None:
        """The series ``name`` very likely meant, for "did you mean" hints: the one series
        :func:`likely_meant` accepts, None when none or several do."""
        if name not in self._suggestions:
            indices, words = self._name_indices()
            pool = set().union(*(index.pool(name) for index in indices))
            self._suggestions[name] = _only(c for c in pool if c in self.series and likely_meant(name, c, words))
        return self._suggestions[name]

    def _name_indices(self) -> tuple[list[NameIndex], frozenset[str]]:
        if self._names is None:
            catalogs = list({id(c): c for cs in self.stack.job_catalogs.values() for c in cs}.values())
            indices = [catalog_names(catalog) for catalog in catalogs]
            covered = set().union(*(index.names for index in indices))
            indices.append(NameIndex(name for name in self.series if name not in covered))
            self._names = (indices, frozenset().union(*(index.words for index in indices)))
        return self._names

    def owner(self, name: str) -> tuple[str, str] | None:
        """(prefix, catalog) when ``name`` starts with a prefix a catalog in use owns."""
        for prefix in sorted(self.namespaces, key=len, reverse=True):
            if name.startswith(prefix):
                return prefix, self.namespaces[prefix]
        return None

    def catalogued(self, job: str) -> bool:
        """``job`` is a job of the stack whose catalogs list all it emits (at least one, none partial)."""
        catalogs = self.stack.job_catalogs.get(job)
        return bool(catalogs) and not any(c.partial for c in catalogs)

    def undeclared(self, job: str) -> bool:
        """``job`` is not among the jobs a stack without a Prometheus configuration names, so
        that list is not the whole Prometheus: its series may be anything."""
        return self.stack.prometheus is None and job not in self.job_labels

    def gates(self, series: Series, selector: Selector | None = None) -> list[Gate]:
        """Why ``series`` may be absent on the jobs that would emit it (narrowed by a
        ``job="x"`` matcher): empty when one of them emits it unconditionally."""
        gates: dict[tuple[str, str, str, str, str], list[str]] = {}
        for job in sorted(self.providers(series, selector)):
            for catalog, metric in series.sources.get(job, []):
                gate = self._gate(job, catalog, metric)
                if gate is None:
                    return []
                gates.setdefault(gate, []).append(job)
        return [Gate(tuple(jobs), *key) for key, jobs in sorted(gates.items())]

    def _gate(self, job: str, catalog: Catalog, metric: Metric) -> tuple[str, str, str, str, str] | None:
        runs = self.stack.job_versions.get(job, "")
        running = version_key(runs) if runs else None
        since, until = version_key(metric.since or ""), version_key(metric.until or "")
        if running is not None and since is not None and running < since:
            return catalog.name, metric.collector, "newer", metric.since, runs
        if running is not None and until is not None and running > until:
            return catalog.name, metric.collector, "removed", metric.until, runs
        collector = catalog.collectors.get(metric.collector) if metric.collector else None
        if collector is None:
            return None
        declared = self.stack.job_collectors.get(job, {}).get(metric.collector)
        if declared is False:
            return catalog.name, metric.collector, "disabled", "", ""
        if declared is None and not collector.default:
            return catalog.name, metric.collector, "off", "", ""
        if collector.condition and declared is None:  # declaring it enabled says the condition holds
            return catalog.name, metric.collector, "condition", collector.condition, ""
        return None

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
        # Labels made from user data (label_*): their names are open, as an unknown set is.
        opened = self.open_labels.get(series.name, False) or bool(series.label_prefixes)
        for job in self.providers(series, selector):
            names |= self.job_labels[job].names
            opened = opened or self.job_labels[job].open
        if self._from_undeclared_job(series, selector):
            names |= self.unknown_job_labels.names
            opened = True
        return LabelSet(frozenset(names), open=opened)

    def _from_undeclared_job(self, series: Series, selector: Selector) -> bool:
        """Whether ``selector`` may select series of a job the stack does not declare. A stack
        with its own Prometheus configuration declares every job (a matcher naming another job
        selects nothing); one without may read any job: a ``job="x"`` matcher naming a job it
        does not know, or Prometheus' per-target series (``up``, ``scrape_*``) of any job."""
        if self.stack.prometheus is not None:
            return False
        job = selector.equals("job")
        if job is not None and VARIABLE_VALUE not in job:
            return job not in self.job_labels
        return series.name in PER_TARGET_SERIES

    def scrape_interval_seconds(self, series: Series, selector: Selector | None = None) -> float | None:
        """The longest interval at which the producers of ``series`` write it."""
        if series.interval_seconds is not None:
            return series.interval_seconds
        jobs = self.providers(series, selector)
        if not jobs or any(j not in self.jobs for j in jobs):
            return None  # a job of a Prometheus configured elsewhere: its interval is unknown
        global_ = self.stack.global_config
        return max(self.jobs[j].interval_ms(global_) for j in jobs) / 1000


#: Words a name may gain, lose or swap for another without becoming a different metric:
#: units (the OTel exporter appends them; node-exporter 0.16 added them) and ``total``.
UNIT_WORDS = frozenset(word for word in OTEL_UNIT_SUFFIXES.values() if word) | {"ratio", "total"}
_DIGITS = re.compile(r"[0-9]+")


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two neighbouring characters each cost 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def misspelling(written: str, meant: str) -> int | None:
    """How many edits make the word ``written`` into ``meant``, when it is a plausible
    misspelling: a plural ``s`` added or dropped, or at most 1 edit in a word of 4-5 letters
    and 2 in a longer one. None for words of 3 letters or less (``rx``/``tx``, ``io``) and
    for changes of digits only (``load1``/``load5``, ``ipv4``/``ipv6``: other metrics)."""
    if written == meant:
        return 0
    if written + "s" == meant or meant + "s" == written:
        return 1
    if len(meant) <= 3 or _DIGITS.sub("", written) == _DIGITS.sub("", meant):
        return None
    distance = edit_distance(written, meant)
    return distance if distance <= (1 if len(meant) <= 5 else 2) else None


def likely_meant(written: str, candidate: str, words: Iterable[str] = ()) -> bool:
    """``candidate`` is very likely the metric someone who wrote ``written`` meant:

    * the same name but for case or underscores (``node_memory_memfree_bytes``);
    * the same words but for units and ``total`` added, dropped or swapped
      (``model_prediction_latency_bucket`` -> ``model_prediction_latency_seconds_bucket``,
      ``node_cpu`` -> ``node_cpu_seconds_total``);
    * the same number of words, at most two misspelt (:func:`misspelling`), 2 edits in all,
      and no misspelt word a word of some other series in ``words`` (``waiting`` for
      ``running`` is another metric, not a typo).
    """
    if written == candidate:
        return False
    written, candidate = written.lower(), candidate.lower()
    if written == candidate:
        return True
    if written.replace("_", "") == candidate.replace("_", ""):
        return True
    known = words if isinstance(words, (set, frozenset)) else frozenset(words)
    parts, meant = written.split("_"), candidate.split("_")
    kept = [w for w in parts if w not in UNIT_WORDS]
    if len(kept) >= 2 and kept == [w for w in meant if w not in UNIT_WORDS]:
        return True
    if len(parts) != len(meant):
        return False
    edits = 0
    for word, wanted in zip(parts, meant):
        if word == wanted:
            continue
        cost = misspelling(word, wanted)
        plural = cost == 1 and (word + "s" == wanted or wanted + "s" == word)
        if cost is None or (word in known and not plural):
            return False
        edits += cost
    return edits <= 2


def vocabulary(names: Iterable[str]) -> frozenset[str]:
    """Every word (between underscores, lower case) of ``names``."""
    return frozenset(word for name in names for word in name.lower().split("_"))


class NameIndex:
    """Series names arranged so that :meth:`closest` looks at the few that can fit
    :func:`likely_meant` instead of every name."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))
        self.words = vocabulary(self.names)
        self._exact: dict[str, set[str]] = {}  # lower case, underscores dropped, or units set aside
        self._by_position: dict[tuple[int, int, str], set[str]] = {}
        self._by_count: dict[int, set[str]] = {}
        for name in self.names:
            parts = name.lower().split("_")
            for key in self._keys(name):
                self._exact.setdefault(key, set()).add(name)
            self._by_count.setdefault(len(parts), set()).add(name)
            for position, word in enumerate(parts[:3]):
                self._by_position.setdefault((len(parts), position, word), set()).add(name)

    @staticmethod
    def _keys(name: str) -> list[str]:
        lower = name.lower()
        kept = [word for word in lower.split("_") if word not in UNIT_WORDS]
        return ["=" + lower, "_" + lower.replace("_", "")] + (["~" + "_".join(kept)] if len(kept) >= 2 else [])

    def closest(self, name: str) -> str | None:
        """The one name ``name`` very likely meant; None when none is, or several are."""
        return _only(c for c in self.pool(name) if likely_meant(name, c, self.words))

    def pool(self, name: str) -> set[str]:
        """The names :func:`likely_meant` may accept for ``name`` (and a few more)."""
        parts = name.lower().split("_")
        pool: set[str] = set()
        for key in self._keys(name):
            pool |= self._exact.get(key, set())
        if len(parts) <= 2:
            pool |= self._by_count.get(len(parts), set())
        else:  # at most two words differ, so one of the first three is the same
            for position, word in enumerate(parts[:3]):
                pool |= self._by_position.get((len(parts), position, word), set())
        return pool


def _only(found: Iterable[str]) -> str | None:
    unique = set(found)
    return unique.pop() if len(unique) == 1 else None


#: id(catalog) -> (catalog, its NameIndex): shipped catalogs are loaded once per process and
#: shared by every stack, so their index is built once too.
_CATALOG_NAMES: dict[int, tuple[Catalog, NameIndex]] = {}


def catalog_names(catalog: Catalog) -> NameIndex:
    """The :class:`NameIndex` of ``catalog``'s series, built once per catalog object."""
    cached = _CATALOG_NAMES.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        if len(_CATALOG_NAMES) >= 64:
            _CATALOG_NAMES.pop(next(iter(_CATALOG_NAMES)))
        cached = _CATALOG_NAMES[id(catalog)] = (catalog, NameIndex(catalog.series()))
    return cached[1]


def closest_series(name: str, names: Iterable[str]) -> str | None:
    """The one name of ``names`` that ``name`` very likely meant (:func:`likely_meant`);
    None when none is, or several are: no suggestion beats a wrong one."""
    return NameIndex(names).closest(name)
