"""kubernetes/<kind>-<name>.yaml: one object a file, ready for ``kubectl apply -f``:
prometheus-operator resources, the AlertmanagerConfig and the dashboards, from the same
models as the other outputs (obscode/kubernetes/)."""

from __future__ import annotations

from typing import Any

from obscode import paths
from obscode.emit import grafana
from obscode.emit.yaml_out import dump, header_for
from obscode.kubernetes import alertmanager_config, dashboards, monitoring
from obscode.stack import Stack

#: The name of this output in ``Stack.outputs``.
FORMAT = "kubernetes"


def objects(stack: Stack) -> list[dict[str, Any]]:
    """Every Kubernetes object of ``stack``, as data."""
    boards = {path.removeprefix(paths.DASHBOARDS_DIR): content for path, content in grafana.emit(stack).items()
              if path.startswith(paths.DASHBOARDS_DIR)}
    return [*monitoring.objects(stack), *alertmanager_config.objects(stack), *dashboards.objects(stack, boards)]


def emit(stack: Stack) -> dict[str, bytes]:
    if stack.kubernetes is None:
        return {}
    header = header_for(stack.name)
    files: dict[str, bytes] = {}
    for obj in objects(stack):
        path = paths.kubernetes_object(obj["kind"], obj["metadata"]["name"])
        if path in files:
            raise ValueError(f"two {obj['kind']} objects are named {obj['metadata']['name']!r}")
        files[path] = dump(obj, header)
    return files
