"""Kubernetes objects (``kubernetes/<kind>-<name>.yaml``) as a reviewer reads them. What an
object carries is shown where it belongs: a PrometheusRule's ``spec.groups`` as alerts and
rule groups (obscode.diff.rules), an AlertmanagerConfig's route tree, receivers and inhibit
rules as routes and receivers (obscode.diff.alertmanager_forms), monitors as scrape changes
(obscode.diff.scrape), a dashboard in a ConfigMap or a GrafanaDashboard as that dashboard's
change. This module shows the dashboards, and every object's remaining fields (labels the
target Prometheus selects on, namespace, ...) as changes of "<Kind> <name>"."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from obscode import paths
from obscode.diff import alertmanager_forms
from obscode.diff.changes import Change, FieldChange
from obscode.diff.scrape import MAX_FIELDS, MONITOR_KINDS
from obscode.diff.values import field_changes
from obscode.emit.rendered import Rendered

#: Objects whose values a diff never prints (only which keys changed).
HIDDEN_KINDS = ("Secret",)


def _name(obj: dict[str, Any]) -> str:
    return f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')}"


def _json(text: Any) -> dict[str, Any] | None:
    try:
        board = json.loads(text)
    except (TypeError, ValueError):
        return None
    return board if isinstance(board, dict) else None


def carried_dashboards(obj: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{field: (uid, dashboard JSON)}`` of the dashboards an object carries: a ConfigMap's
    ``data`` entries ending in ``.json``, a GrafanaDashboard's ``spec.json`` or
    ``spec.gzipJson``. The uid is the dashboard's own, else the file or object name."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    if obj.get("kind") == "ConfigMap":
        for key, text in (obj.get("data") or {}).items():
            board = _json(text) if str(key).endswith(".json") else None
            if board is not None:
                found[f"data.{key}"] = (str(board.get("uid") or str(key).removesuffix(".json")), board)
    elif obj.get("kind") == "GrafanaDashboard":
        spec = obj.get("spec") or {}
        field, board = "spec.json", _json(spec.get("json")) if spec.get("json") else None
        if board is None and spec.get("gzipJson"):
            field = "spec.gzipJson"
            try:
                board = _json(gzip.decompress(base64.b64decode(spec["gzipJson"])))
            except (ValueError, OSError):
                board = None
        if board is not None:
            fallback = spec.get("uid") or (obj.get("metadata") or {}).get("name")
            found[field] = (str(board.get("uid") or fallback), board)
    return found


def dashboard_tree(rendered: Rendered) -> dict[str, bytes]:
    """The dashboards the Kubernetes objects carry, laid out as the grafana output lays
    them out (``grafana/dashboards/<uid>.json``), so they compare as dashboards do."""
    tree: dict[str, bytes] = {}
    for _path, obj in sorted(rendered.kubernetes_objects().items()):
        if isinstance(obj, dict):
            for uid, board in carried_dashboards(obj).values():
                tree[paths.dashboard(uid)] = json.dumps({**board, "uid": uid}, sort_keys=True).encode()
    return tree


def _remainder(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without its identity and without what other sections show."""
    body = {k: v for k, v in obj.items() if k != "kind"}
    body["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "name"}
    spec = dict(obj.get("spec") or {})
    kind = obj.get("kind")
    if kind == "PrometheusRule":
        spec.pop("groups", None)
    elif kind == alertmanager_forms.KIND:
        spec = {k: v for k, v in spec.items() if k not in alertmanager_forms.SPEC_FIELDS}
    elif kind == "GrafanaDashboard" and carried_dashboards(obj):
        spec = {k: v for k, v in spec.items() if k not in ("json", "gzipJson")}
    elif kind == "ConfigMap":
        carried = {key.removeprefix("data.") for key in carried_dashboards(obj)}
        body["data"] = {k: v for k, v in (obj.get("data") or {}).items() if k not in carried}
    if "spec" in obj:
        body["spec"] = spec
    return {k: v for k, v in body.items() if v not in ({}, None)}


def _objects(rendered: Rendered) -> dict[str, dict[str, Any]]:
    return {_name(obj): obj for obj in rendered.kubernetes_objects().values()
            if isinstance(obj, dict) and obj.get("kind") and obj["kind"] not in MONITOR_KINDS}


def _hide(fields: list[FieldChange], kind: str) -> list[FieldChange]:
    if kind not in HIDDEN_KINDS:
        return fields
    return [FieldChange(f.field, None if f.before is None else "(hidden)", None if f.after is None else "(hidden)")
            for f in fields]


def _capped(fields: list[FieldChange]) -> tuple[FieldChange, ...]:
    if len(fields) > MAX_FIELDS:
        fields = fields[:MAX_FIELDS] + [FieldChange(f"and {len(fields) - MAX_FIELDS} more fields", None, None)]
    return tuple(fields)


def diff_objects(base: Rendered, head: Rendered) -> list[Change]:
    """Objects added and removed, and the fields of each that no other section shows."""
    old, new = _objects(base), _objects(head)
    changes = [Change("kubernetes", "removed", name) for name in sorted(set(old) - set(new))]
    for name in sorted(set(new) - set(old)):
        kind = str(new[name].get("kind"))
        fields = [f for f in field_changes({}, _remainder(new[name])) if f.field != "apiVersion"]
        changes.append(Change("kubernetes", "added", name, _capped(_hide(fields, kind))))
    for name in sorted(set(old) & set(new)):
        kind = str(new[name].get("kind"))
        fields = field_changes(_remainder(old[name]), _remainder(new[name]))
        if fields:
            changes.append(Change("kubernetes", "changed", name, _capped(_hide(fields, kind))))
    return changes
