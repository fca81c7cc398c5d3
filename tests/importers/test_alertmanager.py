"""`obscode import alertmanager`: typed receivers, routes and inhibit rules; secrets as files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from obscode.importers import roundtrip
from tests.conftest import require_tool
from tests.importers.helpers import generated, imported, load_yaml, obscode, tree, write

SLACK_URL = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx"
SERVICE_KEY = "0123456789abcdef0123456789abcdef"
SMTP_PASSWORD = "correct-horse-battery-staple-42"

CONFIG = f"""\
global:
  resolve_timeout: 5m
  smtp_smarthost: smtp.example.com:587
  smtp_from: alerts@example.com
  smtp_auth_username: alerts
  smtp_auth_password: {SMTP_PASSWORD}
route:
  receiver: team-email
  group_by: [alertname, cluster]
  group_wait: 30s
  routes:
  - match:
      severity: critical
    receiver: pager
    continue: true
  - matchers: ['team=~"data|ml"']
    receiver: data-science
    repeat_interval: 240m
receivers:
- name: team-email
  email_configs:
  - to: team@example.com
- name: pager
  pagerduty_configs:
  - service_key: {SERVICE_KEY}
- name: data-science
  slack_configs:
  - channel: '#ds'
    api_url: {SLACK_URL}
    send_resolved: true
  webhook_configs:
  - url: http://sink.local:9000/hook
inhibit_rules:
- source_match: {{severity: critical}}
  target_match_re: {{severity: warning|info}}
  equal: [alertname]
"""


def test_an_alertmanager_config_round_trips_through_generate(tmp_path: Path) -> None:
    source = write(tmp_path / "alertmanager.yml", CONFIG)
    imported("alertmanager", source, stack=tmp_path / "stack")
    out = generated(tmp_path / "stack", tmp_path / "out")
    assert roundtrip.alertmanager_differences(load_yaml(source), load_yaml(out / "alertmanager/alertmanager.yml")) == []  # type: ignore[arg-type]


def test_a_literal_secret_is_never_copied_into_code_or_output(tmp_path: Path) -> None:
    imported("alertmanager", write(tmp_path / "alertmanager.yml", CONFIG), stack=tmp_path / "stack")
    result = obscode("generate", tmp_path / "stack", "--no-checks", "--out", tmp_path / "out")
    written = {**tree(tmp_path / "stack"), **tree(tmp_path / "out")}
    for secret in (SLACK_URL, SERVICE_KEY, SMTP_PASSWORD, "hooks.slack.com"):
        assert not [path for path, content in written.items() if secret.encode() in content], secret
        assert secret not in result.output


def test_a_literal_secret_becomes_a_secret_file_with_a_comment_saying_what_goes_there(tmp_path: Path) -> None:
    result = imported("alertmanager", write(tmp_path / "alertmanager.yml", CONFIG), stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "alertmanager.py").read_text()
    assert ("                # Put the Slack webhook URL in this file (the value alone): the input had it written\n"
            "                # literally (alertmanager.yml:29), and secrets never go into code or generated\n"
            "                # files.\n"
            '                api_url=SecretRef(file="/etc/alertmanager/secrets/data-science-slack.api-url"),\n') in code
    assert "put it in /etc/alertmanager/secrets/pager-pagerduty.service-key" in result.output


def test_a_receiver_name_with_digits_still_gives_a_valid_secret_path(tmp_path: Path) -> None:
    source = write(tmp_path / "am.yml", "route: {receiver: oncall2024primary}\nreceivers:\n- name: oncall2024primary\n"
                                         f"  slack_configs:\n  - api_url: {SLACK_URL}\n")
    imported("alertmanager", source, stack=tmp_path / "stack")
    assert 'SecretRef(file="/etc/alertmanager/secrets/oncall2024primary-slack.api-url")' in \
        (tmp_path / "stack" / "alertmanager.py").read_text()


def test_legacy_match_becomes_matchers(tmp_path: Path) -> None:
    imported("alertmanager", write(tmp_path / "alertmanager.yml", CONFIG), stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "alertmanager.py").read_text()
    assert "Route(receiver=\"pager\", matchers=['severity=\"critical\"'], continue_=True)" in code
    assert "target_matchers=['severity=~\"warning|info\"']" in code


def test_a_secret_file_reference_is_kept_as_it_is(tmp_path: Path) -> None:
    source = write(tmp_path / "am.yml", "route: {receiver: p}\nreceivers:\n- name: p\n  pagerduty_configs:\n"
                                         "  - routing_key_file: /run/secrets/pd\n")
    imported("alertmanager", source, stack=tmp_path / "stack")
    assert 'routing_key=SecretRef(file="/run/secrets/pd")' in (tmp_path / "stack" / "alertmanager.py").read_text()


def test_a_field_obscode_cannot_express_is_an_error_at_its_line_and_nothing_is_written(tmp_path: Path) -> None:
    source = write(tmp_path / "am.yml", "route:\n  receiver: p\n  group_wait: soon\nreceivers:\n- name: p\n"
                                         "  mattermost_configs:\n  - webhook_url: x\n")
    result = obscode("import", "alertmanager", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "am.yml:3: error: route, field 'group_wait': 'soon' is not a Prometheus duration" in result.output
    assert ("am.yml:6: error: receiver p: field 'mattermost_configs' cannot be expressed by obscode's Receiver "
            "(it takes: discord_configs, email_configs, incidentio_configs, jira_configs, msteams_configs, ") in result.output
    assert not (tmp_path / "stack").exists()


def test_a_receiver_the_route_names_but_nobody_defines_is_an_error_at_the_config(tmp_path: Path) -> None:
    source = write(tmp_path / "am.yml", "route:\n  receiver: nobody\nreceivers:\n- name: p\n")
    result = obscode("import", "alertmanager", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code == 2
    assert "am.yml:1: error: alertmanager config, field 'route': route names receiver 'nobody'" in result.output


def test_amtool_accepts_the_generated_configuration(tmp_path: Path) -> None:
    amtool = require_tool("amtool")
    imported("alertmanager", write(tmp_path / "alertmanager.yml", CONFIG), stack=tmp_path / "stack")
    out = generated(tmp_path / "stack", tmp_path / "out")
    check = subprocess.run([amtool, "check-config", str(out / "alertmanager/alertmanager.yml")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_alertmanager_comparison_sees_a_changed_route() -> None:
    original = load_config()
    changed = load_config()
    changed["route"]["routes"][0]["receiver"] = "team-email"
    assert roundtrip.alertmanager_differences(original, changed) == [
        "alertmanager.route.routes[0].receiver: 'pager' became 'team-email'"]


def load_config() -> dict:  # type: ignore[type-arg]
    import yaml

    return yaml.safe_load(CONFIG)


INTEGRATIONS_CONFIG = """\
global:
  opsgenie_api_key: 0123456789abcdef0123456789abcdef
