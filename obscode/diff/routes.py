"""The Alertmanager route tree, compared by what it does: which receivers each kind of
alert reaches. Restructuring the tree without changing who gets paged is no change. Each
form of the configuration (alertmanager.yml, the AlertmanagerConfig) is compared on its own,
and a change both show alike is shown once."""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterable

from obscode.diff import alertmanager_forms
from obscode.diff.changes import Change, FieldChange, merge_outputs
from obscode.diff.values import field_changes
from obscode.emit.rendered import Rendered
from obscode.model.alertmanager import Route
from obscode.routing import receivers_for

#: Beyond this many label combinations only the label sets real alerts carry are tried.
MAX_COMBINATIONS = 20_000
#: A value no matcher names: stands for "any other value".
OTHER = "\x00other"
_WILDCARD = None
_ROUTE_SETTINGS = ("group_by", "group_wait", "group_interval", "repeat_interval",
                   "mute_time_intervals", "active_time_intervals")
_LITERAL_ALTERNATIVES = re.compile(r"^[\w.\-]+(\|[\w.\-]+)*$")


def route_tree(config: dict[str, Any]) -> Route | None:
    """The route tree of a parsed alertmanager.yml (the typed model validates its matchers)."""
    return Route.model_validate(config["route"]) if config.get("route") else None


def diff_routes(base: Rendered, head: Rendered, alerts: dict[str, dict[str, str]] | None = None) -> list[Change]:
    """Reachability changes ("severity=critical, category=model now reaches: pager,
    data-science-team") and changed route settings (grouping, timing) by route path.
    ``alerts`` (alert name → static labels) adds which alerts each row affects."""
    return merge_outputs({output: _tree_changes(old, new, alerts)
                          for output, (old, new, _) in alertmanager_forms.forms(base, head).items()},
                         alertmanager_forms.BASE_FORM)


def _tree_changes(old_config: dict[str, Any], new_config: dict[str, Any],
                  alerts: dict[str, dict[str, str]] | None) -> list[Change]:
    old, new = route_tree(old_config), route_tree(new_config)
    if old is None and new is None:
        return []
    if old is None or new is None:
        return [Change("routes", "added" if old is None else "removed", "route tree")]
    changes: list[Change] = []
    rows = reachability_changes(old, new, alerts or {})
    if rows:
        changes.append(Change("routes", "changed", "reachability", tuple(rows)))
    changes += _setting_changes(old, new)
    return changes


def reachability_changes(old: Route, new: Route, alerts: dict[str, dict[str, str]]) -> list[FieldChange]:
    """One row per kind of alert whose receivers differ, described by the fewest labels."""
    names, candidates = _label_space([old, new], alerts.values())
    combos: Iterable[tuple[str, ...]]
    total = 1
    for values in candidates:
        total *= len(values)
    if total <= MAX_COMBINATIONS:
        combos = itertools.product(*candidates)
    else:
        combos = sorted({tuple(labels.get(n, "") for n in names) for labels in alerts.values()})
    outcomes: dict[tuple[tuple[str, ...], tuple[str, ...]], set[tuple[str | None, ...]]] = {}
    for combo in combos:
        labels = {n: v for n, v in zip(names, combo) if v}
        before = tuple(sorted(set(receivers_for(old, labels))))
        after = tuple(sorted(set(receivers_for(new, labels))))
        if before != after:
            outcomes.setdefault((before, after), set()).add(combo)
    rows = []
    for (before, after), combos_ in outcomes.items():
        for pattern in _collapse(combos_, candidates if total <= MAX_COMBINATIONS else None):
            affected = sorted(name for name, labels in alerts.items() if _fits(pattern, names, candidates, labels))
            rows.append(FieldChange(
                field=_describe(pattern, names), before=", ".join(before), after=", ".join(after),
                note=("alerts: " + ", ".join(affected)) if affected else "no current alert carries these labels",
            ))
    return sorted(rows, key=lambda r: (r.field, r.before or "", r.after or ""))


