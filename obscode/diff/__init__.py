"""Semantic diff of generated output: what a change to a stack means, for a PR review.

``diff_stack(name, base, head)`` compares two generated trees of one stack (relative path →
bytes, e.g. from :func:`obscode.diff.git.tree_at` and :func:`obscode.output.read_tree`) and
returns a :class:`StackDiff`; render it with :mod:`obscode.diff.markdown` or ``as_dict()``.
"""

from __future__ import annotations

from obscode.diff.changes import SECTIONS, Change, FieldChange, StackDiff
from obscode.diff.dashboards import diff_dashboards
from obscode.diff.files import diff_files
from obscode.diff.receivers import diff_alertmanager_settings, diff_inhibit_rules, diff_receivers
from obscode.diff.routes import diff_routes
from obscode.diff.rules import alert_labels, diff_alerts, diff_groups, diff_recording_rules
from obscode.diff.scrape import diff_scrape


def diff_stack(name: str, base: dict[str, bytes], head: dict[str, bytes]) -> StackDiff:
    """Every change between ``base`` and ``head``, grouped in :data:`SECTIONS` order."""
    alerts = {**alert_labels(base), **alert_labels(head)}
    changes = [
        *diff_alerts(base, head), *diff_recording_rules(base, head), *diff_groups(base, head),
        *diff_scrape(base, head), *diff_routes(base, head, alerts), *diff_receivers(base, head),
        *diff_inhibit_rules(base, head), *diff_alertmanager_settings(base, head),
        *diff_dashboards(base, head), *diff_files(base, head),
    ]
    changes.sort(key=lambda c: SECTIONS.index(c.section))
    return StackDiff(stack=name, changes=changes)


__all__ = ["Change", "FieldChange", "StackDiff", "diff_stack"]