route:
  receiver: ops
receivers:
- name: ops
  opsgenie_configs:
  - message: '{{ .CommonLabels.alertname }}'
    source: prod
    responders:
    - name: sre
      type: team
    priority: P2
  msteams_configs:
  - webhook_url: https://example.webhook.office.com/webhookb2/abc?sig=0123456789abcdefABCDEF
    title: Alerts
  telegram_configs:
  - bot_token_file: /etc/alertmanager/telegram-token
    chat_id: -100123
    parse_mode: HTML
"""


def test_opsgenie_teams_and_telegram_round_trip_with_secrets_as_files(tmp_path: Path) -> None:
    source = write(tmp_path / "alertmanager.yml", INTEGRATIONS_CONFIG)
    imported("alertmanager", source, stack=tmp_path / "stack")
    code = (tmp_path / "stack" / "alertmanager.py").read_text()
    assert "0123456789abcdef" not in code and "sig=" not in code
    out = load_yaml(generated(tmp_path / "stack", tmp_path / "out") / "alertmanager/alertmanager.yml")
    assert out["global"] == {"opsgenie_api_key_file": "/etc/alertmanager/secrets/global.opsgenie-api-key"}  # type: ignore[index]
    assert out["receivers"] == [{  # type: ignore[index]
        "name": "ops",
        "opsgenie_configs": [{"message": "{{ .CommonLabels.alertname }}", "source": "prod",
                              "responders": [{"name": "sre", "type": "team"}], "priority": "P2",
                              "send_resolved": True}],
        "msteams_configs": [{"webhook_url_file": "/etc/alertmanager/secrets/ops-msteams.webhook-url", "title": "Alerts",
                             "send_resolved": True}],
        "telegram_configs": [{"bot_token_file": "/etc/alertmanager/telegram-token", "chat_id": -100123,
                              "parse_mode": "HTML", "send_resolved": True}],
    }]
    # The round-trip comparison knows every integration: secrets written as files compare equal.
    assert roundtrip.alertmanager_differences(load_yaml(source), out) == []  # type: ignore[arg-type]


def test_webex_and_jira_authentication_is_read_from_http_config(tmp_path: Path) -> None:
    source = write(tmp_path / "alertmanager.yml", """\
route: {receiver: ops}
receivers:
- name: ops
  webex_configs:
  - room_id: abc
    http_config: {authorization: {type: Bearer, credentials_file: /etc/am/webex}}
  jira_configs:
  - {api_url: 'https://example.atlassian.net', project: OPS, issue_type: Bug,
     http_config: {basic_auth: {username: bot, password_file: /etc/am/jira}}}
""")
    imported("alertmanager", source, stack=tmp_path / "stack")
    out = load_yaml(generated(tmp_path / "stack", tmp_path / "out") / "alertmanager/alertmanager.yml")
    receiver = out["receivers"][0]  # type: ignore[index]
    assert receiver["webex_configs"][0]["http_config"] == {"authorization": {"credentials_file": "/etc/am/webex"}}
    assert receiver["jira_configs"][0]["http_config"] == {"basic_auth": {"username": "bot", "password_file": "/etc/am/jira"}}


def test_http_config_beyond_authentication_is_reported(tmp_path: Path) -> None:
    source = write(tmp_path / "alertmanager.yml", """\
route: {receiver: ops}
receivers:
- name: ops
  webex_configs:
  - room_id: abc
    http_config: {proxy_url: 'http://proxy:3128', authorization: {credentials_file: /etc/am/webex}}
""")
    result = obscode("import", "alertmanager", source, "--stack", "stack", "--out", tmp_path / "stack")
    assert result.exit_code != 0
    assert "webex_config, field 'http_config.proxy_url' cannot be expressed by obscode's WebexConfig (it models the " \
           "authentication: authorization.credentials)" in result.output
