"""Write the shop stack with one mistake into stacks/<folder>/, run `obscode check` and
`obscode generate` on it as a user would, and keep what they said and wrote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from obscode.cli import main
from tests.mistakes.shop import marked_line, render


@dataclass
class Outcome:
    check: Result
    generate: Result
    #: Line of the ``#!`` marker in the stack file, if the mistake marks one.
    line: int | None
    stack_file: Path
    written: list[Path]


def run(tmp_path: Path, monkeypatch, replace: dict[str, str] | None = None, parts: dict[str, str] | None = None,
        folder: str = "shop") -> Outcome:
    text = render(replace, parts)
    stack_file = tmp_path / "stacks" / folder / "__init__.py"
    stack_file.parent.mkdir(parents=True)
    stack_file.write_text(text)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    check = runner.invoke(main, ["check", folder])
    generate = runner.invoke(main, ["generate", folder, "--out", "out"])
    out = tmp_path / "out"
    written = sorted(p for p in out.rglob("*") if p.is_file()) if out.exists() else []
    return Outcome(check, generate, marked_line(text), stack_file, written)
