"""Throwaway git repositories for the diff tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from obscode.tools import write_tree as _write_tree

_IDENTITY = ["-c", "user.name=obscode tests", "-c", "user.email=tests@example.invalid", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *_IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    """Replace ``root`` with exactly ``files``."""
    import shutil

    if root.exists():
        shutil.rmtree(root)
    _write_tree(root, files)
