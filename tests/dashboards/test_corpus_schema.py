"""dashboard/schema on published dashboards (../shared/corpus/mixins/*/dashboards/*, about 100
public mixins): no false errors. The only errors are the two known true ones, two targets whose
format is 'timeseries' (Grafana's Prometheus query knows time_series, table and heatmap);
what Grafana ignores or converts stays a warning."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from obscode.checks import CheckContext, dashboard_schema
from obscode.emit.grafana import emit
from obscode.stack import Stack
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus" / "mixins"
KNOWN_TRUE_ERRORS = [
    ("targets[0].format", "Input should be 'time_series', 'table' or 'heatmap' (got 'timeseries')"),
] * 2


def corpus_findings() -> list[tuple[str, dashboard_schema.Problem]]:
    files = sorted(p for p in CORPUS.glob("*/dashboards/*") if p.is_file())
    if not files:
        pytest.skip(f"no corpus at {CORPUS}")
    out = []
    for path in files:
        raw = json.loads(path.read_text())
        raw.setdefault("uid", "corpus")
        stack = Stack(name="corpus", dashboards=[raw])
        out += [(path.relative_to(CORPUS).as_posix(), p) for p in dashboard_schema.run(CheckContext(stack, emit(stack)))]
    return out


@pytest.fixture(scope="module")
def findings() -> list[tuple[str, dashboard_schema.Problem]]:
    return corpus_findings()


def test_the_corpus_has_no_false_schema_errors(findings) -> None:
    errors = [(p.field, p.message) for _, p in findings if p.severity == "error"]
    assert errors == KNOWN_TRUE_ERRORS


def test_no_misspelling_is_suggested_on_the_corpus(findings) -> None:
    assert [m for _, p in findings if "did you mean" in (m := p.message)] == []


def test_what_grafana_ignores_is_reported_as_warnings(findings) -> None:
    kinds = collections.Counter(p.message.split(":")[0].split(";")[0] for _, p in findings if p.severity == "warning")
    assert kinds["panel type 'graph' is deprecated"] > 500
    assert kinds["key 'yaxes' is a legacy key"] > 200


def test_a_schema_version_41_dashboard_is_written_as_41() -> None:
    files = [p for p in sorted(CORPUS.glob("*/dashboards/*")) if p.is_file()
             and json.loads(p.read_text()).get("schemaVersion") == 41]
    if not files:
        pytest.skip("no schemaVersion 41 dashboard in the corpus")
    raw = json.loads(files[0].read_text())
    written = json.loads(next(iter(v for k, v in emit(Stack(name="c", dashboards=[raw])).items()
                                   if k.startswith("grafana/dashboards/"))))
    assert written["schemaVersion"] == 41
