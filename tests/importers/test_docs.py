"""docs/import.md: its example runs, and prints and writes what the page shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.importers.helpers import obscode

PAGE = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
FILES = dict(re.findall(r"File `([^`]+)`:\n\n```\w*\n(.*?)```", PAGE, re.S))
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", PAGE, re.S)


def _run_example(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(folder)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    commands = next(body for lang, body in BLOCKS if lang == "sh" and "obscode import" in body)
    outputs = []
    for line in commands.strip().splitlines():
        args = shlex.split(line)
        assert args[0] == "obscode"
        result = obscode(*args[1:])
        assert result.exit_code == 0, (line, result.output)
        outputs.append(result.output)
    return outputs


def test_the_example_prints_what_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = _run_example(tmp_path, monkeypatch)
    shown = next(body for lang, body in BLOCKS if lang == "" and "wrote 3 file(s)" in body)
    assert outputs[0].splitlines()[:3] == shown.strip().splitlines()


def test_the_example_writes_the_code_the_page_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_example(tmp_path, monkeypatch)
    rules = (tmp_path / "stacks" / "shop" / "rules.py").read_text()
    alertmanager = (tmp_path / "stacks" / "shop" / "alertmanager.py").read_text()
    python = [body for lang, body in BLOCKS if lang == "python" and ("AlertRule(" in body or "SlackConfig(" in body)]
    assert len(python) == 2
    assert python[0] in rules
    assert python[1] in alertmanager
    assert "hooks.slack.com" not in alertmanager
