"""obscode on real input: every mixin of the shared corpus imports, round-trips and is checked,
and the figures docs/real-world.md reports are the ones the committed code produces.

A finding of error severity that nobody has classified fails here: read it (its place is in
the message), decide whether the query really cannot work, and record the verdict with
``.venv/bin/python scripts/classify_findings.py`` (a new kind of mistake needs a reading there)."""

from __future__ import annotations

import os

import pytest

from tests.realworld import harness, report

#: The share of error findings that must be true (the issue's goal).
TRUE_SHARE = 0.95


@pytest.fixture(scope="module")
def results() -> tuple[harness.MixinResult, ...]:
    if not harness.mixins():
        message = f"the shared corpus is missing at {harness.CORPUS}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return harness.corpus_results()


def test_every_rule_of_the_corpus_is_imported_and_generated(results: tuple[harness.MixinResult, ...]) -> None:
    figures = harness.figures(list(results))
    assert figures.import_failures == []
    assert figures.rules_imported == figures.rules_in_input > 1000
    assert figures.dashboards >= 340


def test_nothing_is_lost_in_the_round_trip(results: tuple[harness.MixinResult, ...]) -> None:
    assert harness.figures(list(results)).roundtrip_differences == []


def test_promtool_accepts_every_generated_rule_file(results: tuple[harness.MixinResult, ...]) -> None:
    rejected = [f"{r.name}: {p.message}" for r in results for p in r.problems if p.check.startswith("tools/")]
    assert rejected == []


def test_every_error_finding_is_classified(results: tuple[harness.MixinResult, ...]) -> None:
    classification = harness.load_classification()
    unclassified = [f"{key}: {problem.location()}" for key, problem in sorted(harness.figures(list(results)).errors.items())
                    if (classification.get(key) or {}).get("verdict") not in (True, False)]
    assert unclassified == [], "classify them: .venv/bin/python scripts/classify_findings.py"


def test_at_least_95_percent_of_error_findings_are_true(results: tuple[harness.MixinResult, ...]) -> None:
    true, false, _missing = report.classified(harness.figures(list(results)), harness.load_classification())
    assert true + false >= 100
    assert true / (true + false) >= TRUE_SHARE


def test_docs_report_the_figures_of_the_committed_code(results: tuple[harness.MixinResult, ...]) -> None:
    rendered = report.render(harness.figures(list(results)), harness.load_classification())
    text = (harness.ROOT / "docs" / "real-world.md").read_text(encoding="utf-8")
    assert report.replace_figures(text, rendered) == text, "run .venv/bin/python scripts/real_world.py"
