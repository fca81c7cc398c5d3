"""Validate generated objects against the upstream CustomResourceDefinitions in
``../shared/schemas/`` (prometheus-operator and grafana-operator), as a strict API server
would: the object's ``spec`` against the version's openAPIV3Schema, with unknown fields
rejected (``kubectl apply --validate=strict``) except where the schema preserves them.

The product never reads these files: its own typed models validate at run time; these tests
prove the two agree."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

SCHEMAS = ROOT.parent / "shared" / "schemas"

#: kind → CRD file.
CRDS = {
    "PrometheusRule": "prometheus-operator/monitoring.coreos.com_prometheusrules.yaml",
    "ServiceMonitor": "prometheus-operator/monitoring.coreos.com_servicemonitors.yaml",
    "PodMonitor": "prometheus-operator/monitoring.coreos.com_podmonitors.yaml",
    "Probe": "prometheus-operator/monitoring.coreos.com_probes.yaml",
    "ScrapeConfig": "prometheus-operator/monitoring.coreos.com_scrapeconfigs.yaml",
    "AlertmanagerConfig": "prometheus-operator/monitoring.coreos.com_alertmanagerconfigs.yaml",
    "Prometheus": "prometheus-operator/monitoring.coreos.com_prometheuses.yaml",
    "Alertmanager": "prometheus-operator/monitoring.coreos.com_alertmanagers.yaml",
    "GrafanaDashboard": "grafana-operator/grafana.integreatly.org_grafanadashboards.yaml",
}


class _Loader(yaml.SafeLoader):
    pass


# The CRDs hold the enum value "=" (a matcher type), which SafeLoader reads as the
# tag:yaml.org,2002:value tag and refuses: read it as the plain string it is.
_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` wherever it lists properties and does
    not preserve unknown fields (what server-side strict field validation enforces)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if isinstance(out.get("pattern"), str) and "(?i)" in out["pattern"]:
            # Go's RE2 takes (?i) anywhere (e.g. ^(?i)(abort|warn)?$); Python only at the start.
            # Case-insensitive for the whole pattern is at most looser than upstream.
            out["pattern"] = "(?i)" + out["pattern"].replace("(?i)", "")
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@functools.lru_cache(maxsize=None)
def crd(kind: str) -> dict[str, Any]:
    path = SCHEMAS / CRDS[kind]
    if not path.exists():
        pytest.fail(f"upstream CRD for {kind} missing: {path}")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


@functools.lru_cache(maxsize=None)
def _validator(kind: str, version: str) -> jsonschema.Draft7Validator:
    doc = crd(kind)
    for entry in doc["spec"]["versions"]:
        if entry["name"] == version:
            schema = _strict(copy.deepcopy(entry["schema"]["openAPIV3Schema"]))
            # metadata is the API server's ObjectMeta, not described by the CRD
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            return jsonschema.Draft7Validator(schema)
    raise AssertionError(f"{kind} has no version {version}")


def errors(obj: dict[str, Any]) -> list[str]:
    """Every schema violation of ``obj`` (``[]``: valid), with its path."""
    group, _, version = obj["apiVersion"].rpartition("/")
    expected_group = crd(obj["kind"])["spec"]["group"]
    if group != expected_group:
        return [f"apiVersion group {group!r} is not {expected_group!r}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(_validator(obj["kind"], version).iter_errors(obj), key=str)]


def assert_valid(obj: dict[str, Any]) -> None:
    found = errors(obj)
    assert not found, f"{obj['kind']} {obj.get('metadata', {}).get('name')}: " + "; ".join(found[:10])


def load_objects(folder: Path) -> list[dict[str, Any]]:
    """Every object of the YAML files under ``folder``."""
    out = []
    for path in sorted(folder.rglob("*.yaml")):
        out.extend(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    return out
