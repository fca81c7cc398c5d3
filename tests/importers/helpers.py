"""Running `obscode import` and `obscode generate` in-process, and reading what they wrote."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from obscode.cli import main


def obscode(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def imported(kind: str, *files: Path, stack: Path, force: bool = False) -> Result:
    """`obscode import KIND FILES --stack NAME --out STACK` (NAME: the folder's name); fails
    the test unless it exits 0."""
    result = obscode("import", kind, *files, "--stack", stack.name, "--out", stack, *(["--force"] if force else []))
    assert result.exit_code == 0, result.output
    return result


def generated(stack: Path, out: Path) -> Path:
    """`obscode generate STACK --no-checks --no-tools --out OUT`; the stack's output folder."""
    result = obscode("generate", stack, "--no-checks", "--no-tools", "--out", out)
    assert result.exit_code == 0, result.output
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} \
        if root.exists() else {}
