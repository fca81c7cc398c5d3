"""Prometheus' retention: a command-line flag (prometheus.yml has no field for it), set from
config.prometheus_retention wherever Quantis runs Prometheus."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from stacks.quantis.config import CONFIG
from tests.conftest import ROOT, free_port, require_tool

FLAG = "--storage.tsdb.retention.time"


def test_compose_passes_the_configured_retention() -> None:
    compose = yaml.safe_load((ROOT / "stacks" / "quantis" / "compose.yaml").read_text(encoding="utf-8"))
    command = compose["services"]["prometheus"]["command"]
    assert f"{FLAG}={CONFIG.prometheus_retention}" in command


def test_the_live_stack_passes_the_configured_retention(tmp_path: Path) -> None:
    from stacks.quantis.service.processes import prometheus_flags

    assert f"{FLAG}={CONFIG.prometheus_retention}" in prometheus_flags(tmp_path / "p.yml", tmp_path / "data")


@pytest.mark.integration
def test_prometheus_runs_with_the_retention(tmp_path: Path) -> None:
    """A real Prometheus started as the live stack starts it reports the retention among its flags."""
    require_tool("prometheus")
    from stacks.quantis.service.processes import start_prometheus

    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n", encoding="utf-8")
    port = free_port()
    proc = start_prometheus(config, tmp_path / "data", port, tmp_path)
    try:
        flags = httpx.get(f"http://127.0.0.1:{port}/api/v1/status/flags", timeout=5).json()["data"]
        assert flags["storage.tsdb.retention.time"] == CONFIG.prometheus_retention
    finally:
        proc.stop()
