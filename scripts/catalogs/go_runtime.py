"""go_*, process_* and promhttp_* families of prometheus/client_golang, which most Go
exporters register: collectors ``go`` (memstats and the runtime/metrics defaults),
``go-process`` (process_*: Linux, Windows, macOS), ``promhttp`` (the instrumented /metrics handler) and
``go-runtime-metrics`` (every runtime/metrics family; only with
``collectors.WithGoCollectorRuntimeMetrics``, off by default)."""

from __future__ import annotations

import re

from common import merge, to_metric
from gosrc import Git, Scope, find_descs, find_opts

from obscode.model.catalog import Collector, Metric

REPOSITORY = "prometheus/client_golang"

COLLECTORS = {
    "go": Collector(default=True),
    # process_* on Linux, Windows and macOS; promhttp_* where the exporter wraps its handler in
    # promhttp.InstrumentMetricHandler (all the Prometheus project's exporters do): no condition.
    "go-process": Collector(default=True),
    "promhttp": Collector(default=True),
    "go-runtime-metrics": Collector(default=False, condition="the exporter enables collectors.WithGoCollectorRuntimeMetrics"),
}

FILES = ["prometheus/go_collector.go", "prometheus/go_collector_latest.go", "prometheus/process_collector.go",
         "prometheus/promhttp/http.go", "prometheus/internal/go_collector_options.go"]

#: runtime/metrics kinds that client_golang exposes as histograms (Float64Histogram values).
_HISTOGRAMS = re.compile(r"-by-size:|^/gc/pauses:|^/sched/latencies:|^/sched/pauses/")


#: client_golang minors sampled besides the newest release: families removed since (e.g.
#: go_memstats_lookups_total) are still served by exporters built with an older one.
MINORS = ["1.11", "1.14", "1.17", "1.20"]


def build_all(git: Git) -> tuple[dict[str, Metric], list[str], list[str], list[str]]:
    """The union over sampled tags (newest definition wins): families, skipped, files, tags."""
    from common import sample_tags

    tags = sample_tags(git, MINORS)
    metrics: dict[str, Metric] = {}
    skipped: list[str] = []
    files: list[str] = []
    for tag in reversed(tags):
        found, skipped_here, files_here = build(git, tag)
        for name, metric in found.items():
            metrics.setdefault(name, metric)
        if tag == tags[-1]:
            skipped, files = skipped_here, files_here
    return metrics, skipped, files, tags


def build(git: Git, rev: str) -> tuple[dict[str, Metric], list[str], list[str]]:
    """Families, skipped definitions, files read."""
    metrics: dict[str, Metric] = {}
    skipped: list[str] = []
    files = list(FILES)
    for path, collector in (("prometheus/go_collector.go", "go"), ("prometheus/process_collector.go", "go-process"),
                            ("prometheus/promhttp/http.go", "promhttp")):
        text = git.show(rev, path) or ""
        text = re.sub(r'memstatNamespace\("(\w+)"\)', r'"go_memstats_\1"', text)
        scope = Scope()
        scope.add_file(text)
        for found in find_descs(path, text, scope) + find_opts(path, text, scope):
            if found.name is None:
                skipped.append(f"{path}:{found.line} {found.expr}")
                continue
            merge(metrics, [to_metric(found, collector)])
    # go_info's version label is a const label the parser reads from Labels{...}.
    if "go_info" in metrics:
        metrics["go_info"] = metrics["go_info"].model_copy(update={"labels": ["version"]})
    # runtime/metrics families: the generated expectations of the newest Go version.
    tests = sorted((p for p in git.files(rev, "prometheus/") if re.search(r"go_collector_metrics_go\d+_test\.go$", p)),
                   key=lambda p: int(re.search(r"go(\d+)_test", p).group(1)))  # type: ignore[union-attr]
    default = re.compile(r"/gc/gogc:percent|/gc/gomemlimit:bytes|/sched/gomaxprocs:threads")
    options = git.show(rev, "prometheus/internal/go_collector_options.go") or ""
    m = re.search(r"GoCollectorDefaultRuntimeMetrics\s*=\s*regexp\.MustCompile\(`([^`]*)`\)", options)
    if m:
        default = re.compile(m.group(1))
    if tests:
        files.append(tests[-1])
        text = git.show(rev, tests[-1]) or ""
        for rm, name in re.findall(r'"(/[^"]+)"\s*:\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"', text):
            if name in metrics:
                continue
            mtype = "histogram" if _HISTOGRAMS.search(rm) else "counter" if name.endswith("_total") else "gauge"
            collector = "go" if default.search(rm) else "go-runtime-metrics"
            metrics[name] = Metric(name=name, type=mtype, help=f"Sourced from {rm}.", collector=collector)
    return metrics, skipped, files
