"""``obscode catalog scrape`` against a real prometheus-node-exporter on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from obscode.model.catalog import load_yaml, resolve
from stacks.quantis.service.processes import free_port, http_ok, spawn, wait_until
from tests.conftest import ROOT, require_tool

OBSCODE = str(Path(sys.executable).parent / "obscode")


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[str]:
    binary = require_tool("prometheus-node-exporter")
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    exporter = spawn("node-exporter", [binary, f"--web.listen-address=127.0.0.1:{port}"], tmp_path)
    try:
        wait_until(http_ok(url), 15, f"the node exporter on {url}", exporter)
        yield url
    finally:
        exporter.stop()


def _scrape(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OBSCODE, "catalog", "scrape", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.integration
def test_scrape_real_node_exporter_writes_a_catalog(node_exporter: str, tmp_path: Path) -> None:
    out = tmp_path / "node-exporter.yml"
    result = _scrape(node_exporter, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "metric families written to" in result.stderr
    catalog = load_yaml(out)
    assert catalog.name == "node-exporter"
    series = catalog.series()
    cpu = series["node_cpu_seconds_total"]
    assert cpu.type == "counter" and cpu.labels == ["cpu", "mode"]
    assert series["node_memory_MemAvailable_bytes"].type == "gauge"
    assert "node_exporter_build_info" in series


@pytest.mark.integration
def test_shipped_node_catalog_covers_what_the_exporter_serves(node_exporter: str, tmp_path: Path) -> None:
    out = tmp_path / "now.yml"
    assert _scrape(node_exporter, "-o", str(out)).returncode == 0
    now = {m["name"] for m in yaml.safe_load(out.read_text())["metrics"]}
    shipped = {m.name for m in load_yaml(ROOT / "obscode" / "catalogs" / "node-exporter.yml").metrics}
    # The families the Quantis alerts query are in both; the rest depends on the machine's hardware.
    for name in ("node_cpu_seconds_total", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes"):
        assert name in now and name in shipped


def test_scrape_unreachable_endpoint_is_a_usage_error() -> None:
    result = _scrape(f"http://127.0.0.1:{free_port()}/metrics")
    assert result.returncode == 2
    assert "cannot scrape http://127.0.0.1:" in result.stderr and "is the exporter running?" in result.stderr


def test_scrape_needs_a_scheme() -> None:
    result = _scrape("127.0.0.1:9100/metrics")
    assert result.returncode == 2 and "needs a scheme, e.g. http://127.0.0.1:9100/metrics" in result.stderr


def _show(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OBSCODE, "catalog", "show", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_show_prints_the_catalog_yaml_which_loads_back(tmp_path: Path) -> None:
    result = _show("instrumentation-http")
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "copy.yml"
    copy.write_text(result.stdout)
    loaded, shipped = load_yaml(copy), resolve("instrumentation-http")
    assert loaded.name == shipped.name
    assert sorted(m.model_dump_json() for m in loaded.metrics) == sorted(m.model_dump_json() for m in shipped.metrics)


def test_show_as_a_table_lists_every_series_with_its_labels() -> None:
    result = _show("instrumentation-http", "--format", "table")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["series", "type", "collector", "labels"]
    assert ["http_requests_total", "counter", "-", "method,path,status"] in rows
    assert ["http_request_duration_seconds_bucket", "histogram", "-", "le,method,path"] in rows


def test_show_of_an_unknown_catalog_names_the_shipped_ones() -> None:
    result = _show("nosuch")
    assert result.returncode == 2
    assert "catalog nosuch: no such catalog; shipped:" in result.stderr and "node-exporter" in result.stderr