def _label_space(trees: list[Route], alerts: Iterable[dict[str, str]]) -> tuple[list[str], list[list[str]]]:
    """Label names the trees route on, and for each the values worth trying: those the
    matchers and alerts name, absent (""), and "any other value" where a regex or a
    negative matcher could treat it differently."""
    values: dict[str, set[str]] = {}
    open_ended: set[str] = set()
    for tree in trees:
        for _, route in tree.walk():
            for matcher in route.matchers:
                found = values.setdefault(matcher.name, set())
                if matcher.op in ("=", "!="):
                    found.add(matcher.value)
                if matcher.op != "=":
                    open_ended.add(matcher.name)
                if matcher.op in ("=~", "!~") and _LITERAL_ALTERNATIVES.match(matcher.value):
                    found.update(matcher.value.split("|"))
    alerts = list(alerts)
    for labels in alerts:
        for name, value in labels.items():
            if name in values:
                values[name].add(value)
    names = sorted(values)
    candidates = []
    for name in names:
        options = sorted(values[name] - {""}) + [""]
        if name in open_ended:
            options.append(OTHER)
        candidates.append(options)
    return names, candidates


def _collapse(combos: set[tuple[str, ...]], candidates: list[list[str]] | None) -> list[tuple[str | None, ...]]:
    """Replace a label by a wildcard wherever every one of its values leads to the same outcome."""
    patterns: set[tuple[str | None, ...]] = set(combos)
    if candidates is None:
        return sorted(patterns, key=_sort_key)
    for index, options in enumerate(candidates):
        merged: set[tuple[str | None, ...]] = set()
        for pattern in patterns:
            variants = {pattern[:index] + (v,) + pattern[index + 1:] for v in options}
            if pattern[index] is not _WILDCARD and variants <= patterns:
                merged.add(pattern[:index] + (_WILDCARD,) + pattern[index + 1:])
            else:
                merged.add(pattern)
        patterns = {p for p in merged if not any(
            q != p and all(a is _WILDCARD or a == b for a, b in zip(q, p)) for q in merged)}
    return sorted(patterns, key=_sort_key)


def _sort_key(pattern: tuple[str | None, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else v for v in pattern)


def _describe(pattern: tuple[str | None, ...], names: list[str]) -> str:
    parts = []
    for name, value in zip(names, pattern):
        if value is _WILDCARD:
            continue
        if value == "":
            parts.append(f"no {name}")
        elif value == OTHER:
            parts.append(f"{name}=<any other value>")
        else:
            parts.append(f"{name}={value}")
    return ", ".join(parts) or "every alert"


def _fits(pattern: tuple[str | None, ...], names: list[str], candidates: list[list[str]],
          labels: dict[str, str]) -> bool:
    for name, value, options in zip(names, pattern, candidates):
        actual = labels.get(name, "")
        if value is _WILDCARD:
            continue
        if value == OTHER:
            if actual in options:
                return False
        elif actual != value:
            return False
    return True


def _path_of(chain: list[Route]) -> str:
    return "route" + "".join(" > " + r.describe_path() for r in chain[1:])


def _settings(tree: Route) -> dict[str, dict[str, Any]]:
    """Grouping and timing settings of every route, by the matcher path that leads to it."""
    found: dict[str, dict[str, Any]] = {}

    def visit(node: Route, chain: list[Route]) -> None:
        path = _path_of(chain)
        while path in found:
            path += "'"
        found[path] = {k: getattr(node, k) for k in _ROUTE_SETTINGS if getattr(node, k)}
        for child in node.routes:
            visit(child, chain + [child])

    visit(tree, [tree])
    return found


def _setting_changes(old: Route, new: Route) -> list[Change]:
    a, b = _settings(old), _settings(new)
    changes = []
    for path in sorted(set(a) & set(b)):
        fields = field_changes(a[path], b[path])
        if fields:
            changes.append(Change("routes", "changed", path, tuple(fields)))
    return changes

