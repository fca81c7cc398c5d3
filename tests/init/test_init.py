"""`obscode init NAME`: a stack package that generates and checks clean, written whole or not at all."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode.cli import main
from obscode.commands.init import TEMPLATES
from tests.conftest import ROOT, require_tool

OBSCODE = Path(sys.executable).parent / "obscode"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(OBSCODE), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_then_generate_and_check_pass_with_the_real_tools(tmp_path: Path) -> None:
    require_tool("promtool")
    require_tool("amtool")
    steps = [("init", "shop"), ("generate", "shop"), ("check", "--stale", "shop"),
             ("generate", "--profile", "local", "shop"), ("check", "--profile", "local", "shop")]
    for step in steps:
        proc = run(*step, cwd=tmp_path)
        assert proc.returncode == 0, f"obscode {' '.join(step)}:\n{proc.stdout}{proc.stderr}"
        if step[0] == "check":
            output = proc.stdout + proc.stderr
            assert "checked shop: 0 error(s), 0 warning(s)\n" in output
            assert "note" not in output
    assert (tmp_path / "generated" / "shop" / "prometheus" / "rules" / "alerts.yml").is_file()
    local = (tmp_path / "out" / "local" / "shop" / "prometheus" / "prometheus.yml").read_text()
    assert "127.0.0.1:8000" in local and "127.0.0.1:9100" in local


def test_writes_the_files_docs_init_md_lists(in_tmp: Path) -> None:
    result = CliRunner().invoke(main, ["init", "shop"])
    assert result.exit_code == 0, result.output
    documented = re.findall(r"^\| `([a-z_]+\.py)` \|", (ROOT / "docs" / "init.md").read_text(), flags=re.M)
    written = sorted(p.name for p in (in_tmp / "stacks" / "shop").iterdir())
    assert sorted(documented) == written == sorted(TEMPLATES)


def test_config_puts_every_threshold_first_in_a_frozen_dataclass(in_tmp: Path) -> None:
    CliRunner().invoke(main, ["init", "shop", "--service", "payments", "--service-port", "8080"])
    source = (in_tmp / "stacks" / "shop" / "config.py").read_text()
    classes = [node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]
    assert classes[0].name == "Thresholds"
    for cls in classes:
        frozen = [kw for d in cls.decorator_list if isinstance(d, ast.Call) for kw in d.keywords if kw.arg == "frozen"]
        assert frozen and frozen[0].value.value is True, cls.name
    assert '("payments:8080",)' in source


def test_refuses_to_overwrite_an_existing_folder(in_tmp: Path) -> None:
    CliRunner().invoke(main, ["init", "shop"])
    config = in_tmp / "stacks" / "shop" / "config.py"
    config.write_text("# mine\n")
    result = CliRunner().invoke(main, ["init", "shop"])
    assert result.exit_code == 2
    assert "stacks/shop exists, so nothing is written: pick another NAME or --out, or pass --force to rewrite the files init writes (others are kept)" in result.output
    assert config.read_text() == "# mine\n"


def test_force_rewrites_the_scaffold_and_keeps_other_files(in_tmp: Path) -> None:
    CliRunner().invoke(main, ["init", "shop"])
    folder = in_tmp / "stacks" / "shop"
    (folder / "config.py").write_text("# mine\n")
    (folder / "extra.py").write_text("# kept\n")
    result = CliRunner().invoke(main, ["init", "shop", "--force"])
    assert result.exit_code == 0, result.output
    assert "class Thresholds" in (folder / "config.py").read_text()
    assert (folder / "extra.py").read_text() == "# kept\n"


@pytest.mark.parametrize(("name", "message"), [
    ("my shop", "stack name 'my shop' becomes a folder, a Python package and generated/<name>/: use letters, "
                "digits, '-' and '_', starting with a letter; e.g. 'my-shop'"),
    ("shop.eu", "stack name 'shop.eu' becomes a folder, a Python package and generated/<name>/: use letters, "
                "digits, '-' and '_', starting with a letter; e.g. 'shop-eu'"),
    ("1shop", "stack name '1shop' becomes a folder, a Python package and generated/<name>/: use letters, "
              "digits, '-' and '_', starting with a letter; e.g. 'shop'"),
])
def test_bad_names_are_refused_with_a_suggestion(in_tmp: Path, name: str, message: str) -> None:
    result = CliRunner().invoke(main, ["init", name])
    assert result.exit_code == 2
    assert message in result.output
    assert not (in_tmp / "stacks").exists()


def test_bad_service_name_is_refused(in_tmp: Path) -> None:
    result = CliRunner().invoke(main, ["init", "shop", "--service", 'api"x'])
    assert result.exit_code == 2
    assert ("service name 'api\"x' becomes the job name the queries select: use letters, digits, '-', '_' and "
            "'.', starting with a letter; e.g. 'api-x'") in result.output


def test_out_folder_must_be_named_after_the_stack(in_tmp: Path) -> None:
    result = CliRunner().invoke(main, ["init", "shop", "--out", "elsewhere/store"])
    assert result.exit_code == 2
    assert ("--out elsewhere/store must be a folder named 'shop': a stack's folder name is its name "
            "(the stack in it builds Stack(name='shop'))") in result.output
    assert not (in_tmp / "elsewhere").exists()


def test_a_file_in_the_way_is_refused_even_with_force(in_tmp: Path) -> None:
    (in_tmp / "stacks").mkdir()
    (in_tmp / "stacks" / "shop").write_text("not a folder\n")
    result = CliRunner().invoke(main, ["init", "shop", "--force"])
    assert result.exit_code == 2
    assert "stacks/shop is a file, not a folder; nothing written" in result.output
