"""The committed Quantis Grafana output is what the code generates, byte for byte, on any
hash seed, and it passes every check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from obscode.build import build
from obscode.cli import main
from obscode.output import read_tree

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "generated" / "quantis" / "grafana"


def _grafana_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path.removeprefix("grafana/"): content for path, content in files.items() if path.startswith("grafana/")}


def test_generated_grafana_output_matches_committed_golden_files(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert _grafana_files(build("stacks/quantis").files) == read_tree(GOLDEN)


def test_output_is_identical_across_hash_seeds(tmp_path):
    outputs = []
    for seed in ("0", "4242"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([str(Path(sys.executable).parent / "obscode"), "generate", "quantis", "--out", str(out), "--no-checks"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        outputs.append(read_tree(out / "quantis" / "grafana"))
    assert outputs[0] == outputs[1] and outputs[0]


def test_committed_dashboards_pass_every_check(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "quantis", "--format", "json"])
    problems = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    grafana = [p for p in problems if p["file"].startswith("grafana/")]
    assert grafana == []
    assert result.exit_code == 0, problems
