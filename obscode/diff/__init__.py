"""Semantic diff of generated output: what a change to a stack means, for a PR review.

``diff_stack(name, base, head)`` compares two generated trees of one stack (relative path →
bytes, e.g. from :func:`obscode.diff.git.tree_at` and :func:`obscode.output.read_tree`) and
returns a :class:`StackDiff`; render it with :mod:`obscode.diff.markdown` or ``as_dict()``.
Each module reads the trees through :class:`obscode.emit.rendered.Rendered`, so a rule,
route or dashboard reads the same whatever output form (Prometheus, Kubernetes, Thanos,
Mimir) carries it.
"""

from __future__ import annotations

from obscode.diff.changes import SECTIONS, Change, FieldChange, StackDiff, merge_outputs
from obscode.diff.dashboards import diff_dashboards
from obscode.diff.files import diff_files
from obscode.diff.kubernetes import dashboard_tree, diff_objects
from obscode.diff.receivers import diff_alertmanager_settings, diff_inhibit_rules, diff_receivers
from obscode.diff.routes import diff_routes
from obscode.diff.rules import alert_labels, diff_alerts, diff_groups, diff_recording_rules
from obscode.diff.scrape import diff_scrape
from obscode.emit.rendered import Rendered


def diff_stack(name: str, base: dict[str, bytes], head: dict[str, bytes]) -> StackDiff:
    """Every change between ``base`` and ``head``, grouped in :data:`SECTIONS` order."""
    old, new = Rendered.of(name, base), Rendered.of(name, head)
    alerts = {**alert_labels(old), **alert_labels(new)}
    changes = [
        *diff_alerts(old, new), *diff_recording_rules(old, new), *diff_groups(old, new),
        *diff_scrape(old, new), *diff_routes(old, new, alerts), *diff_receivers(old, new),
        *diff_inhibit_rules(old, new), *diff_alertmanager_settings(old, new),
        *_dashboards(old, new), *diff_objects(old, new), *diff_files(old, new),
    ]
    changes.sort(key=lambda c: SECTIONS.index(c.section))
    return StackDiff(stack=name, changes=changes)


def _dashboards(old: Rendered, new: Rendered) -> list[Change]:
    """Dashboards of the grafana output and those the Kubernetes objects carry, one change
    where both forms show it alike."""
    forms: dict[str, list[Change]] = {}
    if old.dashboard_paths() or new.dashboard_paths():
        forms["grafana"] = diff_dashboards(old.files, new.files)
    carried_old, carried_new = dashboard_tree(old), dashboard_tree(new)
    if carried_old or carried_new:
        forms["kubernetes"] = diff_dashboards(carried_old, carried_new)
    return merge_outputs(forms, "grafana")


__all__ = ["Change", "FieldChange", "StackDiff", "diff_stack"]
