"""The issue's acceptance scenario, end to end in a throwaway repository built from this
tree: change a Quantis threshold, a route and a panel in the stack code, regenerate, and
`obscode diff` reports exactly those changes; the pictures and the preview show the
changed dashboard."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.review.repo import commit_all, git, init_repo

OBSCODE = [str(Path(sys.executable).parent / "obscode")]
BOARD = "generated/quantis/grafana/dashboards/model-performance.json"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name} no longer contains {old!r} once: update this scenario"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run(repo: Path, *args: str) -> str:
    result = subprocess.run([*OBSCODE, *args], cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"obscode {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _scenario_repo(tmp_path: Path) -> Path:
    """Stack code and generated output of this tree, committed on main, then the three edits."""
    repo = init_repo(tmp_path / "clone")
    tracked = git(ROOT, "ls-files", "--", "stacks/quantis").splitlines()
    for rel in tracked:
        if (ROOT / rel).is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, repo / rel)
    (repo / "stacks" / "__init__.py").touch()
    _run(repo, "generate", "quantis")
    commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "tighter-model-alerts")
    quantis = repo / "stacks" / "quantis"
    _replace(quantis / "config.py", "model_mape_percent_above: float = 15 ", "model_mape_percent_above: float = 10 ")
    _replace(quantis / "routing.py", 'Route(matchers=[\'category="model"\'], receiver="data-science-team")',
             'Route(matchers=[\'category="model"\', \'severity="critical"\'], receiver="data-science-team")')
    _replace(quantis / "dashboards" / "model_performance.py", "grid(12, 12, HALF)", "grid(12, 28, HALF)")
    _run(repo, "generate", "quantis")
    return repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _scenario_repo(tmp_path_factory.mktemp("scenario"))


def test_diff_reports_the_threshold_the_route_and_the_panel(repo: Path, tmp_path: Path) -> None:

    report = json.loads(_run(repo, "diff", "--format", "json"))
    markdown = _run(repo, "diff", "--pictures", str(tmp_path / "pictures"), "--no-png")

    changes = report["stacks"][0]["changes"]
    assert [(c["section"], c["name"]) for c in changes] == [
        ("alerts", "HighModelError"), ("alert tests", "high-model-error"), ("routes", "reachability"),
        ("dashboards", "Model Performance (model-performance)")]
    lines = markdown.splitlines()
    assert '  - threshold on `model_prediction_error{metric_type="mape"}`: `> 15` → `> 10`' in lines
    assert "  - annotations.description: `MAPE is above 15% for 30 minutes` → `MAPE is above 10% for 30 minutes`" in lines
    # Every warning of category model (the forecast SLO's ticket tiers too) moves to team-email.
    from stacks.quantis import stack

    moved = sorted({rule.alert for rule_file, rule in stack.alerts() if not rule_file.generated_by
                    and rule.labels.get("category") == "model" and rule.labels.get("severity") == "warning"})
    assert {"DataDriftDetected", "HighModelError", "SlowPredictions"} <= set(moved)
    assert ("  - category=model, severity=warning now reaches: **team-email** (before: data-science-team)"
            f" — alerts: {', '.join(moved)}, slo-prediction-success/PredictionSuccessBudgetBurn") in lines
    assert '  - panel "Prediction Latency (p95)" moved: `x=12 y=12` → `x=12 y=28`' in lines
    # The MAPE threshold also colours two panels: the diff shows that consequence, nothing else.
    dashboard_fields = [f["field"] for f in changes[3]["fields"]]
    others = [f for f in dashboard_fields if f != 'panel "Prediction Latency (p95)" moved']
    assert others and all(f.startswith(('panel "Model MAPE (%)" ', 'panel "Worst MAPE" ')) and "thresholds" in f
                          for f in others), others
    assert "4 changes in 1 stack." in markdown
    pictures = tmp_path / "pictures" / "quantis"
    assert "model-performance.before.svg" in markdown
    after = (pictures / "model-performance.after.svg").read_text()
    assert after.count('class="panel changed"') == 3


def test_preview_shows_the_changed_dashboard(repo: Path, tmp_path: Path) -> None:
    _run(repo, "preview", "quantis", "--out", str(tmp_path / "preview"))
    page = (tmp_path / "preview" / "model-performance.html").read_text()
    assert "grid-column: 13 / span 12; grid-row: 29 / span 8;" in page  # the moved latency panel
