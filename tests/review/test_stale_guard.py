"""The stale-output guard: `obscode check --stale` (what `make check` runs) fails when the
committed generated/ differs from what the stack code generates, and says to run `make generate`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode.cli import main
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output generated from the current code, standing in for a committed generated/."""
    out = tmp_path_factory.mktemp("generated")
    result = CliRunner().invoke(main, ["generate", "quantis", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _check(generated: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["check", "quantis", "--stale", "--no-tools", "--generated", str(generated)])
    return result.exit_code, result.output


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_up_to_date_output_passes(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _check(fresh, monkeypatch)
    assert code == 0, output
    assert "generated/stale" not in output


def test_hand_edited_output_fails_and_says_to_run_make_generate(fresh: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    generated = _copy(fresh, tmp_path / "generated")
    rules = generated / "quantis" / "prometheus" / "rules" / "model_alerts.yml"
    rules.write_text(rules.read_text().replace("> 15", "> 10"))

    code, output = _check(generated, monkeypatch)

    assert code == 1
    assert "generated/stale" in output
    assert "changed prometheus/rules/model_alerts.yml" in output
    assert "run `make generate` and commit the result" in output


def test_missing_and_extra_files_are_named(fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generated = _copy(fresh, tmp_path / "generated")
    (generated / "quantis" / "alertmanager" / "alertmanager.yml").unlink()
    (generated / "quantis" / "prometheus" / "rules" / "old.yml").write_text("groups: []\n")

    code, output = _check(generated, monkeypatch)

    assert code == 1
    assert "missing alertmanager/alertmanager.yml" in output
    assert "extra prometheus/rules/old.yml" in output


def test_make_check_runs_the_stale_guard() -> None:
    result = subprocess.run(["make", "-n", "-C", str(ROOT), "check", "VENV=venv-for-dry-run"],
                            capture_output=True, text=True, check=False)
    assert "obscode check --stale" in result.stdout, result.stdout + result.stderr
