"""Exporters whose families are ``NewDesc`` calls and ``XxxOpts{}`` literals in their own Go
packages: the Prometheus server, Alertmanager, Pushgateway, blackbox_exporter and
process-exporter. One module-level :class:`Spec` each; the collector of a family is the
package that defines it (or what ``Spec.collector`` makes of its path)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import go_runtime
from common import Built, build_info, sample_tags, to_metric, versioned
from gosrc import Git, scan_tree

from obscode.model.catalog import Collector, Metric


@dataclass
class Spec:
    name: str
    repository: str
    description: str
    prefixes: list[str]
    namespaces: list[str]
    minors: list[str]
    #: Paths left out (tests are always left out).
    exclude: str = r"(^|/)(testutil|testdata|examples?|documentation|tools)/"
    #: (file path, family name) -> collector name.
    collector: Callable[[str, str], str] = lambda path, name: ""
    #: collector name -> (default, condition).
    collectors: Callable[[str], tuple[bool, str]] = lambda name: (True, "")
    #: Namespaces as the two first words of every family name with a prefix in ``namespaces``
    #: (prometheus_tsdb_, prometheus_sd_, ...), so that another program's families with the same
    #: first word (the operator's prometheus_operator_*) are not claimed.
    narrow_namespaces: bool = False
    #: The collector of a family that several collectors define (blackbox's probe_ssl_* in
    #: the http, grpc and tcp probers); None = the first definition's.
    shared_collector: str | None = None
    #: Families kept: those with one of these prefixes ("" = every family found).
    keep: tuple[str, ...] = ("",)
    #: Extra families the source makes in a way the parser does not read.
    extra: Callable[[Git, str], list[Metric]] = lambda git, rev: []
    promhttp: bool = True
    also: list[str] = field(default_factory=lambda: ["prometheus/client_golang"])
    #: Libraries the exporter links that register families of their own: (repository, collector).
    libraries: list[tuple[str, str]] = field(default_factory=list)

    @property
    def REPOSITORY(self) -> str:  # noqa: N802 - build.py reads module.REPOSITORY
        return self.repository

    @property
    def NAME(self) -> str:  # noqa: N802
        return self.name

    @property
    def ALSO(self) -> list[str]:  # noqa: N802
        return self.also

    def extract(self, git: Git, rev: str, report: dict) -> dict[str, Metric]:
        found, infos, files = scan_tree(git, rev, self.prefixes, re.compile(self.exclude))
        out: dict[str, Metric] = {}
        typed_by_name: list[str] = []
        wrapped = _wrap_prefixes(git, rev, {f.path for f in found})
        expanded = []
        for f in found:
            if f.name and f.path in wrapped and not f.name.startswith(tuple(self.namespaces)):
                # Registered through prometheus.WrapRegistererWithPrefix(prefix, reg) in the same file.
                expanded += [replace(f, name=prefix + f.name) for prefix in wrapped[f.path]]
            else:
                expanded.append(f)
        for f in expanded:
            if f.name is None:
                report.setdefault("skipped", []).append(f"{f.path}:{f.line} {' '.join(f.expr.split())}")
                continue
            if not f.name.startswith(self.keep):
                continue
            metric = to_metric(f, self.collector(f.path, f.name), typed_by_name)
            if f.labels is None:
                report.setdefault("labels_unresolved", []).append(f"{f.path}:{f.line} {f.name}")
            if f.name in out:  # defined twice (e.g. agent and server mode): any label may appear
                old = out[f.name]
                collector = old.collector
                if self.shared_collector is not None and collector != metric.collector:
                    collector = self.shared_collector
                out[f.name] = old.model_copy(update={"labels": sorted(set(old.labels) | set(metric.labels)),
                                                     "help": old.help or metric.help, "collector": collector})
            else:
                out[f.name] = metric
        for name, path in infos.items():
            out.setdefault(name, build_info(name.removesuffix("_build_info"), self.collector(path, name)))
        for metric in self.extra(git, rev):
            out.setdefault(metric.name, metric)
        report["typed_by_name"] = [n for n in typed_by_name if n in out]
        report["files"] = sorted(f"{p}/**/*.go" for p in self.prefixes)
        return out

    def build(self, repos: dict[str, Git]) -> Built:
        git = repos[self.repository]
        tags = sample_tags(git, self.minors)
        reports: dict[str, dict] = {}

        def one(tag: str) -> dict[str, Metric]:
            reports[tag] = {}
            return self.extract(git, tag, reports[tag])

        metrics = versioned(tags, one)
        newest = reports[tags[-1]]
        collectors: dict[str, Collector] = {}
        for metric in metrics.values():
            if metric.collector and metric.collector not in collectors:
                default, condition = self.collectors(metric.collector)
                collectors[metric.collector] = Collector(default=default, condition=condition)
        extra_sources = []
        for repository, collector in self.libraries:
            if repository not in repos:
                print(f"{self.name}: {repository} not given, its families are left out")
                continue
            lib = repos[repository]
            rev = (sample_tags(lib, []) or ["HEAD"])[-1]
            found, _, _ = scan_tree(lib, rev, [""], re.compile(r"(^|/)examples?/"))
            for f in found:
                if f.name:
                    metrics.setdefault(f.name, to_metric(f, collector))
            collectors[collector] = Collector(default=True)
            extra_sources.append(f"{repository} {rev} (commit {lib.commit(rev)}); files: *.go")
        if "prometheus/client_golang" in repos:
            cg = repos["prometheus/client_golang"]
            runtime, _, rt_files, cg_tags = go_runtime.build_all(cg)
            for name, metric in runtime.items():
                if metric.collector != "promhttp" or self.promhttp:
                    metrics.setdefault(name, metric)
            for name, coll in go_runtime.COLLECTORS.items():
                if name != "promhttp" or self.promhttp:
                    collectors[name] = coll
            extra_sources.append(f"prometheus/client_golang {cg_tags[-1]} (commit {cg.commit(cg_tags[-1])}) and "
                                 f"older tags {', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}")
        namespaces = list(self.namespaces)
        if self.narrow_namespaces:
            namespaces = sorted({"_".join(n.split("_")[:2]) + ("_" if n.count("_") > 1 else "")
                                 for n in metrics if n.startswith(tuple(self.namespaces))})
        built = Built(name=self.name, description=self.description, repository=self.repository, tag=tags[-1],
                      commit=git.commit(tags[-1]), files=newest["files"], namespaces=namespaces,
                      collectors=collectors, metrics=metrics, skipped=sorted(set(newest.get("skipped", []))),
                      typed_by_name=sorted(set(newest.get("typed_by_name", []))), sampled=tags,
                      extra_sources=extra_sources)
        built.skipped += [f"(labels not static, listed with none) {x}" for x in newest.get("labels_unresolved", [])]
        return built


def _wrap_prefixes(git: Git, rev: str, paths: set[str]) -> dict[str, list[str]]:
    """file -> the prefixes its ``prometheus.WrapRegistererWithPrefix(p, reg)`` calls give: a
    literal, or every string literal assigned to the variable passed."""
    out: dict[str, list[str]] = {}
    for path in sorted(paths):
        text = git.show(rev, path) or ""
        for m in re.finditer(r"WrapRegistererWithPrefix\(\s*(\"[^\"]*\"|\w+)", text):
            arg = m.group(1)
            if arg.startswith('"'):
                out.setdefault(path, []).append(arg.strip('"'))
            else:
                out.setdefault(path, []).extend(
                    re.findall(r"\b" + re.escape(arg) + r"\s*:?=\s*\"([^\"]+)\"", text))
    return out


# --------------------------------------------------------------------------- prometheus-server

def _prometheus_collector(path: str, name: str = "") -> str:
    parts = path.split("/")
    if parts[0] == "discovery" and len(parts) > 2 and parts[1] not in ("refresh", "targetgroup"):
        return f"discovery/{parts[1]}"
    if parts[0] == "storage" and len(parts) > 2 and parts[1] == "remote":
        return "storage/remote"
    if parts[0] == "tsdb" and len(parts) > 2 and parts[1] == "agent":
        return "tsdb/agent"
    if parts[0] == "cmd":
        return "main"
    return parts[0]


def _prometheus_collectors(name: str) -> tuple[bool, str]:
    if name.startswith("discovery/"):
        sd = name.split("/", 1)[1]
        return True, f"config: {sd}_sd_configs in use (or the mechanism's shared metrics, registered at start)"
    if name == "storage/remote":
        return True, "config: remote_write or remote_read configured (or the remote-write receiver enabled)"
    if name == "tsdb/agent":
        return False, "mode: --agent (agent mode instead of the TSDB)"
    return True, ""


PROMETHEUS = Spec(
    name="prometheus-server",
    repository="prometheus/prometheus",
    description="The Prometheus server's own /metrics (prometheus_*, prometheus_tsdb_*, prometheus_sd_*, "
                "prometheus_remote_storage_*, ...), one collector per package",
    prefixes=["cmd/prometheus", "config", "discovery", "notifier", "promql", "rules", "scrape", "storage", "tsdb",
              "web", "tracing", "util", "model", "template", "internal"],
    namespaces=["prometheus_"],
    minors=["2.15", "2.24", "2.30", "2.37", "2.42", "2.45", "2.50", "2.53", "3.0", "3.3", "3.6", "3.10"],
    exclude=r"(^|/)(testutil|testdata|examples?|documentation|tools|teststorage|promqltest)(/|$)|^cmd/promtool|"
            r"^util/(fmtutil|testutil)/",
    collector=_prometheus_collector,
    collectors=_prometheus_collectors,
    libraries=[("mwitkow/go-conntrack", "go-conntrack")],
    narrow_namespaces=True,
)


# --------------------------------------------------------------------------- alertmanager

def _top(path: str, name: str = "") -> str:
    parts = path.split("/")
    return "main" if parts[0] == "cmd" or len(parts) == 1 else parts[0]


ALERTMANAGER = Spec(
    name="alertmanager",
    repository="prometheus/alertmanager",
    description="prometheus/alertmanager's own /metrics (alertmanager_*), one collector per package",
    prefixes=["api", "cluster", "cmd/alertmanager", "config", "dispatch", "inhibit", "nflog", "notify", "provider",
              "silence", "timeinterval", "featurecontrol", "store", "types", "ui", "matchers", "tracing"],
    namespaces=["alertmanager_"],
    minors=["0.21", "0.24", "0.25", "0.26", "0.27", "0.28", "0.30", "0.32"],
    collector=_top,
    collectors=lambda name: (True, "cluster: --cluster.listen-address set (HA peers)") if name == "cluster"
    else (True, ""),
)


# --------------------------------------------------------------------------- pushgateway

def _pushgateway_extra(git: Git, rev: str) -> list[Metric]:
    # The push time families are written into every pushed group by storage/diskmetricstore.go.
    return [Metric(name="push_time_seconds", type="gauge", collector="storage",
                   help="Last Unix time when changing this group in the Pushgateway succeeded.", labels=["job"]),
            Metric(name="push_failure_time_seconds", type="gauge", collector="storage",
                   help="Last Unix time when changing this group in the Pushgateway failed.", labels=["job"])]


PUSHGATEWAY = Spec(
    name="pushgateway",
    repository="prometheus/pushgateway",
    description="prometheus/pushgateway's own /metrics (pushgateway_*) and push_time_seconds / "
                "push_failure_time_seconds of every group; pushed families are the pushers'",
    prefixes=["api", "handler", "storage", "main.go", "asset"],
    namespaces=["pushgateway_", "push_time_seconds", "push_failure_time_seconds"],
    minors=["1.4", "1.6", "1.8", "1.10"],
    collector=_top,
    extra=_pushgateway_extra,
)


# --------------------------------------------------------------------------- blackbox_exporter

def _blackbox_collector(path: str, name: str = "") -> str:
    m = re.match(r"prober/(\w+?)(?:_test)?\.go$", path)
    if m:
        return m.group(1) if m.group(1) not in ("prober", "utils", "handler", "tls", "query_response") else "prober"
    return _top(path)


BLACKBOX = Spec(
    name="blackbox-exporter",
    repository="prometheus/blackbox_exporter",
    description="prometheus/blackbox_exporter: probe_* families of /probe by prober module (http, tcp, icmp, dns, "
                "grpc, unix), and the exporter's own blackbox_exporter_* families on /metrics",
    prefixes=["prober", "config", "main.go"],
    namespaces=["probe_", "blackbox_"],
    minors=["0.19", "0.22", "0.24", "0.25", "0.26", "0.27"],
    collector=_blackbox_collector,
    shared_collector="prober",
    collectors=lambda name: (True, f"the probe's module uses the {name} prober (served on /probe)")
    if name in ("http", "tcp", "icmp", "dns", "grpc", "unix") else (True, ""),
)


# --------------------------------------------------------------------------- process-exporter

PROCESS = Spec(
    name="process-exporter",
    repository="ncabatoff/process-exporter",
    description="ncabatoff/process-exporter: namedprocess_namegroup_* per process group of its config",
    prefixes=["collector", "cmd", "proc", "config"],
    namespaces=["namedprocess_"],
    minors=["0.5", "0.7", "0.8"],
    collector=lambda path, name: "threads" if "_thread_" in name else "",
    collectors=lambda name: (True, "-threads (on by default; -threads=false turns the per-thread families off)")
    if name == "threads" else (True, ""),
)

SPECS = [PROMETHEUS, ALERTMANAGER, PUSHGATEWAY, BLACKBOX, PROCESS]
