"""Scrape configuration: ``prometheus/prometheus.yml`` (jobs by name, targets as sets) and the
prometheus-operator objects that stand for jobs on Kubernetes (ServiceMonitor, PodMonitor,
ScrapeConfig, Probe), each compared field by field as "<Kind> <name>"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from obscode.diff.changes import Change, FieldChange
from obscode.diff.values import field_changes, show
from obscode.emit.rendered import Rendered
from obscode.kubernetes.meta import object_name

#: The Kubernetes objects that are scrape jobs.
MONITOR_KINDS = ("ServiceMonitor", "PodMonitor", "ScrapeConfig", "Probe")
#: An added or removed monitor lists at most this many of its fields.
MAX_FIELDS = 20


def _targets(job: dict[str, Any]) -> list[str]:
    return sorted({str(t) for sc in job.get("static_configs") or [] for t in sc.get("targets") or []})


def _static_labels(job: dict[str, Any]) -> dict[str, Any]:
    """Labels per target, so a label moving between static_configs blocks is no change."""
    labels: dict[str, Any] = {}
    for sc in job.get("static_configs") or []:
        for target in sc.get("targets") or []:
            for key, value in (sc.get("labels") or {}).items():
                labels[f"{target}.{key}"] = value
    return labels


def _job_fields(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if k not in ("job_name", "static_configs")}


def diff_scrape(base: Rendered, head: Rendered) -> list[Change]:
    """Jobs added / removed / changed (targets, intervals, any other field), the global
    block, Alertmanager targets and rule_files (as a set: their order does not matter);
    then the monitor objects. A monitor that stands for a job of prometheus.yml (the
    kubernetes output names it after the job) is listed right after that job's change, each
    naming its form, so one edit of a job reads as one job changed in two forms."""
    jobs = _config_changes(base.prometheus_config() or {}, head.prometheus_config() or {})
    monitors = diff_monitors(base, head)
    if not monitors:
        return jobs
    stack = head.stack or base.stack
    by_object = {object_name(stack, c.name.removeprefix("job ")): i for i, c in enumerate(jobs)
                 if c.name.startswith("job ")}
    paired: dict[int, list[Change]] = {}
    unpaired: list[Change] = []
    for change in monitors:
        index = by_object.get(change.name.split(" ", 1)[-1])
        if index is None:
            unpaired.append(change)
        else:
            paired.setdefault(index, []).append(replace(change, outputs=("kubernetes",)))
    out: list[Change] = []
    for index, change in enumerate(jobs):
        out.append(replace(change, outputs=("prometheus",)) if index in paired else change)
        out.extend(paired.get(index, []))
    return out + unpaired


def _config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    top_old = {k: v for k, v in old.items() if k not in ("scrape_configs", "rule_files")}
    top_new = {k: v for k, v in new.items() if k not in ("scrape_configs", "rule_files")}
    fields = field_changes(top_old, top_new)
    old_files, new_files = sorted(old.get("rule_files") or []), sorted(new.get("rule_files") or [])
    if old_files != new_files:
        fields.append(FieldChange("rule_files", show(old_files), show(new_files)))
    if fields:
        changes.append(Change("scrape", "changed", "prometheus.yml", tuple(fields)))
    jobs_old = {j["job_name"]: j for j in old.get("scrape_configs") or []}
    jobs_new = {j["job_name"]: j for j in new.get("scrape_configs") or []}
    for name in sorted(set(jobs_old) - set(jobs_new)):
        changes.append(Change("scrape", "removed", f"job {name}", _job_summary(jobs_old[name], before=True)))
    for name in sorted(set(jobs_new) - set(jobs_old)):
        changes.append(Change("scrape", "added", f"job {name}", _job_summary(jobs_new[name], before=False)))
    for name in sorted(set(jobs_old) & set(jobs_new)):
        a, b = jobs_old[name], jobs_new[name]
        fields = []
        if _targets(a) != _targets(b):
            fields.append(FieldChange("targets", show(_targets(a)), show(_targets(b))))
        fields += field_changes(_static_labels(a), _static_labels(b), "target labels")
        fields += field_changes(_job_fields(a), _job_fields(b))
        if fields:
            changes.append(Change("scrape", "changed", f"job {name}", tuple(fields)))
    return changes


def _job_summary(job: dict[str, Any], before: bool) -> tuple[FieldChange, ...]:
    shown = {"targets": _targets(job)} if job.get("static_configs") else {}
    for key in ("scrape_interval", "metrics_path"):
        if key in job:
            shown[key] = job[key]
    sd = sorted(k for k in job if k.endswith("_sd_configs"))
    if sd:
        shown["discovery"] = sd
    return tuple(FieldChange(k, show(v) if before else None, None if before else show(v)) for k, v in shown.items())


def _monitors(rendered: Rendered) -> dict[str, dict[str, Any]]:
    """``{"<Kind> <name>": comparable body}``: the object without its identity, static
    targets as sets."""
    found = {}
    for kind in MONITOR_KINDS:
        for obj in rendered.kubernetes_of_kind(kind).values():
            metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "name"}
            spec = dict(obj.get("spec") or {})
            if spec.get("staticConfigs"):
                spec["staticConfigs"] = [{**sc, "targets": sorted(map(str, sc.get("targets") or []))}
                                         for sc in spec["staticConfigs"]]
            body = {"metadata": metadata, "spec": spec}
            if obj.get("apiVersion"):
                body["apiVersion"] = obj["apiVersion"]
            found[f"{kind} {(obj.get('metadata') or {}).get('name')}"] = body
    return found


def diff_monitors(base: Rendered, head: Rendered) -> list[Change]:
    """ServiceMonitors, PodMonitors, ScrapeConfigs and Probes by kind and name."""
    old, new = _monitors(base), _monitors(head)
    changes = [Change("scrape", "removed", name, _capped(field_changes(old[name]["spec"], {}, "spec")))
               for name in sorted(set(old) - set(new))]
    changes += [Change("scrape", "added", name, _capped(field_changes({}, new[name]["spec"], "spec")))
                for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = field_changes(old[name], new[name])
        if fields:
            changes.append(Change("scrape", "changed", name, tuple(fields)))
    return changes


def _capped(fields: list[FieldChange]) -> tuple[FieldChange, ...]:
    if len(fields) > MAX_FIELDS:
        fields = fields[:MAX_FIELDS] + [FieldChange(f"and {len(fields) - MAX_FIELDS} more fields", None, None)]
    return tuple(fields)
