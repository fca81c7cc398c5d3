"""prometheus/prometheus.yml and prometheus/rules/<file>.yml."""

from __future__ import annotations

from obscode.emit.yaml_out import dump, header_for
from obscode.stack import Stack


def emit(stack: Stack) -> dict[str, bytes]:
    header = header_for(stack.name)
    files = {}
    if stack.prometheus is not None:
        files["prometheus/prometheus.yml"] = dump(stack.prometheus.render([f.path for f in stack.rule_files]), header)
    for rule_file in stack.rule_files:
        files[f"prometheus/{rule_file.path}"] = dump(rule_file.render(), header)
    return files
