"""A catalog file named in a stack is read from the stack's folder, wherever obscode runs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from obscode.cli import main
from obscode.model.catalog import shipped


def _stack(root: Path, ref: str) -> Path:
    folder = root / "stacks" / "cat"
    (folder / "catalogs").mkdir(parents=True)
    (folder / "catalogs" / "node.yml").write_text(shipped("node-exporter").as_yaml())
    (folder / "__init__.py").write_text(
        "from obscode import *\n"
        f"stack = Stack(name='cat', job_catalogs={{'node': [{ref!r}]}})\n")
    return folder


def test_a_relative_catalog_path_is_read_from_the_stack_folder(tmp_path: Path, monkeypatch) -> None:
    folder = _stack(tmp_path, "catalogs/node.yml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd, arg in ((tmp_path, "cat"), (elsewhere, str(folder))):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(main, ["check", "--no-tools", arg])
        assert result.exit_code == 0, result.output
        assert "checked cat: 0 error(s)" in result.output


def test_a_catalog_path_missing_from_the_stack_folder_says_where_it_looked(tmp_path: Path, monkeypatch) -> None:
    folder = _stack(tmp_path, "catalog/node.yml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-tools", "cat"])
    assert result.exit_code == 2
    assert "catalog file catalog/node.yml" in result.output
    assert f"not found in the stack's folder ({folder / 'catalog' / 'node.yml'})" in result.output
    assert "catalog paths are relative to the folder of the file that builds the Stack" in result.output
