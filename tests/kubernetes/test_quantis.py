"""The reference stack's committed Kubernetes output: what `kubectl apply -f` would create."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from obscode.build import build
from tests.conftest import ROOT, require_tool
from tests.kubernetes.crd import CRDS, assert_valid, load_objects

FOLDER = ROOT / "generated" / "quantis" / "kubernetes"


def test_every_committed_object_is_valid_against_its_upstream_crd() -> None:
    objects = load_objects(FOLDER)
    kinds = {obj["kind"] for obj in objects}
    assert {"PrometheusRule", "ServiceMonitor", "ScrapeConfig", "AlertmanagerConfig", "ConfigMap"} <= kinds
    for obj in objects:
        assert obj["metadata"]["namespace"] == "monitoring"
        if obj["kind"] in CRDS:
            assert_valid(obj)


def test_the_node_discovery_job_is_the_operators_scrape_config() -> None:
    (job,) = [o for o in load_objects(FOLDER) if o["kind"] == "ScrapeConfig" and o["spec"]["jobName"] == "kubernetes"]
    assert job["spec"]["kubernetesSDConfigs"] == [{"role": "Node"}]
    assert [r["action"] for r in job["spec"]["relabelings"]] == ["replace", "labelmap"]


def test_the_target_prometheus_and_alertmanager_select_every_object() -> None:
    built = build(ROOT / "stacks" / "quantis")
    assert [p for p in built.check() if p.check == "kubernetes/selectors"] == []


def test_promtool_accepts_the_groups_of_every_prometheus_rule(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    rules = [o for o in load_objects(FOLDER) if o["kind"] == "PrometheusRule"]
    # one PrometheusRule per rule file of prometheus/rules/
    assert len(rules) == len(list((FOLDER.parent / "prometheus" / "rules").glob("*.yml")))
    for obj in rules:
        path = tmp_path / f"{obj['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump({"groups": obj["spec"]["groups"]}), encoding="utf-8")
        proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_secret_path_or_value_is_in_the_kubernetes_output() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(FOLDER.glob("*.yaml")))
    assert "/etc/alertmanager/secrets" not in text
    assert "quantis-alertmanager" in text  # secrets are keys of this Secret
