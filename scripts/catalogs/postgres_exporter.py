"""postgres-exporter: prometheus-community/postgres_exporter's collectors (``collector/*.go``,
``registerCollector(name, defaultEnabled|defaultDisabled, ...)`` and their ``NewDesc`` calls),
the built-in query maps (``builtinMetricMaps``: one family per COUNTER/GAUGE/MAPPEDMETRIC/
DURATION column, labels from its LABEL columns plus ``server``) and the exporter's own
``pg_exporter_*`` / ``pg_up`` / ``pg_static`` families.

``pg_settings_*`` families are named after the PostgreSQL server's settings, and the built-in
``SELECT *`` queries emit columns the maps do not name (untyped): neither is in the exporter's
source. Pass ``--pg-settings FILE`` (a catalog YAML or a ``/metrics`` text scraped from a real
exporter) to add the ``pg_`` families of a real scrape that the source lacks; the source is recorded.
"""

from __future__ import annotations

import re
from pathlib import Path

import go_runtime
from common import Built, build_info, sample_tags, to_metric, versioned
from gosrc import Git, Scope, eval_str, find_descs, find_opts, go_files, go_string, matching, split_args, \
    strip_comments

from obscode.model.catalog import Collector, Metric, from_exposition, load_yaml

NAME = "postgres-exporter"
REPOSITORY = "prometheus-community/postgres_exporter"
MINORS = ["0.8", "0.10", "0.11", "0.13", "0.15", "0.17", "0.19"]
BUILTIN = "builtin"  # the built-in query maps (exporter/, cmd/postgres_exporter/ before 0.13)
#: Set from --pg-settings: (families, where they come from).
SETTINGS: list = []

_COLUMN_TYPES = {"COUNTER": "counter", "GAUGE": "gauge", "MAPPEDMETRIC": "gauge", "DURATION": "gauge",
                 "HISTOGRAM": "histogram"}


def _builtin_maps(text: str) -> dict[str, Metric]:
    """Families of ``var builtinMetricMaps = map[string]intermediateMetricMap{...}``."""
    code = strip_comments(text)
    m = re.search(r"builtinMetricMaps\s*=\s*map\[string\]intermediateMetricMap\s*\{", code)
    if not m:
        return {}
    body = code[m.end():matching(code, m.end() - 1) - 1]
    out: dict[str, Metric] = {}
    for entry in split_args(body):
        em = re.match(r'^"(\w+)"\s*:\s*\{(.*)\}$', entry, re.S)
        if not em:
            continue
        namespace, inner = em.group(1), em.group(2)
        cm = re.search(r"map\[string\]ColumnMapping\s*\{", inner)
        if not cm:
            continue
        columns = inner[cm.end():matching(inner, cm.end() - 1) - 1]
        labels, metrics = ["server"], []
        for col in split_args(columns):
            cmm = re.match(r'^"(\w+)"\s*:\s*\{\s*(\w+)\s*,\s*("(?:[^"\\]|\\.)*"|`[^`]*`)', col, re.S)
            if not cmm:
                continue
            column, usage, help_ = cmm.group(1), cmm.group(2), go_string(cmm.group(3))
            if usage == "LABEL":
                labels.append(column)
            elif usage in _COLUMN_TYPES:
                metrics.append((column, usage, help_))
        for column, usage, help_ in metrics:
            name = f"{namespace}_{column}" + ("_milliseconds" if usage == "DURATION" else "")
            out[name] = Metric(name=name, type=_COLUMN_TYPES[usage], help=" ".join(help_.split()),
                               labels=sorted(set(labels)), collector=BUILTIN)
    return out


