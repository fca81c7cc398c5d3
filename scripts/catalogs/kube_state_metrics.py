"""kube-state-metrics: the metric tables of its docs (``docs/metrics/**/*-metrics.md``, flat
``docs/*-metrics.md`` before 2.8), one collector per Kubernetes resource (``--resources``,
defaults from ``pkg/options/resource.go``), plus the telemetry port's own
``kube_state_metrics_*`` families from the Go source."""

from __future__ import annotations

import html
import re

import go_runtime
from common import Built, build_info, sample_tags, to_metric, versioned
from gosrc import Git, Scope, find_opts, go_files

from obscode.model.catalog import Collector, Metric

NAME = "kube-state-metrics"
REPOSITORY = "kubernetes/kube-state-metrics"
MINORS = ["1.9", "2.0", "2.3", "2.6", "2.9", "2.12", "2.15", "2.18"]
OPT_IN = "opt-in"
TELEMETRY = "telemetry"

_TYPES = {"gauge": "gauge", "counter": "counter", "info": "gauge", "stateset": "gauge", "histogram": "histogram",
          "summary": "summary"}
#: A documented label made of a prefix and a placeholder: ``label_POD_LABEL``, ``annotation_X``.
_PLACEHOLDER = re.compile(r"^([a-z_]*?_)?[A-Z][A-Z0-9_]*$")


