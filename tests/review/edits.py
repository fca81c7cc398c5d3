"""Edits of a generated tree, as a reviewer's pull request would cause them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import yaml

from obscode.output import read_tree

BASE = Path(__file__).parent / "fixtures" / "base"
RULES = "prometheus/rules/model_alerts.yml"
SYSTEM_RULES = "prometheus/rules/system_alerts.yml"
AM = "alertmanager/alertmanager.yml"
PROM = "prometheus/prometheus.yml"
BOARD = "grafana/dashboards/model-overview.json"

Tree = dict[str, bytes]


def base_tree() -> Tree:
    return read_tree(BASE)


def edit_yaml(tree: Tree, path: str, change: Callable[[Any], None]) -> Tree:
    data = yaml.safe_load(tree[path])
    change(data)
    return {**tree, path: yaml.safe_dump(data, sort_keys=False).encode()}


def edit_json(tree: Tree, path: str, change: Callable[[Any], None]) -> Tree:
    data = json.loads(tree[path])
    change(data)
    return {**tree, path: json.dumps(data, indent=2).encode()}


def alert(data: Any, name: str) -> dict[str, Any]:
    return next(r for g in data["groups"] for r in g["rules"] if r.get("alert") == name)


def panel(data: Any, title: str) -> dict[str, Any]:
    return next(p for p in data["panels"] if p["title"] == title)
