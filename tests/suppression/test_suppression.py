"""Suppressing findings: inline comments, ignore= on objects and dashboards, and the
summary that counts what was hidden."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from obscode.checks import Problem
from obscode.cli import main
from obscode.errors import SourceLocation
from obscode.suppression import Suppressor, parse_comment

HEAD = '''from obscode import *

def receiver(name):
    return Receiver(name=name, webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/" + name)])

'''
STACK = HEAD + '''stack = Stack(
    name="spare",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])],
                                alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["am:9093"])])]),
    job_catalogs={{"api": ["instrumentation-http"]}},
    rule_files=[RuleFile(name="r", groups=[RuleGroup(name="g", rules=[
        AlertRule(alert="Down", expr='up{{cluster="a"}} == 0', labels={{"severity": "warning"}},
                  annotations={{"summary": "s", "description": "d"}}),{rule_comment}
    ]{group_ignore})])],
    alertmanager=AlertmanagerConfig(
        route=Route(receiver="default"),
        receivers=[
            Receiver(name="default", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/hook")]),{above}
            Receiver(name="forgotten", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/other")]{receiver_ignore}),{inline}
        ],
    ),
)
'''


def _write(tmp_path: Path, **parts: str) -> Path:
    values = {"rule_comment": "", "group_ignore": "", "above": "", "receiver_ignore": "", "inline": ""}
    values.update(parts)
    path = tmp_path / "spare.py"
    path.write_text(STACK.format(**values))
    return path


def _check(path: Path, *args: str):
    return CliRunner().invoke(main, ["check", str(path), "--no-tools", *args])


def test_without_suppression_both_findings_show(tmp_path: Path) -> None:
    result = _check(_write(tmp_path))
    assert result.exit_code == 1
    assert "receiver forgotten" in result.stdout and "label cluster" in result.stdout
    assert "checked spare: 1 error(s), 1 warning(s)\n" in result.stderr


def test_inline_comment_on_the_object_line_hides_its_finding(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, inline="  # obscode: ignore alertmanager/receivers -- kept for the migration"))
    assert "receiver forgotten" not in result.stdout
    assert "checked spare: 1 error(s), 0 warning(s), 1 suppressed (1 by inline comment)" in result.stderr


def test_inline_comment_alone_on_the_line_above_hides_the_finding(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, above="\n            # obscode: ignore alertmanager/receivers"))
    assert "receiver forgotten" not in result.stdout
    assert "1 suppressed (1 by inline comment)" in result.stderr


def test_trailing_comment_of_the_previous_object_does_not_hide_the_next(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, above="  # obscode: ignore alertmanager/receivers"))
    assert "receiver forgotten" in result.stdout


def test_inline_comment_for_another_check_hides_nothing(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, inline="  # obscode: ignore catalog/metric, catalog/label"))
    assert "receiver forgotten" in result.stdout and "suppressed" not in result.stderr


def test_inline_comment_without_ids_hides_every_check(tmp_path: Path) -> None:
    path = _write(tmp_path)
    text = path.read_text().replace("""        AlertRule(alert="Down",""", """        # obscode: ignore
        AlertRule(alert="Down",""")
    path.write_text(text)
    result = _check(path)
    assert result.exit_code == 0, result.output
    assert "label cluster" not in result.stdout and "1 suppressed (1 by inline comment)" in result.stderr


def test_inline_comment_naming_an_unknown_check_says_so(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, inline="  # obscode: ignore alertmanager/receiver"))
    assert "receiver forgotten" in result.stdout
    assert "spare.py:19: # obscode: ignore names 'alertmanager/receiver' is not a check id; " \
           "did you mean alertmanager/receivers?" in result.stderr


def test_ignore_field_on_an_object_hides_its_findings(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, receiver_ignore=', ignore=["alertmanager/receivers"]'))
    assert "receiver forgotten" not in result.stdout
    assert "1 suppressed (1 by ignore=)" in result.stderr


def test_ignore_field_on_a_group_covers_its_rules(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, group_ignore=', ignore=["catalog/label"]'))
    assert result.exit_code == 0, result.output
    assert "label cluster" not in result.stdout and "1 suppressed (1 by ignore=)" in result.stderr


def test_ignore_field_spares_objects_built_on_the_same_line(tmp_path: Path) -> None:
    path = _write(tmp_path)
    text = path.read_text().replace(
        """            Receiver(name="forgotten", webhook_configs=[WebhookConfig(url="http://127.0.0.1:9/other")]),""",
        """            receiver("forgotten"), receiver("spare"),""").replace(
        'return Receiver(name=name,', 'return Receiver(name=name, ignore=["alertmanager/receivers"] if name == "spare" else [],')
    path.write_text(text)
    result = _check(path)
    assert "receiver forgotten" in result.stdout and "receiver spare" not in result.stdout


def test_ignore_field_with_an_unknown_check_id_is_a_definition_error(tmp_path: Path) -> None:
    result = _check(_write(tmp_path, receiver_ignore=', ignore=["alertmanager/recievers"]'))
    assert result.exit_code == 2
    assert "receiver forgotten, field 'ignore': 'alertmanager/recievers' is not a check id; did you mean " \
           "alertmanager/receivers? known checks: alertmanager/receivers," in result.stderr


def test_ignore_is_never_written_to_the_output(tmp_path: Path) -> None:
    path = _write(tmp_path, receiver_ignore=', ignore=["alertmanager/receivers"]')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", str(path), "--out", str(out)])
    assert result.exit_code == 1  # the label error is not suppressed: nothing written
    result = CliRunner().invoke(main, ["generate", str(path), "--out", str(out), "--no-checks"])
    assert result.exit_code == 0, result.output
    assert "ignore" not in (out / "spare" / "alertmanager" / "alertmanager.yml").read_text()


def test_generate_honours_suppression(tmp_path: Path) -> None:
    path = _write(tmp_path, group_ignore=', ignore=["catalog/label"]')
    result = CliRunner().invoke(main, ["generate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def _dashboard_stack(tmp_path: Path, ignore: str) -> Path:
    path = tmp_path / "dash.py"
    path.write_text(f'''from obscode import *

stack = Stack(
    name="dash",
    prometheus=PrometheusConfig(scrape_configs=[ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["api:8000"])])]),
    job_catalogs={{"api": ["instrumentation-http"]}},
    dashboards=[{{"uid": "api", "title": "API", "panels": [{{"type": "timeseries", "title": "Up",
                  "gridPos": {{"x": 0, "y": 0, "w": 12, "h": 8}},
                  "targets": [{{"refId": "A", "expr": 'up{{cluster="a"}}'}}]}}]}}],
    {ignore}
)
''')
    return path


def test_dashboard_ignore_hides_a_dashboards_findings(tmp_path: Path) -> None:
    shown = _check(_dashboard_stack(tmp_path, ""))
    assert 'dashboard api panel "Up" target A' in shown.stdout and "label cluster" in shown.stdout
    hidden = _check(_dashboard_stack(tmp_path, 'dashboard_ignore={"api": ["catalog/label"]},'))
    assert "label cluster" not in hidden.stdout
    assert "1 suppressed (1 by dashboard_ignore)" in hidden.stderr


def test_dashboard_ignore_naming_no_dashboard_is_a_warning(tmp_path: Path) -> None:
    result = _check(_dashboard_stack(tmp_path, 'dashboard_ignore={"apii": ["catalog/label"]},'))
    assert "warning: stack dash: dashboard_ignore names dashboard 'apii', which the stack does not have" \
           in result.stderr


def test_yaml_comment_hides_a_finding_that_points_into_yaml(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("groups:\n  - name: g\n    rules:\n"
                     "      # obscode: ignore catalog/metric\n"
                     "      - alert: Gone\n        expr: node_gone == 1\n"
                     "      - alert: Other  # obscode: ignore catalog/label, catalog/metric\n        expr: x == 1\n"
                     "      - alert: Shown\n        expr: y == 1\n")
    from obscode import Stack

    suppressor = Suppressor(Stack(name="s"))

    def finding(line: int, check: str = "catalog/metric") -> Problem:
        return Problem(check, "s", "prometheus/rules/r.yml", "alert X (group g)", "m", source=SourceLocation(str(rules), line))

    assert suppressor.why(finding(5)) == "inline comment"
    assert suppressor.why(finding(7)) == "inline comment"
    assert suppressor.why(finding(7, "promql/rate")) is None
    assert suppressor.why(finding(9)) is None


def test_comment_grammar() -> None:
    assert parse_comment("x = 1  # obscode: ignore").ids == ()  # type: ignore[union-attr]
    assert parse_comment("# obscode: ignore catalog/metric,catalog/label -- why").ids == (  # type: ignore[union-attr]
        "catalog/metric", "catalog/label")
    assert parse_comment("# obscode:ignore  promql/rate").ids == ("promql/rate",)  # type: ignore[union-attr]
    assert parse_comment("# nothing to see") is None


def test_json_lists_every_finding_with_its_group(tmp_path: Path) -> None:
    result = _check(_write(tmp_path), "--format", "json")
    payload = json.loads(result.stdout)
    assert {p["check"] for p in payload} == {"alertmanager/receivers", "catalog/label"}
    label = next(p for p in payload if p["check"] == "catalog/label")
    assert label["cause"] == "label cluster is not emitted by job api"
    assert label["group"] == "spare:catalog/label:error:label cluster is not emitted by job api"
