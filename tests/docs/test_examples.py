"""Every Python example in README.md and docs/ runs against the code as it is.

A page's blocks run in order in one namespace (after ``from obscode import *``), in a process of
their own (tests/docs/run_page.py) in a temporary working directory. A block marked
``<!-- not-run: why -->`` is reported as skipped with its reason.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.docs.examples import blocks, pages

PAGES = [p for p in pages() if any(not b.not_run for b in blocks(p))]
NOT_RUN = [b for p in pages() for b in blocks(p) if b.not_run]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_examples_run(page, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "tests.docs.run_page", str(page)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(done.stderr[-4000:], pytrace=False)


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda b: b.where)
def test_not_run_examples_are_reported(block):
    assert block.not_run.strip(), f"{block.where}: say why the block is not run: <!-- not-run: why -->"
    pytest.skip(f"{block.where} not run: {block.not_run}")


def test_examples_are_found():
    every = [b for p in pages() for b in blocks(p)]
    assert len(every) >= 40, f"only {len(every)} python blocks found in README.md and docs/"
    assert any(b.page == "README.md" for b in every)


def test_a_failing_example_names_its_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```python\nrule = AlertRule(alert='A', expr='up ==')\n```\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.docs.run_page", str(page)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "the example at page.md:3 fails: obscode.errors.DefinitionError" in done.stderr
    assert "PromQL syntax error" in done.stderr


def test_a_not_run_marker_is_read_across_blank_lines(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- not-run: pseudo-code -->\n\n```python\nStack(...,)\n```\n\n```python\nx = 1\n```\n")
    assert [(b.line, b.not_run) for b in blocks(page)] == [(3, "pseudo-code"), (7, "")]
