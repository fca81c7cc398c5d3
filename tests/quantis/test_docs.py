"""The docs say what the Quantis stack does (issue 18: the drift docs had drifted), and config.py
holds no threshold that nothing reads."""

from __future__ import annotations

import dataclasses
import re

import promql_parser

from stacks.quantis import stack
from stacks.quantis.config import Activity, DataQuality, MLOps, ModelHealth, Probes, Security, Thresholds
from stacks.quantis.demo import SCENARIOS
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def _rule(name: str):
    return next(rule for _file, rule in stack.alerts() if rule.alert == name)


def test_model_monitoring_shows_the_drift_rule_the_stack_has() -> None:
    text = (DOCS / "model-monitoring.md").read_text(encoding="utf-8")
    shown = re.search(r"- alert: DataDriftDetected.*\n\s+expr: (.+)\n", text)
    assert shown, "docs/model-monitoring.md shows no DataDriftDetected rule"
    assert str(promql_parser.parse(shown.group(1))) == str(promql_parser.parse(_rule("DataDriftDetected").expr))


def test_model_monitoring_lists_the_metric_the_drift_alert_reads() -> None:
    text = (DOCS / "model-monitoring.md").read_text(encoding="utf-8")
    assert "model_feature_drifted" in _rule("DataDriftDetected").expr
    assert re.search(r"^\| `model_feature_drifted\{feature_name\}` \| gauge \|", text, re.MULTILINE)


def test_catalog_docs_no_longer_claim_no_quantis_alert_changed() -> None:
    text = " ".join((DOCS / "catalog.md").read_text(encoding="utf-8").split())
    assert "No Quantis alert needed a change" not in text
    assert "max by (model_id, feature_name) (model_feature_drifted) == 1" in text


def test_every_threshold_in_config_is_read_by_the_stack() -> None:
    sources = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "stacks" / "quantis").rglob("*.py")
                        if path.name != "config.py")
    unused = [f"{section.__name__}.{f.name}"
              for section in (Thresholds, DataQuality, ModelHealth, MLOps, Security, Activity, Probes)
              for f in dataclasses.fields(section) if not re.search(rf"\.{f.name}\b", sources)]
    assert unused == []


def test_live_stack_docs_list_every_demo_scenario_with_its_alert() -> None:
    text = (DOCS / "live-stack.md").read_text(encoding="utf-8")
    table = text[text.index("| scenario | what it does | alert |"):]
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| ([^|]+) \|", table, re.MULTILINE))
    for name, (_fault, alert, _receivers) in SCENARIOS.items():
        assert name in rows, f"docs/live-stack.md has no row for the demo scenario {name}"
        assert alert in rows[name], f"docs/live-stack.md: scenario {name} fires {alert}, the row says {rows[name]}"
