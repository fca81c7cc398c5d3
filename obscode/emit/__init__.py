"""Emitters: each turns a Stack into ``{relative path: bytes}`` under ``generated/<stack>/``."""

from __future__ import annotations

from collections.abc import Callable

from obscode.emit import alertmanager, elk, grafana, prometheus
from obscode.errors import DefinitionError
from obscode.stack import Stack

Emitter = Callable[[Stack], dict[str, bytes]]

EMITTERS: list[Emitter] = [prometheus.emit, alertmanager.emit, grafana.emit, elk.emit]


def render(stack: Stack) -> dict[str, bytes]:
    """Every output file of ``stack``, sorted by path. Nothing is written."""
    files: dict[str, bytes] = {}
    for emitter in EMITTERS:
        try:
            produced = emitter(stack)
        except ValueError as exc:
            raise DefinitionError(obj="output", field=None, message=str(exc), stack=stack.name) from None
        for path, content in produced.items():
            if path in files:
                raise DefinitionError(obj="output", field=None, stack=stack.name,
                                      message=f"two outputs want the same path {path}")
            files[path] = content
    return dict(sorted(files.items()))
