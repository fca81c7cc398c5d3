"""Grafana dashboards (``grafana/dashboards/<uid>.json``): panels matched by identity, not
by their position in the JSON list, so reordering alone is no change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from obscode import paths
from obscode.diff.changes import Change, FieldChange
from obscode.diff.values import field_changes, show
from obscode.grafana.walk import panels as walk_panels

DASHBOARDS_DIR = paths.DASHBOARDS_DIR
_PANEL_SKIP = ("id", "gridPos", "targets", "panels", "title", "type", "datasource")
_DASHBOARD_SKIP = ("panels", "templating", "version", "id", "uid", "title")


def dashboards(tree: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Dashboard JSON by uid (the file name when the JSON has none)."""
    from obscode.emit.rendered import Rendered

    return Rendered.of("", tree).dashboards_by_uid()


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those inside rows (:func:`obscode.grafana.walk.panels`)."""
    return list(walk_panels(board))


def _fields(panel: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``panel`` compared as plain fields: a row's ``panels`` are panels of their
    own; any other panel's ``panels`` is a key like any other (Grafana ignores it)."""
    skip = _PANEL_SKIP if panel.get("type") == "row" else tuple(k for k in _PANEL_SKIP if k != "panels")
    return {k: v for k, v in panel.items() if k not in skip}


def title_of(panel: dict[str, Any]) -> str:
    return str(panel.get("title") or f"panel {panel.get('id')}")


def position(panel: dict[str, Any]) -> str:
    grid = panel.get("gridPos") or {}
    return f"x={grid.get('x', 0)} y={grid.get('y', 0)}"


def size(panel: dict[str, Any]) -> str:
    grid = panel.get("gridPos") or {}
    return f"{grid.get('w', 0)}×{grid.get('h', 0)}"


def match_panels(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> tuple[
        list[tuple[dict[str, Any], dict[str, Any]]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Pairs of the same panel before and after, then removed and added panels. A panel is
    the same when id and title agree, else when its title is unique on both sides and
    agrees, else when its id agrees (a rename)."""
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    left, right = list(old), list(new)

    def take(key: Any) -> None:
        def unique(items: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
            keys = [key(p) for p in items]
            return {k: p for k, p in zip(keys, items) if k is not None and keys.count(k) == 1}

        a, b = unique(left), unique(right)
        for k in sorted(set(a) & set(b), key=str):
            pairs.append((a[k], b[k]))
            left.remove(a[k])
            right.remove(b[k])

    take(lambda p: (p.get("id"), p.get("title")) if p.get("id") is not None else None)
    take(lambda p: p.get("title") or None)
    take(lambda p: p.get("id"))
    return pairs, left, right


def _targets(panel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(t.get("refId") or i): t for i, t in enumerate(panel.get("targets") or [])}


def panel_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """What changed in one panel: title, type, place, size, queries, datasource, options."""
    label = f'panel "{title_of(new)}"'
    fields = []
    if old.get("title") != new.get("title"):
        fields.append(FieldChange(f"{label} renamed", title_of(old), title_of(new)))
    if old.get("type") != new.get("type"):
        fields.append(FieldChange(f"{label} type", show(old.get("type")), show(new.get("type"))))
    if position(old) != position(new):
        fields.append(FieldChange(f"{label} moved", position(old), position(new)))
    if size(old) != size(new):
        fields.append(FieldChange(f"{label} resized", size(old), size(new)))
    a, b = _targets(old), _targets(new)
    for ref in sorted(set(a) | set(b)):
        if ref not in b:
            fields.append(FieldChange(f"{label} query {ref} removed", show(a[ref].get("expr")), None))
        elif ref not in a:
            fields.append(FieldChange(f"{label} query {ref} added", None, show(b[ref].get("expr"))))
        else:
            if a[ref].get("expr") != b[ref].get("expr"):
                fields.append(FieldChange(f"{label} query {ref}", show(a[ref].get("expr")), show(b[ref].get("expr"))))
            rest_a = {k: v for k, v in a[ref].items() if k not in ("expr", "refId")}
            rest_b = {k: v for k, v in b[ref].items() if k not in ("expr", "refId")}
            fields += _labelled(field_changes(rest_a, rest_b), f"{label} query {ref}")
    fields += field_changes(old.get("datasource"), new.get("datasource"), f"{label} datasource")
    fields += _labelled(field_changes(_fields(old), _fields(new)), label)
    return fields


def _labelled(fields: list[FieldChange], label: str) -> list[FieldChange]:
    return [replace(f, field=f"{label} {f.field}") for f in fields]


def _variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(v.get("name")): v for v in (board.get("templating") or {}).get("list") or []}


def dashboard_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    fields = []
    if old.get("title") != new.get("title"):
        fields.append(FieldChange("title", show(old.get("title")), show(new.get("title"))))
    pairs, removed, added = match_panels(panels(old), panels(new))
    for panel in removed:
        fields.append(FieldChange(f'panel "{title_of(panel)}" removed', _panel_summary(panel), None))
    for panel in added:
        fields.append(FieldChange(f'panel "{title_of(panel)}" added', None, _panel_summary(panel)))
    for a, b in sorted(pairs, key=lambda pair: title_of(pair[1])):
        fields += panel_changes(a, b)
    va, vb = _variables(old), _variables(new)
    for name in sorted(set(va) - set(vb)):
        fields.append(FieldChange(f"variable ${name} removed", show(va[name].get("query")), None))
    for name in sorted(set(vb) - set(va)):
        fields.append(FieldChange(f"variable ${name} added", None, show(vb[name].get("query"))))
    for name in sorted(set(va) & set(vb)):
        fields += _labelled(field_changes(va[name], vb[name]), f"variable ${name}")
    fields += field_changes({k: v for k, v in old.items() if k not in _DASHBOARD_SKIP},
                            {k: v for k, v in new.items() if k not in _DASHBOARD_SKIP})
    return fields


def _panel_summary(panel: dict[str, Any]) -> str:
    queries = [str(t.get("expr")) for t in panel.get("targets") or [] if t.get("expr")]
    text = f"{panel.get('type', 'panel')} at {position(panel)}, {size(panel)}"
    return text + (f": {'; '.join(queries)}" if queries else "")


def diff_dashboards(base: dict[str, bytes], head: dict[str, bytes]) -> list[Change]:
    old, new = dashboards(base), dashboards(head)
    changes = []
    for uid in sorted(set(old) - set(new)):
        changes.append(Change("dashboards", "removed", _name(old[uid], uid)))
    for uid in sorted(set(new) - set(old)):
        changes.append(Change("dashboards", "added", _name(new[uid], uid), tuple(
            FieldChange(f'panel "{title_of(p)}"', None, _panel_summary(p)) for p in panels(new[uid]))))
    for uid in sorted(set(old) & set(new)):
        fields = dashboard_changes(old[uid], new[uid])
        if fields:
            changes.append(Change("dashboards", "changed", _name(new[uid], uid), tuple(fields)))
    return changes


def changed_uids(base: dict[str, bytes], head: dict[str, bytes]) -> list[str]:
    """Dashboards that exist on both sides and differ (they get before/after pictures)."""
    old, new = dashboards(base), dashboards(head)
    return [uid for uid in sorted(set(old) & set(new)) if dashboard_changes(old[uid], new[uid])]


def _name(board: dict[str, Any], uid: str) -> str:
    return f"{board.get('title') or uid} ({uid})"
