"""The docs site builds with warnings as errors, and the API reference matches the code."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest
import yaml

import obscode
from obscode.model.catalog import Catalog
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def reference():
    """scripts/api_reference.py as a module."""
    spec = importlib.util.spec_from_file_location("api_reference", ROOT / "scripts" / "api_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_builds_with_warnings_as_errors(reference, tmp_path):
    """What `make docs` does, into a copy of docs/ (the reference pages are generated, never committed)."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("reference"))
    reference.write(docs / "reference")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    config.update(docs_dir=str(docs), site_dir=str(tmp_path / "site"))
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "reference" / "stack" / "index.html").is_file()
    assert (tmp_path / "site" / "catalog" / "index.html").is_file()


def test_the_reference_examples_run(reference, tmp_path):
    reference.write(tmp_path / "reference")
    for page in sorted((tmp_path / "reference").glob("*.md")):
        done = subprocess.run([sys.executable, "-m", "tests.docs.run_page", str(page)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-4000:]


def test_every_field_of_every_public_model_is_documented(reference):
    assert reference.problems() == [], "add a #: comment above each field (and an example to EXAMPLES)"


def test_every_exported_model_has_a_section_with_an_example(reference):
    pages = reference.render()
    text = "\n".join(pages.values())
    for name in obscode.__all__:
        assert f"\n## {name}\n" in text, f"{name} has no section in docs/reference/"
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert "```python" in section, f"{name} has no example in docs/reference/"


@pytest.mark.parametrize(("model", "python", "yaml"), [
    ("AlertRule", "for_", "for"), ("Route", "continue_", "continue"),
    ("AlertmanagerConfig", "global_", "global"), ("PrometheusConfig", "global_", "global"),
    ("EmailConfig", "from_", "from"),
])
def test_a_field_row_gives_its_python_and_yaml_names(reference, model, python, yaml):
    text = "\n".join(reference.render().values())
    section = text.split(f"\n## {model}\n", 1)[1].split("\n## ", 1)[0]
    assert f"| `{python}` | `{yaml}` |" in section


def test_a_row_gives_the_default_and_the_comment_above_the_field(reference):
    stack = reference.render()["stack.md"]
    row = next(line for line in stack.splitlines() if line.startswith("| `alert_for_max` "))
    assert "`'7d'`" in row and "the condition would have to hold unbroken that long" in row
    assert "| `name` | `name` | str | **required** |" in stack


def test_the_catalog_page_shows_the_catalog_json_schema(reference):
    page = reference.render()["catalog.md"]
    schema = page.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(schema) == Catalog.model_json_schema()


def test_an_undocumented_field_is_reported(reference):
    from pydantic import Field

    from obscode.model.base import Model

    class Probe(Model):
        #: Documented.
        documented: str = ""
        bare: str = Field(default="")

    comments = reference.field_comments(Probe)
    assert comments["documented"] == "Documented."
    assert "bare" not in comments
