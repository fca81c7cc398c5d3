"""The rendered stack: its output files with typed accessors, so checks, the tool runner,
diff and preview ask for "the rule files" or "the PrometheusRule objects" instead of spelling
out paths and parsing bytes themselves. Built by :func:`obscode.emit.render_stack`, or from
any generated tree (a git revision, ``generated/<stack>/``) with :meth:`Rendered.of`."""

from __future__ import annotations

import json
from typing import Any

import yaml

from obscode import paths


class Rendered:
    """``files``: every rendered file (relative path → bytes), the base formats included;
    ``written``: the ones the stack's ``outputs`` write."""

    def __init__(self, stack: str, files: dict[str, bytes], written: set[str] | None = None) -> None:
        self.stack = stack
        self.files = files
        self.written = {path: files[path] for path in sorted(written)} if written is not None else dict(files)
        self._parsed: dict[str, Any] = {}

    @classmethod
    def of(cls, stack: str, files: dict[str, bytes]) -> "Rendered":
        """A generated tree as read back (every file counts as written)."""
        return cls(stack, dict(sorted(files.items())))

    # -- parsing, cached per file ----------------------------------------------------------
    def yaml(self, path: str) -> Any:
        if path not in self._parsed:
            self._parsed[path] = yaml.safe_load(self.files[path])
        return self._parsed[path]

    def yaml_all(self, path: str) -> list[Any]:
        key = f"{path}#all"
        if key not in self._parsed:
            self._parsed[key] = [doc for doc in yaml.safe_load_all(self.files[path]) if doc is not None]
        return self._parsed[key]

    def json(self, path: str) -> Any:
        if path not in self._parsed:
            self._parsed[path] = json.loads(self.files[path])
        return self._parsed[path]

    def _under(self, folder: str, suffixes: tuple[str, ...] = (".yml", ".yaml")) -> list[str]:
        return [p for p in self.files if p.startswith(folder) and p.endswith(suffixes)]

    # -- Prometheus --------------------------------------------------------------------------
    def prometheus_config(self) -> dict[str, Any] | None:
        return self.yaml(paths.PROMETHEUS_CONFIG) if paths.PROMETHEUS_CONFIG in self.files else None

    def rule_file_paths(self) -> list[str]:
        """``prometheus/rules/*.yml``."""
        return self._under(paths.RULES_DIR)

    def rule_files(self) -> dict[str, dict[str, Any]]:
        """``{path: {"groups": [...]}}`` of the Prometheus rule files."""
        return {path: self.yaml(path) or {} for path in self.rule_file_paths()}

    def alert_test_paths(self) -> list[str]:
        return self._under(paths.ALERT_TESTS_DIR)

    # -- Alertmanager ------------------------------------------------------------------------
    def alertmanager_config(self) -> dict[str, Any] | None:
        return self.yaml(paths.ALERTMANAGER_CONFIG) if paths.ALERTMANAGER_CONFIG in self.files else None

    # -- Grafana -----------------------------------------------------------------------------
    def dashboard_paths(self) -> list[str]:
        return self._under(paths.DASHBOARDS_DIR, (".json",))

    def dashboards(self) -> dict[str, dict[str, Any]]:
        """``{path: dashboard JSON}``."""
        return {path: self.json(path) for path in self.dashboard_paths()}

    def dashboards_by_uid(self) -> dict[str, dict[str, Any]]:
        """``{uid: dashboard JSON}`` (the file name when the JSON has no uid)."""
        out: dict[str, dict[str, Any]] = {}
        for path, board in self.dashboards().items():
            out[str(board.get("uid") or path[len(paths.DASHBOARDS_DIR):-len(".json")])] = board
        return out

    # -- Kubernetes, Thanos, Mimir -----------------------------------------------------------
    def kubernetes_objects(self) -> dict[str, dict[str, Any]]:
        """``{path: object}`` of ``kubernetes/`` (one object a file)."""
        return {path: self.yaml(path) for path in self._under(paths.KUBERNETES_DIR)}

    def kubernetes_of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return {p: o for p, o in self.kubernetes_objects().items() if isinstance(o, dict) and o.get("kind") == kind}

    def thanos_rule_files(self) -> dict[str, dict[str, Any]]:
        return {path: self.yaml(path) or {} for path in self._under(paths.THANOS_RULES_DIR)}

    def mimir_rule_files(self) -> dict[str, dict[str, Any]]:
        """``{path: {"namespace": ..., "groups": [...]}}``."""
        return {path: self.yaml(path) or {} for path in self._under(paths.MIMIR_RULES_DIR)}

    def rule_groups_by_output(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every form the rule groups were written in: ``{output: {path: [group, ...]}}``
        (``prometheus``, ``kubernetes`` for the PrometheusRules' ``spec.groups``, ``thanos``,
        ``mimir``), for tools and diff that read rules whatever the format."""
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for output, files in (("prometheus", self.rule_files()), ("thanos", self.thanos_rule_files()),
                              ("mimir", self.mimir_rule_files())):
            if files:
                out[output] = {path: list(data.get("groups") or []) for path, data in files.items()}
        rules = self.kubernetes_of_kind("PrometheusRule")
        if rules:
            out["kubernetes"] = {path: list((obj.get("spec") or {}).get("groups") or []) for path, obj in rules.items()}
        return out
