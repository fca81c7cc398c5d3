"""Generated files no other diff module reads (provisioning, ELK...): compared by content,
parsed when they are YAML or JSON so formatting alone is no change; and what a Thanos or
Mimir rule file holds beside its groups (Mimir's ``namespace``)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from obscode import paths
from obscode.diff.changes import Change, FieldChange
from obscode.diff.values import field_changes
from obscode.emit.rendered import Rendered

MAX_FIELDS = 20


def _parsed(path: str, data: bytes) -> Any:
    try:
        if path.endswith((".yml", ".yaml")):
            return yaml.safe_load(data)
        if path.endswith(".json"):
            return json.loads(data)
    except (yaml.YAMLError, ValueError):
        pass
    return data


def covered(output: Rendered) -> set[str]:
    """The files the kind-specific modules read, through the rendered stack's accessors."""
    found = {paths.PROMETHEUS_CONFIG, paths.ALERTMANAGER_CONFIG, *output.rule_file_paths(),
             *output.dashboard_paths(), *output.thanos_rule_files(), *output.mimir_rule_files()}
    found.update(path for path, obj in output.kubernetes_objects().items() if isinstance(obj, dict) and obj.get("kind"))
    return found


#: Alert tests (hand-written and synthesised) follow the rules they test: a reviewer needs to
#: know which changed, not every sample of their input series.
ALERT_TESTS_DIR = paths.ALERT_TESTS_DIR


def diff_files(base_output: Rendered, head_output: Rendered) -> list[Change]:
    base, head = base_output.files, head_output.files
    changes = _rule_file_settings(base_output, head_output)
    skip = covered(base_output) | covered(head_output)
    for path in sorted((set(base) | set(head))):
        if path in skip:
            continue
        if path.startswith(ALERT_TESTS_DIR):
            name = path[len(ALERT_TESTS_DIR):].removesuffix(".yml")
            if path not in head:
                changes.append(Change("alert tests", "removed", name))
            elif path not in base:
                changes.append(Change("alert tests", "added", name))
            elif _parsed(path, base[path]) != _parsed(path, head[path]):
                changes.append(Change("alert tests", "changed", name))
            continue
        if path not in head:
            changes.append(Change("files", "removed", path))
        elif path not in base:
            changes.append(Change("files", "added", path))
        else:
            old, new = _parsed(path, base[path]), _parsed(path, head[path])
            if old == new:
                continue
            if isinstance(old, bytes) or isinstance(new, bytes):
                changes.append(Change("files", "changed", path))
                continue
            changes.append(Change("files", "changed", path, _capped(field_changes(old, new))))
    return changes


def _capped(fields: list[FieldChange]) -> tuple[FieldChange, ...]:
    if len(fields) > MAX_FIELDS:
        fields = fields[:MAX_FIELDS] + [FieldChange(f"and {len(fields) - MAX_FIELDS} more fields", None, None)]
    return tuple(fields)


def _rule_file_settings(base: Rendered, head: Rendered) -> list[Change]:
    """Thanos and Mimir rule files that both sides have, by what they hold beside ``groups``
    (their groups and rules are the rules module's; a file added or removed shows there)."""
    changes = []
    for accessor in (Rendered.thanos_rule_files, Rendered.mimir_rule_files):
        old, new = accessor(base), accessor(head)
        for path in sorted(set(old) & set(new)):
            fields = field_changes({k: v for k, v in old[path].items() if k != "groups"},
                                   {k: v for k, v in new[path].items() if k != "groups"})
            if fields:
                changes.append(Change("files", "changed", path, _capped(fields)))
    return changes
