"""AlertmanagerConfig (monitoring.coreos.com/v1alpha1) from the route tree, receivers and
inhibit rules; secrets as Secret key references."""

from __future__ import annotations

from typing import Any

from obscode.stack import Stack


def objects(stack: Stack) -> list[dict[str, Any]]:
    return []
