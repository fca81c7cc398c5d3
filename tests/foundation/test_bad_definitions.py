"""A table of bad definitions: each fails with the right exit code, names the object and
the field, and leaves the output untouched."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from obscode.cli import main

BASE = {
    "JOBS": 'ScrapeConfig(job_name="api", scrape_interval="5s", static_configs=[StaticConfig(targets=["api:8000"])])',
    "GLOBAL": 'GlobalConfig(scrape_interval="15s", evaluation_interval="15s")',
    "RULES": (
        'AlertRule(alert="ServiceDown", expr="up == 0", for_="1m", labels={"severity": "warning"}, '
        'annotations={"summary": "{{ $labels.job }} is down", "description": "Down for 1 minute"}), '
        'AlertRule(alert="ServiceDown", expr="up == 0", for_="5m", labels={"severity": "critical"}, '
        'annotations={"summary": "{{ $labels.job }} is down", "description": "Down for 5 minutes"})'
    ),
    "GROUPS": 'RuleGroup(name="system", rules=[RULES])',
    "FILES": 'RuleFile(name="system_alerts", groups=[GROUPS])',
    "ROUTES": 'Route(match={"severity": "critical"}, receiver="pager")',
    "RECEIVERS": (
        'Receiver(name="team-email", email_configs=[EmailConfig(to="team@example.com")]), '
        'Receiver(name="pager", pagerduty_configs=[PagerdutyConfig(service_key=SecretRef(file="/etc/am/pd-key"))])'
    ),
    "INHIBIT": 'InhibitRule(source_match={"severity": "critical"}, target_match={"severity": "warning"}, equal=["alertname"])',
    "INTERVALS": "",
}

TEMPLATE = """
from obscode import *

