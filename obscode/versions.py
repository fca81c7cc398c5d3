"""Target tool versions: what the Prometheus, Alertmanager and Grafana a stack targets accept.

A feature the targeted version lacks is a definition error when the stack is built, never a
tool failure later."""

from __future__ import annotations

from typing import Any

#: Defaults: the versions of Debian 12's packages, which the test suite runs.
DEFAULT_PROMETHEUS_VERSION = "2.42"
DEFAULT_ALERTMANAGER_VERSION = "0.25"
DEFAULT_GRAFANA_VERSION = "11.6"


def check_stack_versions(stack: Any) -> None:
    """Raise a FieldError for the first feature of ``stack`` its target versions lack."""
