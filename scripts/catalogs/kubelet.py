"""kubelet: the kubelet's own /metrics families (``kubelet_*``) from kubernetes/kubernetes'
``pkg/kubelet/metrics/metrics.go`` (component-base ``metrics.XxxOpts`` literals) and
``pkg/kubelet/metrics/collectors/volume_stats.go`` (``metrics.NewDesc``).

The repository is too large to clone here, so this module reads single files: give each as
``kubernetes/kubernetes@COMMIT:PATH=LOCAL_FILE`` (a copy of that file at that commit). The
cAdvisor families the kubelet serves on /metrics/cadvisor are the ``cadvisor`` catalog.
"""

from __future__ import annotations

from pathlib import Path

import go_runtime
from common import Built, to_metric
from gosrc import Git, Scope, find_descs, find_opts

from obscode.model.catalog import Collector, Metric

NAME = "kubelet"
REPOSITORY = "kubernetes/kubernetes"
ALSO = ["prometheus/client_golang"]
#: Files read, and the collector of the families each defines.
FILES = {"pkg/kubelet/metrics/metrics.go": "kubelet",
         "pkg/kubelet/metrics/collectors/volume_stats.go": "volume_stats"}
#: Filled by build.py from the REPO@COMMIT:PATH=FILE arguments: path -> (commit, local file).
SOURCES: dict[str, tuple[str, str]] = {}


def build(repos: dict[str, Git]) -> Built:
    texts = {path: Path(SOURCES[path][1]).read_text(encoding="utf-8") for path in FILES if path in SOURCES}
    scope = Scope()
    for text in texts.values():
        scope.add_file(text)
    metrics: dict[str, Metric] = {}
    skipped: list[str] = []
    typed_by_name: list[str] = []
    for path, text in texts.items():
        for found in find_opts(path, text, scope) + find_descs(path, text, scope):
            if found.name is None:
                skipped.append(f"{path}:{found.line} {' '.join(found.expr.split())}")
                continue
            metrics.setdefault(found.name, to_metric(found, FILES[path], typed_by_name))
    collectors = {c: Collector(default=True) for c in FILES.values()}
    collectors["volume_stats"] = Collector(default=True, condition="pods with PersistentVolumeClaim volumes")
    cg = repos[go_runtime.REPOSITORY]
    runtime, _, rt_files, cg_tags = go_runtime.build_all(cg)
    for name, metric in runtime.items():
        if metric.collector in ("go", "go-process"):
            metrics.setdefault(name, metric)
    collectors.update({k: v for k, v in go_runtime.COLLECTORS.items() if k in ("go", "go-process")})
    commits = sorted({SOURCES[p][0] for p in texts})
    return Built(
        name=NAME,
        description="the kubelet's own /metrics (kubelet_*); its /metrics/cadvisor families are the cadvisor "
                    "catalog; storage_operation_*, volume_manager_* and the certificate manager's are not read",
        repository=REPOSITORY, tag="single-files", commit=", ".join(commits),
        files=[f"{p} at {SOURCES[p][0]}" for p in texts], namespaces=["kubelet_"], partial=True,
        collectors=collectors, metrics=metrics, skipped=skipped, typed_by_name=typed_by_name,
        extra_sources=[f"{go_runtime.REPOSITORY} {cg_tags[-1]} (commit {cg.commit(cg_tags[-1])}) and older tags "
                       f"{', '.join(cg_tags[:-1])}; files: {', '.join(rt_files)}"],
    )
