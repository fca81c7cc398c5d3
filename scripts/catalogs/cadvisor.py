"""cAdvisor: container_* and machine_* families of ``metrics/prometheus.go`` and
``metrics/prometheus_machine.go`` (``lib/metrics/`` from 0.60), each in the metric kind of the
``if includedMetrics.Has(container.XxxMetrics)`` block around it (the ``-disable_metrics`` /
``-enable_metrics`` names: cpu, memory, diskIO, network, tcp, ...). Defaults are the standalone
cAdvisor's (``cmd/cadvisor.go``'s ``ignoreMetrics``); the kubelet's embedded cAdvisor enables
its own set, see KUBELET_METRICS.

Labels: every container family carries cAdvisor's base labels. The standalone cAdvisor names
them ``id``, ``name``, ``image`` (plus ``container_label_*`` and ``container_env_*``); the
kubelet's ``/metrics/cadvisor`` adds ``container``, ``pod``, ``namespace``. Both are listed.
"""

from __future__ import annotations

import re

import go_runtime
from common import Built, sample_tags, versioned
from gosrc import Git, Scope, eval_labels, eval_str, find_descs, go_string, matching, split_args, strip_comments

from obscode.model.catalog import Collector, Metric

NAME = "cadvisor"
REPOSITORY = "google/cadvisor"
MINORS = ["0.39", "0.43", "0.45", "0.47", "0.49", "0.52"]
BASE_LABELS = ["container", "id", "image", "name", "namespace", "pod"]
LABEL_PREFIXES = ["container_label_", "container_env_"]
#: The kubelet's includedMetrics (pkg/kubelet/server/server.go), for the conditions.
KUBELET_METRICS = {"cpu", "memory", "cpuLoad", "diskIO", "disk", "network", "app", "process", "oom_event"}
_TYPES = {"CounterValue": "counter", "GaugeValue": "gauge", "UntypedValue": "untyped"}


def _path(git: Git, rev: str, *candidates: str) -> str:
    for c in candidates:
        if git.show(rev, c) is not None:
            return c
    return candidates[-1]


def _kinds(git: Git, rev: str) -> tuple[dict[str, str], set[str]]:
    """MetricKind constant -> flag name; the kinds the standalone cAdvisor leaves out by default."""
    factory = git.show(rev, _path(git, rev, "lib/container/factory.go", "container/factory.go")) or ""
    kinds = dict(re.findall(r"^\s*(\w+)\s+MetricKind\s*=\s*\"([^\"]+)\"", factory, re.M))
    main = git.show(rev, "cmd/cadvisor.go") or git.show(rev, "cadvisor.go") or ""
    m = re.search(r"ignoreMetrics\s*=\s*(?:container\.)?MetricSet\{(.*?)\n\t\}", main, re.S)
    ignored = {kinds[k] for k in re.findall(r"container\.(\w+)\s*:", m.group(1)) if k in kinds} if m else set()
    if not m:  # older: ignoreMetrics = metricSetValue{container.MetricSet{...}}
        m = re.search(r"ignoreMetrics\s*=.*?MetricSet\{(.*?)\}\}", main, re.S)
        ignored = {kinds[k] for k in re.findall(r"container\.(\w+)\s*:", m.group(1)) if k in kinds} if m else set()
    return kinds, ignored


def _blocks(code: str, kinds: dict[str, str]) -> list[tuple[int, int, str]]:
    out = []
    for m in re.finditer(r"includedMetrics\.Has\(\s*container\.(\w+)\s*\)\s*\{", code):
        end = matching(code, m.end() - 1)
        out.append((m.end(), end, kinds.get(m.group(1), m.group(1))))
    return out


