"""Alerting and recording rules (``prometheus/rules/*.yml``), compared by name, never by position."""

from __future__ import annotations

from typing import Any

import yaml

from obscode import paths
from obscode.diff.changes import Change, FieldChange
from obscode.diff.threshold import threshold_change
from obscode.diff.values import field_changes, show

RULES_DIR = paths.RULES_DIR
_ALERT_FIELDS = ("expr", "for", "keep_firing_for")


def rule_files(tree: dict[str, bytes]) -> dict[str, Any]:
    """Parsed rule files of a generated stack tree, by path."""
    return {path: yaml.safe_load(data) or {} for path, data in tree.items()
            if path.startswith(RULES_DIR) and path.endswith((".yml", ".yaml"))}


def _rules(tree: dict[str, bytes], kind: str) -> dict[str, dict[str, Any]]:
    """Rules of ``kind`` ("alert" or "record") keyed by a stable name; each remembers its group."""
    found: dict[str, dict[str, Any]] = {}
    for path, content in sorted(rule_files(tree).items()):
        for group in content.get("groups") or []:
            for rule in group.get("rules") or []:
                if kind not in rule:
                    continue
                key = str(rule[kind])
                if kind == "record" and rule.get("labels"):
                    key += "{" + ", ".join(f"{k}={v}" for k, v in sorted(rule["labels"].items())) + "}"
                if key in found:
                    key = f"{group.get('name')}/{key}"
                found[key] = {**rule, "group": group.get("name")}
    return found


def alert_labels(tree: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """Static labels of every alert, by alert name (used to say which alerts a routing change affects)."""
    return {name: {k: str(v) for k, v in (rule.get("labels") or {}).items()}
            for name, rule in _rules(tree, "alert").items()}


def diff_alerts(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    old, new = _rules(base, "alert"), _rules(head, "alert")
    changes = [Change("alerts", "removed", name, (FieldChange("expr", show(old[name]["expr"]), None),))
               for name in sorted(set(old) - set(new))]
    changes += [Change("alerts", "added", name, _summary(new[name])) for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = _rule_fields(old[name], new[name])
        if fields:
            changes.append(Change("alerts", "changed", name, tuple(fields)))
    return changes


def diff_recording_rules(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    old, new = _rules(base, "record"), _rules(head, "record")
    changes = [Change("recording rules", "removed", name, (FieldChange("expr", show(old[name]["expr"]), None),))
               for name in sorted(set(old) - set(new))]
    changes += [Change("recording rules", "added", name, (FieldChange("expr", None, show(new[name]["expr"])),))
                for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = _rule_fields(old[name], new[name])
        if fields:
            changes.append(Change("recording rules", "changed", name, tuple(fields)))
    return changes


def diff_groups(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    """Group settings (interval, limit...) and rule files added or removed; not rule order."""
    def groups(tree: dict[str, bytes]) -> dict[str, dict[str, Any]]:
        return {str(g.get("name")): {k: v for k, v in g.items() if k not in ("name", "rules")}
                for content in rule_files(tree).values() for g in content.get("groups") or []}

    old, new = groups(base), groups(head)
    changes = [Change("rule groups", "removed", n) for n in sorted(set(old) - set(new))]
    changes += [Change("rule groups", "added", n, tuple(field_changes({}, new[n]))) for n in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        fields = field_changes(old[name], new[name])
        if fields:
            changes.append(Change("rule groups", "changed", name, tuple(fields)))
    return changes


def _summary(rule: dict[str, Any]) -> tuple[FieldChange, ...]:
    fields = [FieldChange(f, None, show(rule[f])) for f in _ALERT_FIELDS if f in rule]
    fields += [FieldChange(f"labels.{k}", None, show(v)) for k, v in sorted((rule.get("labels") or {}).items())]
    return tuple(fields)


def _rule_fields(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    fields: list[FieldChange] = []
    if old.get("group") != new.get("group"):
        fields.append(FieldChange("group", show(old.get("group")), show(new.get("group"))))
    if old.get("expr") != new.get("expr"):
        moved = threshold_change(str(old.get("expr")), str(new.get("expr")))
        if moved:
            before, after = moved
            fields.append(FieldChange("threshold", before.condition(), after.condition(), subject=after.subject))
        else:
            fields.append(FieldChange("expr", show(old.get("expr")), show(new.get("expr"))))
    for name in _ALERT_FIELDS[1:]:
        if old.get(name) != new.get(name):
            fields.append(FieldChange(name, _opt(old.get(name)), _opt(new.get(name))))
    for block in ("labels", "annotations"):
        fields += field_changes(old.get(block) or {}, new.get(block) or {}, block)
    return fields


def _opt(value: Any) -> str | None:
    return None if value is None else show(value)
