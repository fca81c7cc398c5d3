"""Offline routing of the Quantis tree, cross-checked with `amtool config routes test`."""

from __future__ import annotations

import subprocess

import pytest

from obscode.routing import receivers_for
from tests.conftest import ROOT, require_tool

from stacks.quantis.routing import alertmanager

CASES = [
    ({"severity": "critical", "category": "system"}, ["pager"]),
    ({"severity": "critical", "category": "model"}, ["pager", "data-science-team"]),
    ({"severity": "warning", "category": "model"}, ["data-science-team"]),
    ({"severity": "warning", "category": "system"}, ["team-email"]),
    ({"alertname": "Other"}, ["team-email"]),
]


@pytest.mark.parametrize(("labels", "expected"), CASES)
def test_quantis_routes(labels: dict[str, str], expected: list[str]) -> None:
    assert receivers_for(alertmanager().route, labels) == expected


@pytest.mark.parametrize(("labels", "expected"), CASES)
def test_amtool_agrees(labels: dict[str, str], expected: list[str]) -> None:
    amtool = require_tool("amtool")
    config = ROOT / "generated" / "quantis" / "alertmanager" / "alertmanager.yml"
    args = [f"{k}={v}" for k, v in labels.items()]
    proc = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config}", *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().split(",") == expected
