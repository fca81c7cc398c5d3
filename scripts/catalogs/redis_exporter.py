"""redis-exporter: oliver006/redis_exporter's families, all ``redis_``-prefixed
(``--namespace``): the INFO field maps (``metricMapGauges`` / ``metricMapCounters``), the
described families (``metricDescriptions``: name, help, labels) and every
``registerConstMetric*(ch, "name", ...)`` call; the collector is the file that emits it
(keys, streams, sentinels, lua, slowlog, latency, ...)."""

from __future__ import annotations

import re

import go_runtime
from common import Built, build_info, sample_tags, versioned
from gosrc import Git, go_files, go_string, matching, split_args, strip_comments

from obscode.model.catalog import Collector, Metric

NAME = "redis-exporter"
REPOSITORY = "oliver006/redis_exporter"
MINORS = ["1.20", "1.40", "1.50", "1.60", "1.70", "1.80"]
NAMESPACE = "redis"

#: What a collector (source file) needs besides a reachable Redis; hand-written from the flags.
CONDITIONS = {
    "keys": "flags: -check-keys / -check-single-keys name the keys",
    "key_groups": "flags: -check-key-groups",
    "streams": "flags: -check-streams / -check-single-streams",
    "lua": "flags: -script (Lua scripts of the user)",
    "sentinels": "the target is a Redis Sentinel",
    "tile38": "the target is Tile38 (-is-tile38)",
    "search_indexes": "flags: -include-search-indexes-metrics (RediSearch)",
    "modules": "flags: -include-modules-metrics",
    "nodes": "the target is a Redis Cluster node (-is-cluster)",
    "commandlog": "Valkey >= 8.1 with COMMANDLOG",
}


def _string_map(code: str, field: str) -> dict[str, str]:
    m = re.search(field + r"\s*:\s*map\[string\]string\s*\{", code)
    if not m:
        return {}
    body = code[m.end():matching(code, m.end() - 1) - 1]
    return dict(re.findall(r'"([^"]+)"\s*:\s*"([^"]+)"', body))


def _descriptions(code: str) -> dict[str, tuple[str, list[str]]]:
    m = re.search(r"for\s+k,\s*desc\s*:=\s*range\s+map\[string\]struct\s*\{[^}]*\}\s*\{", code)
    if not m:
        return {}
    body = code[m.end():matching(code, m.end() - 1) - 1]
    out = {}
    for entry in split_args(body):
        em = re.match(r'^"(\w+)"\s*:\s*\{(.*)\}$', entry, re.S)
        if not em:
            continue
        txt = re.search(r"txt:\s*(\"(?:[^\"\\]|\\.)*\"|`[^`]*`)", em.group(2))
        lbls = re.search(r"lbls:\s*\[\]string\{([^}]*)\}", em.group(2))
        out[em.group(1)] = (go_string(txt.group(1)) if txt else "",
                            re.findall(r'"(\w+)"', lbls.group(1)) if lbls else [])
    return out