def extract(git: Git, rev: str, report: dict) -> dict[str, Metric]:
    kinds, ignored = _kinds(git, rev)
    report["kinds"], report["ignored"] = set(kinds.values()), ignored
    files = [_path(git, rev, "lib/metrics/prometheus.go", "metrics/prometheus.go"),
             _path(git, rev, "lib/metrics/prometheus_machine.go", "metrics/prometheus_machine.go")]
    report["files"] = files + [_path(git, rev, "lib/container/factory.go", "container/factory.go"), "cmd/cadvisor.go"]
    out: dict[str, Metric] = {}
    for path in files:
        text = git.show(rev, path) or ""
        code = strip_comments(text)
        scope = Scope()
        scope.add_file(text)
        blocks = _blocks(code, kinds)
        machine = "machine" in path
        # {name: "container_...", help: "...", valueType: prometheus.XValue, extraLabels: [...]}
        for m in re.finditer(r"\bname:\s*(\"[^\"]+\")", code):
            start = code.rfind("{", 0, m.start())
            end = matching(code, start)
            fields = {}
            for part in split_args(code[start + 1:end - 1]):
                fm = re.match(r"^(\w+)\s*:\s*(.*)$", part, re.S)
                if fm:
                    fields[fm.group(1)] = fm.group(2).strip()
            name = go_string(m.group(1))
            inside = [b for b in blocks if b[0] <= m.start() < b[1]]
            kind = min(inside, key=lambda b: b[1] - b[0])[2] if inside else ""
            vm = re.search(r"(CounterValue|GaugeValue|UntypedValue)", fields.get("valueType", ""))
            extra = eval_labels(fields.get("extraLabels", "nil"), scope)
            if extra is None:
                report.setdefault("skipped", []).append(f"{path}:{m.start()} labels of {name}")
                extra = []
            base = ["boot_id", "machine_id", "system_uuid"] if machine else BASE_LABELS
            out.setdefault(name, Metric(
                name=name, type=_TYPES[vm.group(1)] if vm else "gauge",
                help=" ".join((eval_str(fields.get("help", '""'), scope) or "").split()),
                labels=sorted(set(base + extra)), label_prefixes=[] if machine else LABEL_PREFIXES,
                collector=kind))
        for found in find_descs(path, text, scope):
            if found.name is None:
                report.setdefault("skipped", []).append(f"{path}:{found.line} {found.expr}")
                continue
            if found.name in out:
                continue
            labels = found.labels or []
            if found.name.startswith("container_spec_") or found.name in (
                    "container_creation_time_seconds", "container_start_time_seconds"):
                labels, prefixes = BASE_LABELS, LABEL_PREFIXES
            else:
                prefixes = []
            out[found.name] = Metric(name=found.name, type=found.type or "gauge", help=" ".join(found.help.split()),
                                     labels=sorted(set(labels)), label_prefixes=prefixes, collector="")
        for opts in re.finditer(r"Namespace:\s*\"(\w+)\",\s*Name:\s*\"(\w+)\",\s*Help:\s*\"([^\"]*)\"", code):
            name = f"{opts.group(1)}_{opts.group(2)}"
            out.setdefault(name, Metric(name=name, type="gauge", help=opts.group(3)))
    out.pop("container_", None)
    return out


def build(repos: dict[str, Git]) -> Built:
    git = repos[REPOSITORY]
    tags = [t for t in sample_tags(git, MINORS)]
    reports: dict[str, dict] = {}

    def one(tag: str) -> dict[str, Metric]:
        reports[tag] = {}
        return extract(git, tag, reports[tag])

    metrics = versioned(tags, one)
    newest = reports[tags[-1]]
    collectors: dict[str, Collector] = {}
    for metric in metrics.values():
        kind = metric.collector
        if kind and kind not in collectors:
            # default: the standalone cAdvisor's (-disable_metrics); a kind it serves that the
            # kubelet's embedded cAdvisor leaves out is conditional.
            default = kind not in newest["ignored"]
            condition = "" if not default or kind in KUBELET_METRICS else \
                f"standalone cAdvisor only: the kubelet's /metrics/cadvisor leaves {kind} out"
            collectors[kind] = Collector(default=default, condition=condition)
    cg = repos[go_runtime.REPOSITORY]
    runtime, _, rt_files, cg_tags = go_runtime.build_all(cg)
    for name, metric in runtime.items():
        if metric.collector != "promhttp":
            metrics.setdefault(name, metric)
    for name, coll in go_runtime.COLLECTORS.items():
        if name != "promhttp":
            collectors[name] = coll.model_copy(update={"condition": (coll.condition + "; " if coll.condition else "")
                                                       + "standalone cAdvisor's /metrics only"})
    return Built(
        name=NAME,
        description="google/cadvisor: container_* and machine_* families by metric kind (-disable_metrics), as the "
                    "standalone cAdvisor and the kubelet's /metrics/cadvisor serve them",
        repository=REPOSITORY, tag=tags[-1], commit=git.commit(tags[-1]), files=newest["files"],
        namespaces=["container_", "machine_", "cadvisor_"], collectors=collectors, metrics=metrics,
        skipped=sorted(set(newest.get("skipped", []))), sampled=tags,
        extra_sources=[f"{go_runtime.REPOSITORY} {cg_tags[-1]} (commit {cg.commit(cg_tags[-1])}) and older tags "
                       f"{', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}"],
    )
