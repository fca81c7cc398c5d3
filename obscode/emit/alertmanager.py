"""alertmanager/alertmanager.yml."""

from __future__ import annotations

from obscode.emit.yaml_out import dump, header_for
from obscode.stack import Stack


def emit(stack: Stack) -> dict[str, bytes]:
    if stack.alertmanager is None:
        return {}
    return {"alertmanager/alertmanager.yml": dump(stack.alertmanager.render(), header_for(stack.name))}
