"""A misspelt metric in a Quantis dashboard fails ``obscode check`` with the fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from obscode import build
from tests.conftest import ROOT

OBSCODE = str(Path(sys.executable).parent / "obscode")

#: The seed's "API Request Rate" panel, for as long as the Quantis stack has no dashboard querying it.
_SEED_PANEL = '''

stack.dashboards.append({
    "uid": "api-performance", "title": "API Performance", "schemaVersion": 39,
    "panels": [{"id": 2, "type": "timeseries", "title": "API Request Rate",
                "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
                "datasource": {"type": "prometheus", "uid": "prometheus"},
                "targets": [{"refId": "A", "expr": "rate(http_requests_total[5m])",
                             "legendFormat": "{{method}} {{path}}",
                             "datasource": {"type": "prometheus", "uid": "prometheus"}}]}],
})
'''


def _quantis_dashboards_query_requests() -> bool:
    files = build.build(ROOT / "stacks" / "quantis").files
    return any(path.startswith("grafana/dashboards/") and b"http_requests_total" in body
               for path, body in files.items())


def _copy_with_typo(tmp_path: Path) -> Path:
    copy = tmp_path / "quantis"
    shutil.copytree(ROOT / "stacks" / "quantis", copy, ignore=shutil.ignore_patterns("__pycache__"))
    if not _quantis_dashboards_query_requests():
        init = copy / "__init__.py"
        init.write_text(init.read_text() + _SEED_PANEL)
    for source in copy.rglob("*.py"):
        text = source.read_text()
        if "http_requests_total" in text:
            source.write_text(text.replace("http_requests_total", "http_request_total"))
    return copy


def _check(stack_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OBSCODE, "check", "--no-tools", str(stack_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_quantis_stack_passes_catalog_checks() -> None:
    result = _check(ROOT / "stacks" / "quantis")
    assert result.returncode == 0, result.stdout + result.stderr


def test_misspelt_metric_in_quantis_dashboard_fails_with_suggestion(tmp_path: Path) -> None:
    result = _check(_copy_with_typo(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [l for l in result.stdout.splitlines() if "error[catalog/metric]" in l]
    dashboard_lines = [l for l in lines if "grafana/dashboards/" in l]
    assert dashboard_lines, result.stdout
    line = dashboard_lines[0]
    assert line.startswith("quantis: error[catalog/metric] grafana/dashboards/")
    assert " panel " in line and " target " in line and "field 'expr'" in line
    assert "metric http_request_total is not emitted by any catalog of this stack" in line
    assert "did you mean http_requests_total?" in line