def extract(git: Git, rev: str, report: dict) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    defaults: dict[str, bool] = {}
    files = go_files(git, rev, "collector/")
    scope = Scope()
    for p in files:
        scope.add_file(git.show(rev, p) or "")
    for p in files:
        text = git.show(rev, p) or ""
        names = [eval_str(m.group(1), scope) for m in
                 re.finditer(r"registerCollector\(\s*([^,]+),\s*(?:defaultEnabled|defaultDisabled)", text)]
        for m in re.finditer(r"registerCollector\(\s*([^,]+),\s*(defaultEnabled|defaultDisabled)", text):
            name = eval_str(m.group(1), scope)
            if name and name != "name":
                defaults[name] = m.group(2) == "defaultEnabled"
        collector = next((n for n in names if n and n != "name"), "")
        for found in find_descs(p, text, scope):
            if found.name is None:
                report.setdefault("skipped", []).append(f"{p}:{found.line} {' '.join(found.expr.split())}")
                continue
            out.setdefault(found.name, to_metric(found, "" if "scrape" in found.name else collector))
    exporter_dir = "exporter/" if git.files(rev, "exporter/") else "cmd/postgres_exporter/"
    exporter_files = go_files(git, rev, exporter_dir)
    escope = Scope()
    for p in exporter_files:
        escope.add_file(git.show(rev, p) or "")
    for p in exporter_files:
        text = git.show(rev, p) or ""
        for name, metric in _builtin_maps(text).items():
            out.setdefault(name, metric)
        for found in find_opts(p, text, escope) + find_descs(p, text, escope):
            if found.name and found.name.startswith("pg_"):
                out.setdefault(found.name, to_metric(found, "").model_copy(
                    update={"labels": sorted(set((found.labels or []) + ["server"]))
                            if found.name in ("pg_up", "pg_static") else found.labels or []}))
    # pg_static carries the server's version labels (a const metric with labels).
    if "pg_static" in out:
        out["pg_static"] = out["pg_static"].model_copy(update={"labels": ["server", "short_version", "version"]})
    out["postgres_exporter_build_info"] = build_info("postgres_exporter")
    report["defaults"] = defaults
    report["files"] = ["collector/*.go", f"{exporter_dir}*.go"]
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
    defaults: dict[str, bool] = {}
    for tag in tags:
        defaults.update(reports[tag]["defaults"])
    collectors = {name: Collector(default=d) for name, d in defaults.items()}
    # The built-in queries (--disable-default-metrics turns them off): no condition, their
    # columns depend on the PostgreSQL version but some always exist.
    collectors[BUILTIN] = Collector(default=True)
    for metric in metrics.values():
        if metric.collector and metric.collector not in collectors:
            collectors[metric.collector] = Collector(default=False, condition="removed collector")
    extra_sources = []
    # Every family but the exporter's own may carry the server label (const label of the
    # instance in 0.9-0.15; 0.11.1 on Debian shows it on every pg_ family it serves).
    for name, metric in list(metrics.items()):
        if name.startswith("pg_") and not name.startswith(("pg_scrape_", "pg_exporter_")):
            metrics[name] = metric.model_copy(update={"labels": sorted(set(metric.labels) | {"server"})})
    if SETTINGS:
        settings, source = SETTINGS
        for metric in settings:
            collector = "settings" if metric.name.startswith("pg_settings_") else BUILTIN
            metrics.setdefault(metric.name, metric.model_copy(update={"collector": collector}))
        collectors.setdefault("settings", Collector(default=True))
        extra_sources.append(f"pg_settings_* families, and columns the built-in queries select with * (untyped), "
                             f"from {source}")
    cg = repos[go_runtime.REPOSITORY]
    runtime, _, rt_files, cg_tags = go_runtime.build_all(cg)
    for name, metric in runtime.items():
        metrics.setdefault(name, metric)
    collectors.update(go_runtime.COLLECTORS)
    extra_sources.append(f"{go_runtime.REPOSITORY} {cg_tags[-1]} (commit {cg.commit(cg_tags[-1])}) and older tags "
                         f"{', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}")
    return Built(
        name=NAME,
        description="prometheus-community/postgres_exporter: every collector (default on and off), the built-in "
                    "queries, pg_settings_* from a real scrape",
        repository=REPOSITORY, tag=tags[-1], commit=git.commit(tags[-1]), files=newest["files"],
        namespaces=["pg_", "postgres_exporter_"], collectors=collectors, metrics=metrics,
        skipped=sorted(set(newest.get("skipped", []))), sampled=tags, extra_sources=extra_sources,
    )


def load_settings(path: str, source: str) -> None:
    """``pg_settings_*`` families from a catalog YAML or a /metrics text file."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    catalog = load_yaml(p) if p.suffix in (".yml", ".yaml") else from_exposition("scrape", text)
    SETTINGS[:] = [[m for m in catalog.metrics if m.name.startswith("pg_")], source]
