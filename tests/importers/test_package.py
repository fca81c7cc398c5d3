"""The stack package imports write: composition, overwrite refusal, catalog suggestions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.importers.helpers import generated, imported, obscode, tree, write
from tests.importers.test_alertmanager import CONFIG as ALERTMANAGER
from tests.importers.test_dashboards import DASHBOARD
from tests.importers.test_prometheus import CONFIG as PROMETHEUS
from tests.importers.test_rules import ALERTS


def test_imports_of_every_kind_compose_into_one_stack(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=stack)
    imported("dashboard", write(tmp_path / "d.json", json.dumps(DASHBOARD)), stack=stack)
    imported("alertmanager", write(tmp_path / "am.yml", ALERTMANAGER), stack=stack)
    imported("prometheus", write(tmp_path / "prometheus.yml", PROMETHEUS), stack=stack)
    init = (stack / "__init__.py").read_text()
    assert ("from .scrape import prometheus\nfrom .rules import rule_files\nfrom .alertmanager import alertmanager\n"
            "from .dashboards import dashboards\nfrom .catalogs import job_catalogs, target_labels\n") in init
    out = generated(stack, tmp_path / "out")
    assert {"prometheus/prometheus.yml", "prometheus/rules/alerts.yml", "alertmanager/alertmanager.yml",
            "grafana/dashboards/node-overview.json"} <= set(tree(out))


def test_a_rules_only_stack_has_no_prometheus(tmp_path: Path) -> None:
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=tmp_path / "stack")
    assert "    prometheus=None,\n" in (tmp_path / "stack" / "__init__.py").read_text()


def test_an_existing_module_is_not_overwritten_without_force(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=stack)
    before = tree(stack)
    other = write(tmp_path / "other.yaml", "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n")
    result = obscode("import", "rules", other, "--stack", "stack", "--out", stack)
    assert result.exit_code == 2
    assert f"error: {stack / 'rules.py'} already exists; nothing written: pass --force to replace, or choose another --out" \
        in result.output
    assert tree(stack) == before


def test_force_replaces_an_existing_module(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=stack)
    imported("rules", write(tmp_path / "other.yaml", "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n"),
             stack=stack, force=True)
    assert "other = RuleFile(" in (stack / "rules.py").read_text()


def test_importing_the_same_dashboard_again_changes_nothing(tmp_path: Path) -> None:
    source = write(tmp_path / "d.json", json.dumps(DASHBOARD))
    imported("dashboard", source, stack=tmp_path / "stack")
    before = tree(tmp_path / "stack")
    imported("dashboard", source, stack=tmp_path / "stack")
    assert tree(tmp_path / "stack") == before


def test_a_changed_dashboard_of_the_same_uid_is_not_overwritten_without_force(tmp_path: Path) -> None:
    imported("dashboard", write(tmp_path / "d.json", json.dumps(DASHBOARD)), stack=tmp_path / "stack")
    changed = write(tmp_path / "d.json", json.dumps({**DASHBOARD, "title": "Renamed"}))
    result = obscode("import", "dashboard", changed, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'stack' / 'dashboards' / 'node-overview.json'} already exists; nothing written" \
        in result.output


def test_an_init_file_the_importer_did_not_write_is_not_overwritten(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    write(stack / "__init__.py", "stack = None\n")
    result = obscode("import", "rules", write(tmp_path / "alerts.yaml", ALERTS), "--stack", "stack", "--out", stack)
    assert result.exit_code == 2
    assert "__init__.py already exists; nothing written" in result.output


def test_an_out_folder_named_otherwise_than_the_stack_is_refused(tmp_path: Path) -> None:
    result = obscode("import", "rules", write(tmp_path / "a.yaml", ALERTS), "--stack", "shop", "--out", tmp_path / "s")
    assert result.exit_code == 2
    assert f"would hold stack 'shop' in a folder named 's'; a stack's folder is named after it" in result.output
    assert f"give --out {tmp_path / 'shop'} or --stack s" in result.output
    assert not (tmp_path / "s").exists()


def test_a_bad_stack_name_is_refused(tmp_path: Path) -> None:
    result = obscode("import", "rules", write(tmp_path / "a.yaml", ALERTS), "--stack", "my stack", "--out", tmp_path / "s")
    assert result.exit_code == 2
    assert "error: --stack 'my stack': a stack name holds letters, digits" in result.output


def test_the_default_folder_is_stacks_name(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = write(tmp_path / "in" / "alerts.yaml", ALERTS)
    monkeypatch.chdir(tmp_path)
    result = obscode("import", "rules", source, "--stack", "shop")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "stacks" / "shop" / "rules.py").is_file()


def test_jobs_are_mapped_to_the_shipped_catalog_that_owns_their_metrics(tmp_path: Path) -> None:
    result = imported("rules", write(tmp_path / "alerts.yaml", ALERTS.replace('up{job="node"}', 'up{job="app"}')),
                      stack=tmp_path / "stack")
    assert "catalogs: job node -> node-exporter" in result.output
    assert "catalogs: no shipped catalog for job(s) app (build one with `obscode catalog scrape URL`)" in result.output
    assert 'job_catalogs = {"app": [], "node": ["node-exporter"]}' in (tmp_path / "stack" / "catalogs.py").read_text()


def test_a_job_without_a_catalog_keeps_metrics_no_catalog_lists_from_being_errors(tmp_path: Path) -> None:
    rules = ALERTS.replace('up{job="node"} == 0', 'up{job="app"} == 0 or app_queue_depth > 10')
    imported("rules", write(tmp_path / "alerts.yaml", rules), stack=tmp_path / "stack")
    result = obscode("check", "--no-tools", tmp_path / "stack")
    assert "error[catalog/metric]" not in result.output, result.output
    assert "app_queue_depth" in result.output  # named in the warning on what is not checked


def test_catalogs_of_jobs_that_are_not_scrape_jobs_are_left_out(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    imported("prometheus", write(tmp_path / "prometheus.yml", PROMETHEUS.replace("job_name: node", "job_name: hosts")),
             stack=stack)
    result = imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=stack)
    assert "job node is queried but is not a scrape job of scrape.py" in result.output
    generated(stack, tmp_path / "out")


def test_a_catalogs_module_edited_beyond_a_literal_is_kept(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=stack)
    edited = ('"""Catalogs, written by `obscode import` and edited."""\nfrom obscode.model.catalog import shipped\n\n'
              'job_catalogs = {"node": [shipped("node-exporter")]}\n')
    write(stack / "catalogs.py", edited)
    result = imported("rules", write(tmp_path / "alerts.yaml", ALERTS), stack=stack)
    assert (stack / "catalogs.py").read_text() == edited
    assert "catalogs.py is not a plain job_catalogs literal, so it is kept as it is; add by hand: node: ['node-exporter']" \
        in result.output
    generated(stack, tmp_path / "out")


def test_the_same_input_writes_the_same_files(tmp_path: Path) -> None:
    source = write(tmp_path / "alerts.yaml", ALERTS)
    am = write(tmp_path / "am.yml", ALERTMANAGER)
    for folder in ("a", "b"):
        imported("rules", source, stack=tmp_path / folder / "shop")
        imported("alertmanager", am, stack=tmp_path / folder / "shop")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_the_installed_command_imports(tmp_path: Path) -> None:
    source = write(tmp_path / "alerts.yaml", ALERTS)
    proc = subprocess.run([sys.executable, "-m", "obscode.cli_entry", "import", "rules", str(source),
                           "--stack", "stack", "--out", str(tmp_path / "stack")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "stack: wrote 3 file(s)" in proc.stdout


def test_target_labels_the_queries_use_become_the_stacks_target_labels(tmp_path: Path) -> None:
    rules = ALERTS.replace('up{job="node"} == 0', 'sum by (cluster) (up{job="node"}) == 0')
    imported("rules", write(tmp_path / "alerts.yaml", rules), stack=tmp_path / "stack")
    assert 'target_labels = ["cluster"]' in (tmp_path / "stack" / "catalogs.py").read_text()
    assert "    target_labels=target_labels,\n" in (tmp_path / "stack" / "__init__.py").read_text()
    result = obscode("check", "--no-tools", tmp_path / "stack")
    assert "label cluster" not in result.output, result.output