stack = Stack(
    name="bad",
    prometheus=PrometheusConfig(
        global_=GLOBAL,
        scrape_configs=[JOBS],
        alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=["am:9093"])])],
    ),
    rule_files=[FILES],
    alertmanager=AlertmanagerConfig(
        global_=AlertmanagerGlobal(smtp_smarthost="smtp.example.com:587", smtp_from="am@example.com"),
        route=Route(receiver="team-email", routes=[ROUTES]),
        receivers=[RECEIVERS],
        inhibit_rules=[INHIBIT],
        time_intervals=[INTERVALS],
    ),
)
"""


def render_stack(**overrides: str) -> str:
    parts = {**BASE, **overrides}
    source = TEMPLATE
    # Expand nested placeholders: FILES contains GROUPS contains RULES.
    for key in ("FILES", "GROUPS", "RULES", "JOBS", "GLOBAL", "ROUTES", "RECEIVERS", "INHIBIT", "INTERVALS"):
        source = source.replace(key, parts[key])
    return textwrap.dedent(source)


@dataclass
class Case:
    id: str
    overrides: dict[str, str]
    exit_code: int
    expect: list[str] = field(default_factory=list)


CASES = [
    Case("duration with spaces", {"RULES": 'AlertRule(alert="A", expr="up == 0", for_="5 minutes")'}, 2,
         ["alert A", "'for'", "not a Prometheus duration"]),
    Case("duration with unknown unit", {"RULES": 'AlertRule(alert="A", expr="up == 0", for_="5x")'}, 2,
         ["alert A", "'for'", "'5x'"]),
    Case("units out of order", {"RULES": 'AlertRule(alert="A", expr="up == 0", for_="30m1h")'}, 2,
         ["alert A", "'for'"]),
    Case("bad keep_firing_for", {"RULES": 'AlertRule(alert="A", expr="up == 0", keep_firing_for="1 h")'}, 2,
         ["alert A", "'keep_firing_for'"]),
    Case("bad PromQL bracket", {"RULES": 'AlertRule(alert="A", expr="rate(x[5m) > 1")'}, 2,
         ["alert A", "'expr'", "PromQL syntax error"]),
    Case("bad PromQL unknown function", {"RULES": 'AlertRule(alert="A", expr="rates(x[5m]) > 1")'}, 2,
         ["alert A", "'expr'", "PromQL syntax error"]),
    Case("empty expr", {"RULES": 'AlertRule(alert="A", expr="  ")'}, 2, ["alert A", "'expr'", "empty"]),
    Case("bad recording rule PromQL", {"RULES": 'RecordingRule(record="job:x:rate5m", expr="sum(rate(x[5m])")'}, 2,
         ["recording rule job:x:rate5m", "'expr'", "PromQL syntax error"]),
    Case("bad record name", {"RULES": 'RecordingRule(record="job x", expr="up")'}, 2,
         ["recording rule job x", "'record'"]),
    Case("empty alert name", {"RULES": 'AlertRule(alert="", expr="up == 0")'}, 2, ["alert", "'alert'", "alert name is empty"]),
    Case("__name__ label", {"RULES": 'AlertRule(alert="A", expr="up == 0", labels={"__name__": "x"})'}, 2,
         ["alert A", "'labels'", "would rename the series"]),
    Case("same alert twice in a group",
         {"RULES": 'AlertRule(alert="A", expr="up == 0", labels={"severity": "critical"}), '
                   'AlertRule(alert="A", expr="up==0", labels={"severity": "critical"})'}, 2,
         ["rule group system", "'rules'", "defined twice in this group with the same labels and expression"]),
    Case("empty group name", {"GROUPS": 'RuleGroup(name="", rules=[RULES])'}, 2,
         ["rule group", "'name'", "group name is empty; name the group"]),
    Case("duplicate group name",
         {"FILES": 'RuleFile(name="a", groups=[RuleGroup(name="g", rules=[AlertRule(alert="A", expr="up")])]),'
                   ' RuleFile(name="b", groups=[RuleGroup(name="g", rules=[AlertRule(alert="B", expr="up")])])'}, 2,
         ["stack bad", "'rule_files'", "rule group 'g'"]),
    Case("unknown field on alert", {"RULES": 'AlertRule(alert="A", expr="up == 0", severity="critical")'}, 2,
         ["alert A", "'severity'", "unknown field"]),
    Case("unknown receiver", {"ROUTES": 'Route(match={"severity": "critical"}, receiver="pagr")'}, 2,
         ["alertmanager config", "'pagr'", "not defined"]),
    Case("duplicate receiver",
         {"RECEIVERS": 'Receiver(name="team-email", email_configs=[EmailConfig(to="a@example.com")]),'
                       ' Receiver(name="team-email", email_configs=[EmailConfig(to="b@example.com")]),'
                       ' Receiver(name="pager")'}, 2,
         ["alertmanager config", "receiver 'team-email'", "more than once"]),
    Case("literal PagerDuty key", {"RECEIVERS": 'Receiver(name="team-email"), Receiver(name="pager", '
                                                'pagerduty_configs=[PagerdutyConfig(service_key="a8f5f167f44f4964e6c998dee827110c")])'}, 2,
         ["pagerduty_config", "'service_key'", "literal secret", "SecretRef(file="]),
    Case("literal Slack webhook", {"RECEIVERS": 'Receiver(name="team-email"), Receiver(name="pager", slack_configs=['
                                                'SlackConfig(api_url="https://hooks.slack.com/services/T00/B00/XXXXXXXX")])'}, 2,
         ["slack_config", "'api_url'", "literal secret"]),
    Case("placeholder secret from the seed", {"RECEIVERS": 'Receiver(name="team-email"), Receiver(name="pager", '
                                                           'pagerduty_configs=[PagerdutyConfig(service_key="<pagerduty-service-key>")])'}, 2,
         ["pagerduty_config", "'service_key'", "literal secret"]),
    Case("secret file that is a URL", {"RECEIVERS": 'Receiver(name="team-email"), Receiver(name="pager", slack_configs=['
                                                    'SlackConfig(api_url=SecretRef(file="https://hooks.slack.com/services/T/B/X"))])'}, 2,
         ["secret reference", "not the secret"]),
    Case("webhook URL with token", {"RECEIVERS": 'Receiver(name="team-email"), Receiver(name="pager", webhook_configs=['
                                                 'WebhookConfig(url="https://alerts.example.com/hook?token=abc123")])'}, 2,
         ["webhook_config", "'url'", "carries a token"]),
    Case("env secret where Alertmanager cannot expand it",
         {"RECEIVERS": 'Receiver(name="team-email"), Receiver(name="pager", pagerduty_configs=['
                       'PagerdutyConfig(service_key=SecretRef(env="PD_KEY"))])'}, 2,
         ["does not expand environment variables", "SecretRef(file=...)"]),
    Case("scrape_timeout > scrape_interval",
         {"JOBS": 'ScrapeConfig(job_name="api", scrape_interval="5s", scrape_timeout="10s", '
                  'static_configs=[StaticConfig(targets=["api:8000"])])'}, 2,
         ["scrape job api", "scrape_timeout 10s is longer than scrape_interval 5s"]),
    Case("global timeout > interval", {"GLOBAL": 'GlobalConfig(scrape_interval="15s", scrape_timeout="20s")'}, 2,
         ["global", "scrape_timeout 20s"]),
    Case("unknown relabel action",
         {"JOBS": 'ScrapeConfig(job_name="k", static_configs=[StaticConfig(targets=["a:1"])], '
                  'relabel_configs=[RelabelConfig(action="rename", source_labels=["a"], target_label="b")])'}, 2,
         ["relabel_config", "'action'", "unknown relabel action 'rename'", "labelmap"]),
    Case("regex that does not compile",
         {"JOBS": 'ScrapeConfig(job_name="k", static_configs=[StaticConfig(targets=["a:1"])], '
                  'relabel_configs=[RelabelConfig(source_labels=["__address__"], regex="(.*:10250", target_label="x")])'}, 2,
         ["relabel_config", "'regex'", "does not compile"]),
    Case("replace without target_label",
         {"JOBS": 'ScrapeConfig(job_name="k", static_configs=[StaticConfig(targets=["a:1"])], '
                  'relabel_configs=[RelabelConfig(source_labels=["a"], action="replace")])'}, 2,
         ["relabel_config", "needs target_label"]),
    Case("hashmod without modulus",
         {"JOBS": 'ScrapeConfig(job_name="k", static_configs=[StaticConfig(targets=["a:1"])], '
                  'relabel_configs=[RelabelConfig(source_labels=["a"], action="hashmod", target_label="s")])'}, 2,
         ["relabel_config", "modulus"]),
    Case("target with scheme",
         {"JOBS": 'ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["http://api:8000"])])'}, 2,
         ["static_config", "'targets'", "host:port"]),
    Case("job without targets", {"JOBS": 'ScrapeConfig(job_name="api")'}, 2,
         ["scrape job api", "needs targets"]),
    Case("duplicate job name",
         {"JOBS": 'ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["a:1"])]), '
                  'ScrapeConfig(job_name="api", static_configs=[StaticConfig(targets=["b:1"])])'}, 2,
         ["prometheus config", "'api' is used twice"]),
    Case("bad matcher", {"ROUTES": 'Route(matchers=["severity critical"], receiver="pager")'}, 2,
         ["route", "'matchers'", "not of the form"]),
    Case("bad matcher regex", {"ROUTES": 'Route(matchers=[\'service=~"api("\'], receiver="pager")'}, 2,
         ["matcher", "does not compile"]),
    Case("inhibit rule without target", {"INHIBIT": 'InhibitRule(source_match={"severity": "critical"})'}, 2,
         ["inhibit rule", "source_matchers and target_matchers"]),
    Case("undefined time interval",
         {"ROUTES": 'Route(match={"severity": "critical"}, receiver="pager", mute_time_intervals=["offhours"])'}, 2,
         ["'offhours'", "not defined"]),
    Case("bad route duration", {"ROUTES": 'Route(match={"severity": "critical"}, receiver="pager", group_wait="30 s")'}, 2,
         ["route", "'group_wait'"]),
    Case("webhook url_file on the default Alertmanager 0.25",
         {"RECEIVERS": 'Receiver(name="team-email", webhook_configs=[WebhookConfig(url_file=SecretRef(file="/etc/am/url"))]), '
                       'Receiver(name="pager")'}, 2,
         ["webhook_config in receiver team-email", "'url_file'", "needs Alertmanager >= 0.26; the stack targets 0.25"]),
    Case("email without SMTP", {"RECEIVERS": 'Receiver(name="team-email", email_configs=[EmailConfig(to="x")]), Receiver(name="pager")'}, 2,
         ["email_config", "'to'", "not an e-mail address"]),
]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    out = tmp_path / "generated"
    (out / "bad").mkdir(parents=True)
    (out / "bad" / "sentinel.yml").write_text("unchanged\n")
    return out


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_definition_is_refused(case: Case, tmp_path: Path, out_dir: Path) -> None:
    stack_file = tmp_path / "bad.py"
    stack_file.write_text(render_stack(**case.overrides))
    before = snapshot(out_dir)
    result = CliRunner().invoke(main, ["generate", str(stack_file), "--out", str(out_dir)])
    assert result.exit_code == case.exit_code, result.output
    message = result.output
    assert "stack bad" in message
    for fragment in case.expect:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "bad.py:" in message, "the message points at the definition's file and line"
    assert snapshot(out_dir) == before


def test_the_base_stack_is_valid(tmp_path: Path, out_dir: Path) -> None:
    """The table's template itself generates, so each case fails for its own reason."""
    stack_file = tmp_path / "bad.py"
    stack_file.write_text(render_stack())
    result = CliRunner().invoke(main, ["generate", str(stack_file), "--out", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert (out_dir / "bad" / "prometheus" / "prometheus.yml").is_file()
    assert not (out_dir / "bad" / "sentinel.yml").exists(), "the stack folder is replaced whole"


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25
