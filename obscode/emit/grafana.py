"""grafana/dashboards/<uid>.json and grafana/provisioning/{datasources,dashboards}/*.yml."""

from __future__ import annotations

#: The name of this output in ``Stack.outputs``.
FORMAT = "grafana"

import json
from typing import Any

from obscode import paths
from obscode.emit import fields
from obscode.emit.yaml_out import dump, header_for
from obscode.grafana import origins
from obscode.grafana.recording import keep_frames_on_evolve, restore_evolve
from obscode.grafana.normalise import DatasourceIndex, normalise
from obscode.grafana.source import dashboard_json
from obscode.model.dashboards import UID_MAX_LENGTH, UID_PATTERN
from obscode.stack import Stack

DASHBOARDS_DIR = "grafana/dashboards"
DATASOURCES_FILE = paths.DATASOURCES
PROVIDERS_FILE = paths.DASHBOARD_PROVIDERS


def dashboard_bytes(dashboard: dict[str, Any]) -> bytes:
    """Sorted keys, two-space indent, UTF-8, final newline: byte-identical on every run."""
    return (json.dumps(dashboard, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _file_name(dashboard: dict[str, Any], position: int, taken: set[str]) -> str:
    """``<uid>.json``. A missing, invalid or repeated uid still gets a file of its own
    (``_dashboard-<n>.json``, ``<uid>~<n>.json``) so ``dashboard/uid`` can report it."""
    uid = dashboard.get("uid")
    if not isinstance(uid, str) or not UID_PATTERN.match(uid) or len(uid) > UID_MAX_LENGTH:
        stem = f"_dashboard-{position}"
    else:
        stem, copy = uid, 1
        while stem in taken:
            copy += 1
            stem = f"{uid}~{copy}"
    taken.add(stem)
    return f"{stem}.json"


def normalised_dashboards(stack: Stack) -> list[dict[str, Any]]:
    """Every dashboard of ``stack`` as normalised JSON, in the order the stack lists them."""
    return [dashboard for dashboard, _built in _rendered(stack)]


def _rendered(stack: Stack) -> list[tuple[dict[str, Any], list[origins.Built]]]:
    """Each dashboard's normalised JSON, with the objects in it whose building was recorded."""
    index = DatasourceIndex(tuple(stack.datasources()))
    out = []
    saved = keep_frames_on_evolve()  # grafanalib evolves panels while writing JSON
    try:
        for position, obj in enumerate(stack.dashboards, start=1):
            marks = origins.mark()
            try:
                raw = dashboard_json(obj, marks)
            except TypeError as exc:
                raise ValueError(f"dashboards[{position - 1}]: {exc}") from None
            dashboard = normalise(raw, index)
            out.append((dashboard, origins.harvest(dashboard, marks)))
    finally:
        restore_evolve(saved)
    return out


def _providers(stack: Stack) -> dict[str, Any]:
    return {"apiVersion": 1, "providers": [{
        "name": stack.name, "orgId": 1, "type": "file", "disableDeletion": True,
        "allowUiUpdates": False, "updateIntervalSeconds": stack.grafana.update_interval_seconds,
        "options": {"path": stack.grafana.dashboards_path, "foldersFromFilesStructure": True},
    }]}


def emit(stack: Stack) -> dict[str, bytes]:
    header = header_for(stack.name)
    files = {
        DATASOURCES_FILE: dump({"apiVersion": 1, "datasources": [fields.data(d, "Grafana") for d in stack.datasources()]}, header),
        PROVIDERS_FILE: dump(_providers(stack), header),
    }
    taken: set[str] = set()
    rendered = _rendered(stack)
    recorded = {}
    for position, ((dashboard, _built), lines) in enumerate(
            zip(rendered, origins.lines([b for _d, b in rendered], stack.source), strict=True), start=1):
        path = f"{DASHBOARDS_DIR}/{_file_name(dashboard, position, taken)}"
        files[path] = dashboard_bytes(dashboard)
        recorded[path] = origins.FileOrigins(files[path], lines)
    origins.record(stack, recorded)
    return files
