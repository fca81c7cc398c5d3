"""One alert name for several rules in a group (the mixins' warning/critical pair) loads and
passes promtool; the same alert twice (name, labels and expression) is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from obscode.errors import DefinitionError
from obscode.emit.prometheus import rule_file_data
from obscode.model.rules import AlertRule, RuleFile, RuleGroup
from tests.conftest import require_tool


def pair() -> list[AlertRule]:
    return [
        AlertRule(alert="NodeFilesystemSpaceFillingUp", expr="node_filesystem_avail_bytes < 0.4",
                  for_="1h", labels={"severity": "warning"}),
        AlertRule(alert="NodeFilesystemSpaceFillingUp", expr="node_filesystem_avail_bytes < 0.2",
                  for_="1h", labels={"severity": "critical"}),
    ]


def test_warning_critical_pair_under_one_name_loads_and_promtool_accepts_it(tmp_path: Path) -> None:
    rule_file = RuleFile(name="node", groups=[RuleGroup(name="node", rules=pair())])
    path = tmp_path / "node.yml"
    path.write_text(yaml.safe_dump(rule_file_data(rule_file), sort_keys=False))
    proc = subprocess.run([require_tool("promtool"), "check", "rules", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 2 rules found" in proc.stdout


def test_same_name_and_labels_with_another_expression_loads() -> None:
    rules = [AlertRule(alert="Down", expr="up == 0"), AlertRule(alert="Down", expr="absent(up)")]
    assert len(RuleGroup(name="g", rules=rules).rules) == 2


def test_same_alert_twice_is_refused_even_when_laid_out_differently() -> None:
    rules = [AlertRule(alert="Down", expr="up == 0", labels={"severity": "critical"}),
             AlertRule(alert="Down", expr="up   ==   0", labels={"severity": "critical"},
                       annotations={"summary": "other text"})]
    with pytest.raises(DefinitionError) as caught:
        RuleGroup(name="g", rules=rules)
    assert str(caught.value) == (
        "rule group g, field 'rules': alert 'Down' is defined twice in this group with the same labels and "
        "expression: both copies make one alert; remove one, or tell them apart by a label such as severity")


def test_an_empty_group_loads_as_promtool_accepts_it(tmp_path: Path) -> None:
    rule_file = RuleFile(name="empty", groups=[RuleGroup(name="thanos-bucket-replicate.rules", rules=[])])
    path = tmp_path / "empty.yml"
    path.write_text(yaml.safe_dump(rule_file_data(rule_file), sort_keys=False))
    proc = subprocess.run([require_tool("promtool"), "check", "rules", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "SUCCESS: 0 rules found" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("name, accepted", [("", False), (" ", True), ("node.rules", True)])
def test_group_name_accepted_exactly_when_promtool_accepts_it(name: str, accepted: bool, tmp_path: Path) -> None:
    path = tmp_path / "g.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": name, "rules": [{"record": "r", "expr": "up"}]}]}))
    proc = subprocess.run([require_tool("promtool"), "check", "rules", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode == 0) is accepted
    try:
        RuleGroup(name=name, rules=[AlertRule(alert="A", expr="up")])
    except DefinitionError:
        assert not accepted
    else:
        assert accepted
