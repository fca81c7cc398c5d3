"""Scrape configuration (``prometheus/prometheus.yml``): jobs by name, targets as sets."""

from __future__ import annotations

from typing import Any

import yaml

from obscode import paths
from obscode.diff.changes import Change, FieldChange
from obscode.diff.values import field_changes, show

PROMETHEUS_YML = paths.PROMETHEUS_CONFIG


def _config(tree: dict[str, bytes]) -> dict[str, Any]:
    return yaml.safe_load(tree.get(PROMETHEUS_YML, b"")) or {}


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


def diff_scrape(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    """Jobs added / removed / changed (targets, intervals, any other field), the global
    block, Alertmanager targets and rule_files (as a set: their order does not matter)."""
    old, new = _config(base), _config(head)
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
