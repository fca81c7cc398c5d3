"""Every error a user can cause with `obscode diff` and `obscode preview`, with its message (exit 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode.cli import main
from tests.conftest import free_port
from tests.review.edits import BASE
from tests.review.repo import commit_all, init_repo, write_tree
from obscode.output import read_tree


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = init_repo(tmp_path / "repo")
    write_tree(path / "generated" / "quantis", read_tree(BASE))
    commit_all(path, "base")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "no-such-rev"], "error: --base 'no-such-rev' is not a commit in this repository"),
    (["--base", "HEAD", "billing"], "error: stack 'billing' has no generated output at HEAD or in"),
])
def test_diff_usage_errors(repo: Path, args: list[str], message: str) -> None:
    code, output = _run("diff", "--generated", str(repo / "generated"), *args)
    assert code == 2
    assert message in output


def test_diff_without_main_branch_says_to_pass_base(repo: Path) -> None:
    from tests.review.repo import git

    git(repo, "branch", "-m", "main", "trunk")
    code, output = _run("diff", "--generated", str(repo / "generated"))
    assert code == 2
    assert "cannot find the merge-base of HEAD and main" in output and "pass --base REV" in output


def test_diff_outside_a_git_repository(tmp_path: Path) -> None:
    shutil.copytree(BASE, tmp_path / "generated" / "quantis")
    code, output = _run("diff", "--generated", str(tmp_path / "generated"))
    assert code == 2
    assert "is not inside a git repository" in output


def test_diff_exits_0_with_changes(repo: Path) -> None:
    rules = repo / "generated" / "quantis" / "prometheus" / "rules" / "model_alerts.yml"
    rules.write_text(rules.read_text().replace("for: 30m", "for: 45m"))
    code, output = _run("diff", "--generated", str(repo / "generated"))
    assert code == 0
    assert "- ✏️ **HighModelError** changed: for: `30m` → `45m`" in output


@pytest.mark.parametrize(("args", "message"), [
    (["billing"], "error: no generated output for stack 'billing'"),
    (["quantis", "--range", "an hour"], "error: --range 'an hour' is not a duration like 15m, 1h or 2d"),
    (["quantis", "--prometheus", "127.0.0.1:9090"], "must be an http:// or https:// URL"),
])
def test_preview_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    shutil.copytree(BASE, tmp_path / "generated" / "quantis")
    code, output = _run("preview", "--generated", str(tmp_path / "generated"), "--out", str(tmp_path / "out"), *args)
    assert code == 2
    assert message in output


def test_preview_of_a_stack_without_dashboards(tmp_path: Path) -> None:
    shutil.copytree(BASE / "prometheus", tmp_path / "generated" / "quantis" / "prometheus")
    code, output = _run("preview", "quantis", "--generated", str(tmp_path / "generated"))
    assert code == 2
    assert "stack 'quantis' has no dashboards" in output


def test_preview_with_unreachable_prometheus(tmp_path: Path) -> None:
    shutil.copytree(BASE, tmp_path / "generated" / "quantis")
    url = f"http://127.0.0.1:{free_port()}"
    code, output = _run("preview", "quantis", "--generated", str(tmp_path / "generated"),
                        "--out", str(tmp_path / "out"), "--prometheus", url)
    assert code == 2
    assert f"error: cannot reach Prometheus at {url}" in output and "check --prometheus" in output
