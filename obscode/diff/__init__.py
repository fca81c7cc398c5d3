"""Semantic diff of generated output: what a change to a stack means, for a PR review.

``diff_stack(name, base, head)`` compares two generated trees of one stack (relative path →
bytes, e.g. from :func:`obscode.diff.git.tree_at` and :func:`obscode.output.read_tree`) and
returns a :class:`StackDiff`; render it with :mod:`obscode.diff.markdown` or ``as_dict()``.
Each module reads the trees through :class:`obscode.emit.rendered.Rendered`, so a rule,
route or dashboard reads the same whatever output form (Prometheus, Kubernetes, Thanos,
Mimir) carries it.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from obscode import paths
from obscode.diff.changes import SECTIONS, Change, FieldChange, StackDiff, merge_outputs
from obscode.diff.dashboards import diff_dashboards
from obscode.diff.files import diff_files
from obscode.diff.kubernetes import dashboard_tree, diff_objects
from obscode.diff.receivers import diff_alertmanager_settings, diff_inhibit_rules, diff_receivers
from obscode.diff.routes import diff_routes
from obscode.diff.rules import alert_labels, diff_alerts, diff_groups, diff_recording_rules
from obscode.diff.scrape import diff_scrape
from obscode.emit.rendered import Rendered
from obscode.errors import UsageError

#: The YAML files the diff parses (the others are compared as files, parsed when they can be).
_YAML = (paths.PROMETHEUS_CONFIG, paths.RULES_DIR, paths.ALERTMANAGER_CONFIG, paths.KUBERNETES_DIR,
         paths.THANOS_RULES_DIR, paths.MIMIR_RULES_DIR)


def diff_stack(name: str, base: dict[str, bytes], head: dict[str, bytes]) -> StackDiff:
    """Every change between ``base`` and ``head``, grouped in :data:`SECTIONS` order."""
    old, new = _rendered(name, base, "at the base revision"), _rendered(name, head, "in the working tree")
    alerts = {**alert_labels(old), **alert_labels(new)}
    changes = [
        *diff_alerts(old, new), *diff_recording_rules(old, new), *diff_groups(old, new),
        *diff_scrape(old, new), *diff_routes(old, new, alerts), *diff_receivers(old, new),
        *diff_inhibit_rules(old, new), *diff_alertmanager_settings(old, new),
        *_dashboards(old, new), *diff_objects(old, new), *diff_files(old, new),
    ]
    changes.sort(key=lambda c: SECTIONS.index(c.section))
    return StackDiff(stack=name, changes=changes)


def _rendered(name: str, tree: dict[str, bytes], side: str) -> Rendered:
    """``tree`` as a rendered stack, every file the diff reads parsed (and cached) first, so a
    file that does not parse is named instead of failing half-way."""
    output = Rendered.of(name, tree)
    for path in output.files:
        try:
            if path.startswith(_YAML) and path.endswith((".yml", ".yaml")):
                output.yaml(path)
            elif path.startswith(paths.DASHBOARDS_DIR) and path.endswith(".json"):
                output.json(path)
        except (yaml.YAMLError, ValueError) as exc:
            problem = _problem(exc)
            raise UsageError(f"stack {name!r}: {path} {side} does not parse ({problem}); "
                             f"generated files are written by `obscode generate {name}`, not by hand") from None
    return output


def _problem(exc: Exception) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        what = ", ".join(part for part in (exc.context, exc.problem) if part)
        return f"line {exc.problem_mark.line + 1}: {what}"
    return " ".join(str(exc).split())


def _dashboards(old: Rendered, new: Rendered) -> list[Change]:
    """Dashboards of the grafana output and those the Kubernetes objects carry, one change
    where both forms show it alike."""
    forms: dict[str, list[Change]] = {}
    if old.dashboard_paths() or new.dashboard_paths():
        forms["grafana"] = diff_dashboards(old.files, new.files)
    carried_old, carried_new = dashboard_tree(old), dashboard_tree(new)
    if carried_old or carried_new:
        forms["kubernetes"] = diff_dashboards(carried_old, carried_new)
    boards = {_uid(board): board for board in new.dashboards().values()}
    carried = {_uid(json.loads(board)): json.loads(board) for board in carried_new.values()}

    def same_as_base(change: Change, _output: str) -> bool:
        uid = change.name.rsplit(" (", 1)[-1].removesuffix(")")
        return uid in boards and carried.get(uid) == boards[uid]

    return merge_outputs(forms, "grafana", same_as_base)


def _uid(board: dict[str, Any]) -> str:
    return str(board.get("uid"))


__all__ = ["Change", "FieldChange", "StackDiff", "diff_stack"]
