"""Every Python example in README.md and docs/ runs against the code as it is.

A page's blocks run in order in one namespace (after ``from obscode import *``), in a temporary
working directory. A block marked ``<!-- not-run: why -->`` is reported as skipped with its reason.
"""

from __future__ import annotations

import os
import traceback

import pytest

from tests.conftest import ROOT
from tests.docs.examples import PREAMBLE, blocks, pages

PAGES = [p for p in pages() if any(not b.not_run for b in blocks(p))]
NOT_RUN = [b for p in pages() for b in blocks(p) if b.not_run]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    namespace: dict = {"__name__": "__docs_example__"}
    exec(PREAMBLE, namespace)
    for block in blocks(page):
        if block.not_run:
            continue
        try:
            exec(compile(block.code, block.where, "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - the report names the block
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            pytest.fail(f"the example at {block.where} fails: {detail}\n{block.code}", pytrace=False)


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda b: b.where)
def test_not_run_examples_are_reported(block):
    assert block.not_run.strip(), f"{block.where}: say why the block is not run: <!-- not-run: why -->"
    pytest.skip(f"{block.where} not run: {block.not_run}")


def test_examples_are_found():
    every = [b for p in pages() for b in blocks(p)]
    assert len(every) >= 40, f"only {len(every)} python blocks found in README.md and docs/"
    assert any(b.page == "README.md" for b in every)
    assert any(b.page.startswith("docs/reference/") for b in every)
