"""The tool versions an imported configuration needs: when the input uses a feature newer than
a stack's default target (``query_offset`` needs Prometheus 2.53), the stack targets that
version, and the import says why."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from obscode.stack import Stack
from obscode.versions import FEATURES, at_least, feature_uses, parse_version

_FIELD = {"Prometheus": "prometheus_version", "Alertmanager": "alertmanager_version", "Grafana": "grafana_version"}


def needed(rule_files: list[Any] | None = None, prometheus: Any = None, alertmanager: Any = None) -> dict[str, tuple[str, str]]:
    """``{stack field: (version, what needs it)}`` for targets above the stack defaults."""
    subject = SimpleNamespace(rule_files=list(rule_files or []), prometheus=prometheus, alertmanager=alertmanager)
    out: dict[str, tuple[str, str]] = {}
    for use in feature_uses(subject):
        feature = FEATURES[use.feature]
        field = _FIELD[feature.tool]
        if at_least(Stack.model_fields[field].default, feature.since):
            continue
        if field not in out or parse_version(feature.since) > parse_version(out[field][0]):
            out[field] = (feature.since, f"{use.what or use.feature} ({use.obj})")
    return out
