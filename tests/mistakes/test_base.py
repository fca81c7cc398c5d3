"""The base stack of the mistakes table is clean: every row's finding is the mistake's own."""

from __future__ import annotations

from pathlib import Path

from tests.mistakes.harness import run


def test_the_base_stack_checks_and_generates_clean(tmp_path: Path, monkeypatch) -> None:
    result = run(tmp_path, monkeypatch)
    assert result.check.exit_code == 0, result.check.output
    assert "0 error(s), 0 warning(s)" in result.check.output
    assert result.generate.exit_code == 0, result.generate.output
    assert (tmp_path / "out" / "shop" / "alertmanager" / "alertmanager.yml").is_file()
