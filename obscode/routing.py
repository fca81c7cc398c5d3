"""Alertmanager's routing, evaluated offline: which receivers a set of labels reaches."""

from __future__ import annotations

from obscode.alert_labels import AlertShape, deliveries
from obscode.model.alertmanager import Route


def receivers_for(route: Route, labels: dict[str, str]) -> list[str]:
    """Receivers an alert with exactly ``labels`` is delivered to, in tree order, as
    Alertmanager does: the first matching child takes the alert unless it has ``continue``;
    a node none of whose children match delivers to its own (possibly inherited) receiver.
    The walk is :func:`obscode.alert_labels.deliveries` on labels whose values are all known."""
    known = AlertShape(alert=labels.get("alertname", ""), file="", rule=None, values=dict(labels))
    return [delivery.receiver for delivery in deliveries(route, known)]
