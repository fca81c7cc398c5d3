"""stacks/quantis/compose.yaml: `docker compose config` when the Compose CLI is there;
always a structural check (pinned images, mounted generated files exist, references resolve)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import ROOT, require_tool

COMPOSE = ROOT / "stacks" / "quantis" / "compose.yaml"
REQUIRED = {"prometheus", "alertmanager", "grafana", "elasticsearch", "logstash", "kibana", "filebeat", "api"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_every_product_of_the_stack() -> None:
    assert REQUIRED <= set(_compose()["services"])


def test_every_image_is_pinned() -> None:
    for name, service in _compose()["services"].items():
        if "build" in service:
            continue
        image = service["image"]
        tag = image.rpartition(":")[2]
        assert ":" in image and tag and tag != "latest", f"service {name} image {image} is not pinned"


def test_mounted_generated_files_exist() -> None:
    base = COMPOSE.parent
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("../../generated/") or source.startswith("./compose/"):
                assert (base / source).resolve().exists(), f"service {name} mounts missing {source}"


def test_dependencies_and_secrets_resolve() -> None:
    compose = _compose()
    services = set(compose["services"])
    for name, service in compose["services"].items():
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for secret in service.get("secrets", []):
            assert secret in compose.get("secrets", {}), f"{name} uses undeclared secret {secret}"


def test_scrape_targets_are_compose_services() -> None:
    prometheus = yaml.safe_load((ROOT / "generated/quantis/prometheus/prometheus.yml").read_text())
    compose = _compose()
    names = set(compose["services"])
    for service in compose["services"].values():
        names |= set(((service.get("networks") or {}).get("default") or {}).get("aliases", []))
    for job in prometheus["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                assert target.split(":")[0] in names, f"job {job['job_name']} target {target} is no compose service"


def test_docker_compose_config_accepts_it(tmp_path: Path) -> None:
    """`docker compose config` where the plugin exists, else Debian's docker-compose 1.29
    (installed by scripts/system-deps.sh); neither needs a Docker engine for `config`."""
    docker = shutil.which("docker")
    if docker is not None and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        command = [docker, "compose"]
    else:
        command = [require_tool("docker-compose")]
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "postgres-password").write_text("x\n")
    proc = subprocess.run([*command, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin:/usr/local/bin", "QUANTIS_POSTGRES_PASSWORD_FILE": str(secrets / "postgres-password"),
                               "QUANTIS_ALERTMANAGER_SECRETS": str(secrets)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