def extract(git: Git, rev: str, report: dict) -> dict[str, Metric]:
    files = go_files(git, rev, "exporter/") or go_files(git, rev, "")
    texts = {p: strip_comments(git.show(rev, p) or "") for p in files}
    main = next((t for p, t in texts.items() if p.endswith("exporter.go")), "")
    gauges, counters = _string_map(main, "metricMapGauges"), _string_map(main, "metricMapCounters")
    described = _descriptions(main)
    out: dict[str, Metric] = {}
    emitted: dict[str, tuple[str, str]] = {}  # name -> (collector, type)
    for path, text in texts.items():
        collector = path.rsplit("/", 1)[-1].removesuffix(".go")
        collector = "info" if collector in ("exporter", "redis", "metrics", "info", "clients", "rdb") else collector
        for m in re.finditer(r"registerConstMetric(Gauge|Counter)?\(\s*ch,\s*\"(\w+)\"", text):
            kind = {"Gauge": "gauge", "Counter": "counter"}.get(m.group(1) or "", "")
            emitted.setdefault(m.group(2), (collector, kind))
        for m in re.finditer(r"registerConstMetric\(\s*ch,\s*\"(\w+)\"\s*,[^,]*,\s*prometheus\.(Counter|Gauge)Value", text):
            emitted[m.group(1)] = (collector, m.group(2).lower())
    # createMetricDescription("name", labels) at the call site: a literal, or a []string
    # variable of the same file plus whatever append(var, "x") adds to it.
    for path, text in texts.items():
        for m in re.finditer(r"createMetricDescription\(\s*\"(\w+)\"\s*,\s*([^)]*?)\)", text):
            name, arg = m.group(1), m.group(2).strip()
            labels = re.findall(r'"(\w+)"', arg) if arg.startswith("[]string") else []
            if re.fullmatch(r"[A-Za-z_]\w*", arg) and arg != "nil":
                decl = re.search(r"\b" + arg + r"\s*:?=\s*\[\]string\s*\{", text)
                if decl:
                    body = text[decl.end():matching(text, decl.end() - 1) - 1]
                    labels = re.findall(r'"(\w+)"', body)
                    for am in re.finditer(r"\b" + arg + r"\s*=\s*append\(\s*" + arg + r"\s*,([^)]*)\)", text):
                        labels += re.findall(r'"(\w+)"', am.group(1))
                else:
                    continue
            old_help, old_labels = described.get(name, ("", []))
            described[name] = (old_help, sorted(set(old_labels) | set(labels)))
    for field, mtype in ((gauges, "gauge"), (counters, "counter")):
        for source, name in field.items():
            full = f"{NAMESPACE}_{name}"
            out.setdefault(full, Metric(name=full, type=mtype, help=f"INFO field {source}.", collector="info"))
    for name, (help_, labels) in described.items():
        collector, kind = emitted.get(name, ("info", ""))
        mtype = kind or ("counter" if name.endswith("_total") else "gauge")
        if name == "commands_latencies_usec":
            mtype = "histogram"
        full = f"{NAMESPACE}_{name}"
        out[full] = Metric(name=full, type=mtype, help=" ".join(help_.split()), labels=labels, collector=collector)
    for name, (collector, kind) in emitted.items():
        full = f"{NAMESPACE}_{name}"
        if full not in out:
            out[full] = Metric(name=full, type=kind or ("counter" if name.endswith("_total") else "gauge"),
                               collector=collector)
            report.setdefault("labels_unknown", []).append(full)
    # The exporter's own Opts (redis_exporter_scrapes_total, ...), Namespace = opts.Namespace.
    for m in re.finditer(r"Namespace:\s*opts\.Namespace,\s*Name:\s*\"(\w+)\",\s*Help:\s*\"([^\"]*)\"", main):
        full = f"{NAMESPACE}_{m.group(1)}"
        out.setdefault(full, Metric(name=full, type="counter" if full.endswith("_total") else "gauge",
                                    help=m.group(2)))
    out.setdefault("redis_exporter_build_info", build_info("redis_exporter").model_copy(
        update={"labels": ["build_date", "commit_sha", "golang_version", "version"]}))
    report["files"] = ["exporter/*.go"]
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
    collectors = {c: Collector(default=c not in CONDITIONS or c in ("sentinels", "tile38", "nodes", "commandlog"),
                               condition=CONDITIONS.get(c, ""))
                  for c in sorted({m.collector for m in metrics.values() if m.collector})}
    cg = repos[go_runtime.REPOSITORY]
    runtime, _, rt_files, cg_tags = go_runtime.build_all(cg)
    for name, metric in runtime.items():
        metrics.setdefault(name, metric)
    collectors.update(go_runtime.COLLECTORS)
    built = Built(
        name=NAME,
        description="oliver006/redis_exporter: INFO fields, described families and every registered constant "
                    "metric, by source file (keys, streams, sentinels, ...)",
        repository=REPOSITORY, tag=tags[-1], commit=git.commit(tags[-1]), files=newest["files"],
        namespaces=["redis_"], collectors=collectors, metrics=metrics, sampled=tags,
        extra_sources=[f"{go_runtime.REPOSITORY} {cg_tags[-1]} (commit {cg.commit(cg_tags[-1])}) and older tags "
                       f"{', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}"],
    )
    built.skipped += [f"(labels not in metricDescriptions, listed with none) {n}"
                      for n in newest.get("labels_unknown", [])]
    return built
