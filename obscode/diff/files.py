"""Generated files no other diff module reads (provisioning, ELK...): compared by content,
parsed when they are YAML or JSON so formatting alone is no change."""

from __future__ import annotations

import json
from typing import Any

import yaml

from obscode import paths
from obscode.diff.changes import Change, FieldChange
from obscode.diff.dashboards import DASHBOARDS_DIR
from obscode.diff.values import field_changes

#: Files the kind-specific modules own.
COVERED = (paths.PROMETHEUS_CONFIG, paths.RULES_DIR, paths.ALERTMANAGER_CONFIG, DASHBOARDS_DIR)
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


def _covered(path: str) -> bool:
    return any(path == c or (c.endswith("/") and path.startswith(c)) for c in COVERED)


#: Alert tests (hand-written and synthesised) follow the rules they test: a reviewer needs to
#: know which changed, not every sample of their input series.
ALERT_TESTS_DIR = paths.ALERT_TESTS_DIR


def diff_files(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    changes = []
    for path in sorted((set(base) | set(head))):
        if _covered(path):
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
            fields = field_changes(old, new)
            if len(fields) > MAX_FIELDS:
                fields = fields[:MAX_FIELDS] + [FieldChange(f"and {len(fields) - MAX_FIELDS} more fields", None, None)]
            changes.append(Change("files", "changed", path, tuple(fields)))
    return changes