def _cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def parse_tables(text: str) -> list[dict[str, str]]:
    """Rows of every table whose header has a "Metric name" column, as header -> cell."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.strip().startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            if any(c.lower().startswith("metric name") for c in cells):
                header = [c.lower() for c in cells]
            continue
        if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            continue
        rows.append(dict(zip(header, cells)))
    return rows


def _resource(stem: str, resources: set[str]) -> str:
    for candidate in (stem + "s", stem + "es", stem[:-1] + "ies", stem, stem.replace("certificates", "certificate") + "s"):
        if candidate in resources:
            return candidate
    return stem + "s"


def _resources(git: Git, rev: str) -> tuple[set[str], set[str]]:
    """(every resource a store exists for, the default --resources)."""
    options = git.show(rev, "pkg/options/resource.go") or git.show(rev, "pkg/options/collector.go") or ""
    m = re.search(r"DefaultResources\s*=\s*\w+\{(.*?)\n\t\}", options, re.S)
    defaults = set(re.findall(r'"([a-z]+)"', m.group(1))) if m else set()
    builder = git.show(rev, "internal/store/builder.go") or ""
    m = re.search(r"availableStores\s*=\s*map\[string\][^{]*\{(.*?)\n\}", builder, re.S)
    available = set(re.findall(r'^\s*"([a-z]+)"\s*:', m.group(1), re.M)) if m else set()
    return available | defaults, defaults


def extract(git: Git, rev: str, report: dict) -> dict[str, Metric]:
    resources, defaults = _resources(git, rev)
    docs = [p for p in git.files(rev, "docs/") if re.search(r"-metrics\.md$|/(mutating|validating)\w+\.md$", p)]
    out: dict[str, Metric] = {}
    for path in docs:
        stem = path.rsplit("/", 1)[-1].removesuffix(".md").removesuffix("-metrics")
        if stem in ("customresourcestate", "README"):
            continue
        resource = _resource(stem, resources)
        for row in parse_tables(git.show(rev, path) or ""):
            name_cell = row.get("metric name", "")
            m = re.match(r"`?([a-zA-Z_:][a-zA-Z0-9_:]*)`?", name_cell)
            if not m or not m.group(1).startswith("kube_"):
                continue
            name = m.group(1)
            kind = row.get("metric type", "gauge").strip().lower()
            mtype = _TYPES.get(kind.split()[0] if kind else "gauge", "gauge")
            labels, prefixes = set(), set()
            for label in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)=?`", row.get("labels/tags", "")):
                pm = _PLACEHOLDER.match(label)
                if pm and label != label.lower():
                    prefixes.add(pm.group(1) or "")
                else:
                    labels.add(label)
            if name.endswith(("_labels", "_annotations")) and not prefixes:
                prefixes.add("label_" if name.endswith("_labels") else "annotation_")
            opt_in = row.get("opt-in", "").strip().lower().startswith("opt-in")
            status = row.get("status", "").strip()
            help_ = html.unescape(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", row.get("description", ""))).strip()
            if status:
                help_ = f"{help_} ({status})".strip() if help_ else f"({status})"
            out.setdefault(name, Metric(name=name, type=mtype, help=" ".join(help_.split()), labels=sorted(labels),
                                        label_prefixes=sorted(p for p in prefixes if p),
                                        collector=f"{resource}:{OPT_IN}" if opt_in else resource))
    # The telemetry endpoint's own families.
    files = [p for p in go_files(git, rev, "pkg/") + go_files(git, rev, "internal/")]
    scope = Scope()
    for p in files:
        scope.add_file(git.show(rev, p) or "")
    for p in files:
        for found in find_opts(p, git.show(rev, p) or "", scope):
            if found.name is None:
                report.setdefault("skipped", []).append(f"{p}:{found.line} {found.expr}")
            elif found.name.startswith("kube_state_metrics_") or found.name == "http_request_duration_seconds":
                out.setdefault(found.name, to_metric(found, TELEMETRY))
    out["kube_state_metrics_build_info"] = build_info("kube_state_metrics", TELEMETRY)
    report["resources"] = resources
    report["defaults"] = defaults
    report["files"] = sorted({"docs/**/*-metrics.md", "pkg/options/resource.go", "internal/store/builder.go",
                              "pkg/**/*.go"})
    return out


def build(repos: dict[str, Git]) -> Built:
    git = repos[REPOSITORY]
    tags = sample_tags(git, MINORS)
    reports: dict[str, dict] = {}

    def one(tag: str) -> dict[str, Metric]:
        reports[tag] = {}
        return extract(git, tag, reports[tag])

    metrics = versioned(tags, one)
    newest = reports[tags[-1]]
    collectors: dict[str, Collector] = {}
    for metric in metrics.values():
        c = metric.collector
        if not c or c in collectors:
            continue
        resource = c.split(":")[0]
        if c == TELEMETRY:
            collectors[c] = Collector(default=True, condition="served on the telemetry port (--telemetry-port, 8081), "
                                                             "not on the main metrics port")
        elif c.endswith(":" + OPT_IN):
            collectors[c] = Collector(default=False, condition=f"the metric is named in --metric-opt-in-list "
                                                               f"(and resource {resource} is enabled)")
        else:
            collectors[c] = Collector(default=resource in newest["defaults"],
                                      condition="" if resource in newest["resources"] else "removed resource")
    cg = repos[go_runtime.REPOSITORY]
    runtime, _, rt_files, cg_tags = go_runtime.build_all(cg)
    for name, metric in runtime.items():
        if metric.collector in ("go", "go-process", "go-runtime-metrics"):
            metrics.setdefault(name, metric)
    for name, coll in go_runtime.COLLECTORS.items():
        if name != "promhttp":
            collectors[name] = coll.model_copy(update={"condition": (coll.condition + "; " if coll.condition else "")
                                                       + "on the telemetry port"})
    return Built(
        name=NAME,
        description="kubernetes/kube-state-metrics: every documented metric, one collector per resource "
                    "(--resources), opt-in metrics as <resource>:opt-in, the telemetry port as telemetry",
        repository=REPOSITORY, tag=tags[-1], commit=git.commit(tags[-1]), files=newest["files"],
        namespaces=["kube_"], collectors=collectors, metrics=metrics,
        skipped=sorted(set(newest.get("skipped", []))), sampled=tags,
        extra_sources=[f"{go_runtime.REPOSITORY} {cg_tags[-1]} (commit {cg.commit(cg_tags[-1])}) and older tags "
                       f"{', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}"],
    )
