"""Alertmanager's routing, evaluated offline: which receivers a set of labels reaches."""

from __future__ import annotations

from obscode.model.alertmanager import Route


def receivers_for(route: Route, labels: dict[str, str]) -> list[str]:
    """Receivers an alert with ``labels`` is delivered to, in tree order, as Alertmanager does:
    the first matching child takes the alert unless it has ``continue``; a node none of
    whose children match delivers to its own (possibly inherited) receiver."""
    return _walk(route, labels, route.receiver or "")


def _walk(node: Route, labels: dict[str, str], inherited: str) -> list[str]:
    receiver = node.receiver or inherited
    found: list[str] = []
    for child in node.routes:
        if all(m.matches(labels) for m in child.matchers):
            found.extend(_walk(child, labels, receiver))
            if not child.continue_:
                break
    return found or [receiver]
